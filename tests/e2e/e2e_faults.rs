//! End to end under faults and abuse: the real binary in tmux on `--demo --demo-faults …`
//! (the screen keeps changing, denied CloudTrail is shown, keys and quit stay responsive
//! while every call stalls), a panic that restores the terminal and names the log, SIGHUP and
//! SIGINT quitting cleanly, a storm of 200 resizes, and the "too small" message.

use crate::tmux;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use tmux::{BIN, Tmux, endpoint_rows};

#[test]
fn throttled_and_denied_demo_keeps_updating_shows_the_denial_and_quits_cleanly() {
    let t = Tmux::start(120, 30, "--demo --demo-faults throttle=0.3,deny=cloudtrail");
    // A third of the calls throttled: the SDK's retries back off (with jitter) before the
    // first fleet read completes, longer on a busy machine; what is checked is that it does.
    t.wait_for("endpoint rows", Duration::from_secs(20), |s| {
        endpoint_rows(s) >= 5
    });
    let mut screens = BTreeSet::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        screens.insert(t.screen());
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        screens.len() >= 5,
        "the screen keeps changing under throttling ({} distinct screens in 10 s)",
        screens.len()
    );
    t.keys(&["e"]);
    let screen = t.wait_for("the events view", Duration::from_secs(3), |s| {
        s.contains("Could not read CloudTrail")
    });
    assert!(screen.contains("access denied"), "{screen}");
    assert!(
        screen.contains("grant cloudtrail:LookupEvents to your role or user"),
        "{screen}"
    );
    t.keys(&["q"]);
    t.wait_for("back to the endpoints", Duration::from_secs(3), |s| {
        endpoint_rows(s) >= 5
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(15)), "EXIT=0");
    t.assert_terminal_restored();
    let log = t.log();
    assert!(log.contains("fault injection on"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn keys_redraws_and_quit_stay_prompt_while_every_call_stalls() {
    // From 3 s on, every call takes an hour.
    let t = Tmux::start(100, 30, "--demo --demo-faults latency=1h@3s..");
    t.wait_for("endpoint rows", Duration::from_secs(5), |s| {
        endpoint_rows(s) >= 5
    });
    std::thread::sleep(Duration::from_secs(4));
    t.keys(&["?"]);
    t.wait_for("help while calls stall", Duration::from_secs(5), |s| {
        s.contains("move down")
    });
    t.keys(&["?"]);
    t.keys(&["Enter"]);
    t.wait_for(
        "the detail while calls stall",
        Duration::from_secs(2),
        |s| s.contains("Variants (") && s.contains("arn "),
    );
    t.keys(&["q"]);
    t.wait_for("back", Duration::from_secs(5), |s| endpoint_rows(s) >= 5);
    // Every call in flight would take an hour: exiting at all means quit did not wait.
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(15)), "EXIT=0");
    t.assert_terminal_restored();
}

#[test]
fn a_panic_restores_the_terminal_and_prints_the_message_and_log_path() {
    // Without RUST_BACKTRACE the message stays on screen (a backtrace would scroll it away).
    let t = Tmux::start_env(
        100,
        30,
        "--demo --demo-faults panic-after=2s",
        &["RUST_BACKTRACE=0"],
    );
    t.wait_for("endpoint rows", Duration::from_secs(5), |s| {
        endpoint_rows(s) >= 5
    });
    assert_eq!(t.wait_exit(Duration::from_secs(10)), "EXIT=101");
    t.assert_terminal_restored();
    let log_path = t.path("sagetop.log");
    let screen = t.screen();
    assert!(screen.contains("injected panic"), "{screen}");
    assert!(
        screen.contains(&format!(
            "sagetop crashed; the log is at {}",
            log_path.display()
        )),
        "{screen}"
    );
    assert!(t.log().contains("sagetop panicked"), "{}", t.log());
}

