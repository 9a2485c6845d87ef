//! End to end: the real `sagetop` binary in a tmux terminal at 100×30 on `--demo`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::tmux;

use tmux::{BIN, Tmux, endpoint_rows};

fn wait_exit(path: &Path, timeout: Duration) -> String {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(s) = std::fs::read_to_string(path)
            && !s.trim().is_empty()
        {
            return s.trim().to_string();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("sagetop did not exit within {timeout:?}");
}

/// Names of the alphabetically first endpoint's variants, from `sagetop snapshot`.
fn first_endpoint_variants() -> (String, Vec<String>) {
    let out = Command::new(BIN)
        .args(["snapshot", "--demo", "--json", "--log-file", "/dev/null"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "snapshot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("snapshot is JSON");
    let eps = v["endpoints"].as_array().expect("endpoints array");
    let first = eps
        .iter()
        .min_by_key(|e| e["name"].as_str().unwrap().to_string())
        .unwrap();
    let variants = first["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect();
    (first["name"].as_str().unwrap().to_string(), variants)
}

#[test]
fn demo_console_shows_fleet_detail_help_and_quits_cleanly() {
    let (first, variants) = first_endpoint_variants();
    let tmux = Tmux::start(100, 30, "--demo");

    let screen = tmux.wait_for("at least 8 endpoint rows", Duration::from_secs(3), |s| {
        endpoint_rows(s) >= 8
    });
    assert!(
        screen.contains(&first),
        "first endpoint {first} listed:\n{screen}"
    );
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "1",
        "runs in the alternate screen"
    );

    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the detail view's variants", Duration::from_secs(3), |s| {
        variants.iter().all(|v| s.contains(v.as_str())) && s.contains("ml.")
    });
    assert!(screen.contains(&first));

    tmux.keys(&["Escape"]);
    tmux.wait_for("back to the endpoints", Duration::from_secs(3), |s| {
        endpoint_rows(s) >= 8
    });

    tmux.keys(&["?"]);
    tmux.wait_for("help", Duration::from_secs(3), |s| {
        s.contains("move down") && s.contains("quit")
    });
    tmux.keys(&["?"]);
    tmux.wait_for("help closed", Duration::from_secs(3), |s| {
        !s.contains("move down") && endpoint_rows(s) >= 8
    });

    tmux.keys(&["q"]);
    assert_eq!(
        wait_exit(&tmux.path("status"), Duration::from_secs(5)),
        "EXIT=0"
    );
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "0",
        "alternate screen left"
    );
    assert_eq!(tmux.display("#{cursor_flag}"), "1", "cursor shown again");
}

