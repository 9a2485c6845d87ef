//! The console against AWS (moto on loopback) in a real terminal: endpoints listed, `:region`
//! switches to another region's (empty) fleet and back, a bad profile is refused while the
//! current connection keeps working, and `:api` shows the calls made.

use crate::support;
use crate::tmux;

use std::time::Duration;

use support::moto::Moto;
use tmux::Tmux;

async fn create_endpoint(moto: &Moto, name: &str) {
    use aws_sdk_sagemaker::types::ProductionVariantInstanceType::MlM5Large;
    moto.create_endpoint(name, &[("AllTraffic", MlM5Large, 2, 1.0)])
        .await;
}

fn command(t: &Tmux, line: &str) {
    t.keys(&[":"]);
    t.keys(&["-l", line]);
    t.keys(&["Enter"]);
}

#[tokio::test]
async fn region_switch_reconnects_and_a_bad_profile_keeps_the_current_connection() {
    let moto = Moto::start();
    create_endpoint(&moto, "fraud-xgb").await;
    let home = tempfile::tempdir().unwrap();
    let args = format!("--region us-east-1 --endpoint-url {}", moto.url());
    let home_env = format!("HOME={}", home.path().display());
    let config_env = format!("XDG_CONFIG_HOME={}", home.path().join("cfg").display());
    let env = [
        "AWS_ACCESS_KEY_ID=testing",
        "AWS_SECRET_ACCESS_KEY=testing",
        "AWS_MAX_ATTEMPTS=1",
        home_env.as_str(),
        config_env.as_str(),
    ];
    let t = Tmux::start_env(100, 30, &args, &env);
    let long = Duration::from_secs(15);
    t.wait_for("the moto endpoint", long, |s| {
        s.contains("fraud-xgb") && s.contains("us-east-1")
    });

    command(&t, "region us-west-2");
    t.wait_for("the other region, empty", long, |s| {
        s.contains("us-west-2") && !s.contains("fraud-xgb") && s.contains("connected")
    });

    command(&t, "region us-east-1");
    t.wait_for("back in us-east-1", long, |s| {
        s.contains("fraud-xgb") && s.contains("us-east-1")
    });

    command(&t, "profile no-such-profile");
    let screen = t.wait_for("the refusal", long, |s| {
        s.contains("no-such-profile") && !s.contains("connecting")
    });
    assert!(
        screen.contains("fraud-xgb"),
        "the current connection keeps working:\n{screen}"
    );

    command(&t, "api");
    t.wait_for("the call accounting", long, |s| {
        s.contains("DescribeEndpoint") && s.contains("ListEndpoints")
    });
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(10)), "EXIT=0");
}