fn quits_cleanly_on(signal: &str) {
    let t = Tmux::start(80, 24, "--demo --demo-faults throttle=0.2");
    // Throttled calls back off in the SDK first (see above): 20 s for the first fleet read.
    t.wait_for("endpoint rows", Duration::from_secs(20), |s| {
        endpoint_rows(s) >= 5
    });
    let pid = t.sagetop_pid();
    assert!(
        Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(t.wait_exit(Duration::from_secs(5)), "EXIT=0", "{signal}");
    t.assert_terminal_restored();
    let log = t.log();
    assert!(
        log.contains("quitting on signal") && log.contains(&format!("SIG{signal}")),
        "{log}"
    );
}

#[test]
fn sighup_quits_cleanly() {
    quits_cleanly_on("HUP");
}

#[test]
fn sigint_quits_cleanly() {
    quits_cleanly_on("INT");
}

#[test]
fn a_storm_of_resizes_never_panics_and_the_console_still_answers() {
    let t = Tmux::start(100, 30, "--demo --demo-speed 30");
    t.wait_for("endpoint rows", Duration::from_secs(5), |s| {
        endpoint_rows(s) >= 5
    });
    // 200 sizes from a fixed seed, tiny ones included.
    let mut x: u64 = 0x5eed_0f5a_6e00;
    let mut next = |n: u64| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) % n
    };
    for i in 0..200 {
        let (w, h) = match i % 10 {
            0 => (1, 1),
            1 => (2 + next(10) as u16, 1 + next(4) as u16),
            2 => (59, 14),
            3 => (60, 15),
            _ => (1 + next(220) as u16, 1 + next(70) as u16),
        };
        t.resize(w, h);
    }
    t.resize(100, 30);
    t.wait_for("redrawn at 100×30", Duration::from_secs(5), |s| {
        endpoint_rows(s) >= 5
    });
    t.keys(&["?"]);
    t.wait_for("help", Duration::from_secs(3), |s| s.contains("move down"));
    t.keys(&["?"]);
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(5)), "EXIT=0");
    t.assert_terminal_restored();
    assert!(!t.log().contains("panicked"));
}

#[test]
fn below_the_minimum_size_a_message_says_so() {
    let t = Tmux::start(50, 12, "--demo");
    t.wait_for("the too-small message", Duration::from_secs(5), |s| {
        s.contains("terminal too small") && s.contains("50×12")
    });
    t.resize(100, 30);
    t.wait_for("the endpoints once it fits", Duration::from_secs(5), |s| {
        endpoint_rows(s) >= 5
    });
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(5)), "EXIT=0");
}

#[test]
fn a_bad_fault_spec_is_refused_with_a_message_and_status_2() {
    for (spec, needle) in [
        ("throttle=2", "outside 0..1"),
        ("deny=cloudfront", "unknown target"),
        ("delete-endpoint=nope@1s", "does not have"),
    ] {
        let out = Command::new(BIN)
            .args([
                "--demo",
                "--demo-faults",
                spec,
                "snapshot",
                "--log-file",
                "/dev/null",
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{spec}: {err}");
        assert!(err.contains(needle), "{spec}: {err}");
    }
    let out = Command::new(BIN)
        .args(["--demo-faults", "throttle=0.1", "snapshot"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--demo"));
}

#[test]
fn a_deleted_endpoint_closes_its_detail_with_a_message_and_no_error_loop() {
    // At 30× speed the deletion comes 2 s in and the endpoint is gone 1–2 s later.
    let t = Tmux::start(
        120,
        30,
        "--demo --demo-speed 30 --demo-faults delete-endpoint=churn-predictor@60s",
    );
    t.wait_for("endpoint rows", Duration::from_secs(5), |s| {
        endpoint_rows(s) >= 5
    });
    t.keys(&[":"]);
    t.keys(&["-l", "ep churn-predictor"]);
    t.keys(&["Enter"]);
    t.wait_for("the detail", Duration::from_secs(5), |s| {
        s.contains("churn-predictor") && s.contains("Variants (")
    });
    let screen = t.wait_for("the message", Duration::from_secs(20), |s| {
        s.contains("churn-predictor no longer exists")
    });
    assert!(endpoint_rows(&screen) >= 5, "back on the list:\n{screen}");
    // A few seconds on, nothing reports the missing endpoint.
    std::thread::sleep(Duration::from_secs(4));
    let later = t.screen();
    assert!(!later.contains("not found"), "{later}");
    assert!(
        !later.contains("charts"),
        "no charts poll failing:\n{later}"
    );
    assert!(!later.contains("churn-predictor  "), "not listed:\n{later}");
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(15)), "EXIT=0");
}

#[test]
fn a_headless_load_run_under_faults_reports_errors_by_kind() {
    let out = Command::new(BIN)
        .args([
            "bench",
            "--demo",
            "--endpoint",
            "churn-predictor",
            "-n",
            "300",
            "--json",
            "--demo-faults",
            "invoke-5xx=0.2,throttle=0.1:sagemaker-runtime",
            "--log-file",
            "/dev/null",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // Failed requests by kind (errorDistribution has oha's meaning: requests without an answer).
    let errors = &v["errorKinds"];
    let n = |k: &str| errors[k].as_u64().unwrap_or(0);
    assert!((30..=100).contains(&n("5XX")), "{errors}");
    assert!((10..=60).contains(&n("throttled")), "{errors}");
    assert_eq!(v["requests"]["finished"], 300);
}
