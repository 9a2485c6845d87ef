//! `--demo-accounts N` over the wire: each simulated account on its own port, read through
//! the SDK backend with its own id and region label; `--demo-faults` on the last account only;
//! `--profile a,b --region x,y` resolves to every pair.

use clap::Parser;
use sagetop::boundary::context::context_of;
use sagetop::cli::Cli;
use sagetop::config::Config;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_accounts_are_separate_accounts_and_faults_hit_only_the_last() {
    let cli = Cli::parse_from([
        "sagetop",
        "--demo",
        "--demo-accounts",
        "3",
        "--demo-faults",
        "deny=sagemaker",
    ]);
    let config = Config::default();
    let clock = sagetop::clock::demo_clock(1.0);
    let opened = sagetop::open_contexts::open_demo(&cli, &config, &clock)
        .await
        .expect("three simulated accounts");
    assert_eq!(opened.len(), 3);
    let labels: Vec<&str> = opened.iter().map(|o| o.ctx.label.as_str()).collect();
    assert_eq!(
        labels,
        ["demo1/us-east-1", "demo2/eu-west-1", "demo3/ap-southeast-2"]
    );
    let mut ids = Vec::new();
    let mut counts = Vec::new();
    for o in &opened[..2] {
        let id = o.conn.backend.identity().await.expect("STS answers");
        assert_eq!(Some(&id.account), o.ctx.account.as_ref());
        ids.push(id.account);
        let list = o
            .conn
            .backend
            .list_endpoints()
            .await
            .expect("a healthy account");
        assert!(
            list.iter()
                .all(|e| context_of(&e.name) == Some(o.ctx.label.as_str())),
            "names are keyed by their context"
        );
        counts.push(list.len());
    }
    assert_ne!(ids[0], ids[1], "distinct account ids");
    assert_eq!(counts[1], counts[0] + 2, "each account its own fleet");
    // The faults apply to the last account only.
    let denied = opened[2].conn.backend.list_endpoints().await.unwrap_err();
    assert!(
        matches!(denied, sagetop::boundary::BackendError::AccessDenied { .. }),
        "{denied}"
    );
    for o in opened {
        if let Some(s) = o.server {
            s.shutdown().await;
        }
    }
}

#[test]
fn comma_lists_open_every_profile_and_region_pair() {
    let cli = Cli::parse_from([
        "sagetop",
        "--profile",
        "a,b",
        "--region",
        "us-east-1,eu-west-1",
    ]);
    let specs = sagetop::settings::context_specs(&cli, &Config::default());
    let s = |p: &str, r: &str| (Some(p.to_string()), Some(r.to_string()));
    assert_eq!(
        specs,
        [
            s("a", "us-east-1"),
            s("a", "eu-west-1"),
            s("b", "us-east-1"),
            s("b", "eu-west-1")
        ]
    );
    // One profile and one region: the single-context console, as before.
    let one = Cli::parse_from(["sagetop", "--profile", "a", "--region", "us-east-1"]);
    assert!(sagetop::settings::context_specs(&one, &Config::default()).is_empty());
}

#[test]
fn fleet_contexts_come_from_the_config_file() {
    let text = r#"
[fleet]
contexts = [{ profile = "prod", region = "us-east-1" }, { profile = "prod", region = "eu-west-1" }]

[profiles.prod]
production = true
"#;
    let config = Config::parse(text, "test").expect("valid config");
    let cli = Cli::parse_from(["sagetop"]);
    let specs = sagetop::settings::context_specs(&cli, &config);
    assert_eq!(specs.len(), 2);
    assert_eq!(specs[1], (Some("prod".into()), Some("eu-west-1".into())));
}