#[test]
fn sigterm_restores_the_terminal() {
    let tmux = Tmux::start(80, 24, "--demo");
    tmux.wait_for("endpoint rows", Duration::from_secs(3), |s| {
        endpoint_rows(s) >= 5
    });
    let pid = tmux.display("#{pane_pid}");
    // The pane runs `sh -c "sagetop …; echo"`: signal the sagetop child of that shell.
    let children = Command::new("pgrep").args(["-P", &pid]).output().unwrap();
    let child = String::from_utf8_lossy(&children.stdout)
        .lines()
        .next()
        .map(str::to_string)
        .expect("sagetop process");
    assert!(
        Command::new("kill")
            .args(["-TERM", &child])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(
        wait_exit(&tmux.path("status"), Duration::from_secs(5)),
        "EXIT=0"
    );
    assert_eq!(tmux.display("#{alternate_on}"), "0");
    assert_eq!(tmux.display("#{cursor_flag}"), "1");
}

/// SGR parameters of every `ESC [ … m` sequence in `text` that set a colour
/// (30–38, 40–48, 90–97, 100–107, including 38/48 extended colours; 39/49 are resets).
fn colour_sgr(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("\x1b[") {
        rest = &rest[i + 2..];
        let Some(end) = rest.find(|c: char| c.is_ascii_alphabetic()) else {
            break;
        };
        if rest.as_bytes()[end] == b'm' {
            let params = &rest[..end];
            let colour = params.split(';').any(|p| {
                p.parse::<u16>()
                    .is_ok_and(|n| matches!(n, 30..=38 | 40..=48 | 90..=97 | 100..=107))
            });
            if colour {
                found.push(params.to_string());
            }
        }
        rest = &rest[end..];
    }
    found
}

#[test]
fn no_color_prints_no_colour_escapes_and_the_light_theme_does() {
    let plain = Tmux::start_env(100, 30, "--demo", &["NO_COLOR=1"]);
    plain.wait_for("endpoint rows", Duration::from_secs(3), |s| {
        endpoint_rows(s) >= 8
    });
    let escaped =
        String::from_utf8_lossy(&plain.tmux(&["capture-pane", "-p", "-e"]).stdout).into_owned();
    assert_eq!(
        colour_sgr(&escaped),
        Vec::<String>::new(),
        "colour escapes under NO_COLOR"
    );
    assert!(
        escaped.contains("\x1b["),
        "styles (bold, reverse) still mark state"
    );

    let light = Tmux::start(100, 30, "--demo --theme light");
    light.wait_for("endpoint rows", Duration::from_secs(3), |s| {
        endpoint_rows(s) >= 8
    });
    let escaped =
        String::from_utf8_lossy(&light.tmux(&["capture-pane", "-p", "-e"]).stdout).into_owned();
    assert!(
        !colour_sgr(&escaped).is_empty(),
        "the light theme draws in colour"
    );
}

#[test]
fn sgr_colour_detection() {
    assert_eq!(colour_sgr("\x1b[1m\x1b[7mx\x1b[0m"), Vec::<String>::new());
    assert_eq!(
        colour_sgr("a\x1b[38;5;196mred"),
        vec!["38;5;196".to_string()]
    );
    // 39/49 only reset to the terminal's own colours: allowed under NO_COLOR.
    assert_eq!(
        colour_sgr("\x1b[1;32mok\x1b[39;49m"),
        vec!["1;32".to_string()]
    );
    assert_eq!(
        colour_sgr("\x1b[48;2;0;95;135mx"),
        vec!["48;2;0;95;135".to_string()]
    );
}

/// The sagetop process started from the pane's interactive shell.
fn sagetop_pid_named(tmux: &Tmux) -> String {
    let pane_pid = tmux.display("#{pane_pid}");
    let children = Command::new("pgrep")
        .args(["-P", &pane_pid, "sagetop"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&children.stdout)
        .lines()
        .next()
        .map(str::to_string)
        .expect("sagetop process")
}

fn process_state(pid: &str) -> String {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The state letter follows the command name in parentheses.
    stat.rsplit(')')
        .next()
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or("")
        .to_string()
}

#[test]
fn ctrl_z_suspends_with_the_terminal_restored_and_fg_redraws() {
    // An interactive shell with job control, as a person at a bastion host has.
    let tmux = Tmux::start_script(80, 24, &[], |_| "exec bash --norc --noprofile -i".into());
    let status = tmux.path("status");
    let log = tmux.dir.path().join("fg.log");
    tmux.keys(&["-l", &format!("{BIN} --demo --log-file {}", log.display())]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("endpoint rows", Duration::from_secs(5), |s| {
        endpoint_rows(s) >= 5
    });
    let pid = sagetop_pid_named(&tmux);
    tmux.keys(&["C-z"]);
    let start = Instant::now();
    while process_state(&pid) != "T" {
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "not stopped: state {}",
            process_state(&pid)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux.wait_for("the shell's job notice", Duration::from_secs(3), |s| {
        s.contains("Stopped")
    });
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "0",
        "terminal given back while suspended"
    );
    assert_eq!(tmux.display("#{cursor_flag}"), "1");
    tmux.keys(&["-l", "fg"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("redrawn after fg", Duration::from_secs(3), |s| {
        endpoint_rows(s) >= 5
    });
    assert_eq!(tmux.display("#{alternate_on}"), "1");
    tmux.keys(&["q"]);
    // After `fg`, $? is the job's exit status.
    tmux.wait_for("the shell prompt", Duration::from_secs(5), |s| {
        endpoint_rows(s) == 0
    });
    tmux.keys(&["-l", &format!("echo EXIT=$? > {}", status.display())]);
    tmux.keys(&["Enter"]);
    assert_eq!(wait_exit(&status, Duration::from_secs(5)), "EXIT=0");
}

/// Rows of the events view (their time column reads "MM-DD HH:MM:SS").
fn event_rows(screen: &str) -> usize {
    screen
        .lines()
        .filter(|l| {
            let b = l.trim_start_matches(['│', ' ']).as_bytes();
            b.len() > 14 && b[2] == b'-' && b[5] == b' ' && b[8] == b':' && b[11] == b':'
        })
        .count()
}

#[test]
fn events_quotas_and_chart_window_from_the_keyboard() {
    let tmux = Tmux::start(100, 30, "--demo");
    tmux.wait_for("endpoint rows", Duration::from_secs(3), |s| {
        endpoint_rows(s) >= 5
    });

    tmux.keys(&["e"]);
    let screen = tmux.wait_for(
        "at least 5 events including a weights change",
        Duration::from_secs(20),
        |s| event_rows(s) >= 5 && s.contains("UpdateEndpointWeightsAndCapacities"),
    );
    assert!(screen.contains("Events ("), "{screen}");

    tmux.keys(&["q"]);
    tmux.wait_for("back to the endpoints", Duration::from_secs(3), |s| {
        endpoint_rows(s) >= 5
    });
    tmux.keys(&["Q"]);
    let screen = tmux.wait_for("endpoint-usage quotas", Duration::from_secs(5), |s| {
        s.contains("for endpoint usage") && s.contains("ml.c5.2xlarge")
    });
    let quota_row = screen
        .lines()
        .find(|l| l.starts_with("ml.c5.2xlarge"))
        .unwrap_or_else(|| panic!("no ml.c5.2xlarge row:\n{screen}"));
    assert!(
        quota_row.split_whitespace().any(|w| {
            w.split_once('/')
                .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok())
        }),
        "used/limit on the row: {quota_row}"
    );

    tmux.keys(&["Escape"]);
    tmux.wait_for("back to the endpoints", Duration::from_secs(3), |s| {
        endpoint_rows(s) >= 5
    });
    tmux.keys(&["Enter"]);
    tmux.wait_for("the chart window label", Duration::from_secs(5), |s| {
        s.contains("1h window")
    });
    tmux.keys(&["t"]);
    tmux.wait_for("the next window", Duration::from_secs(5), |s| {
        s.contains("3h window")
    });

    tmux.keys(&["q"]);
    tmux.keys(&["q"]);
    assert_eq!(
        wait_exit(&tmux.path("status"), Duration::from_secs(5)),
        "EXIT=0"
    );
}
