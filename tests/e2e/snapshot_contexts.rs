//! The `sagetop snapshot --json` binary with several contexts (`--demo --demo-accounts 2`):
//! both accounts' endpoints in one document with their account and region; one account whose
//! ListEndpoints is denied reported in `errors` by its label, the other printed, exit status 1;
//! and with one context the document of old, untouched.

use std::path::Path;
use std::process::{Command, Output};

use sagetop::open_contexts::demo_account_id;
use serde_json::Value;

use crate::tmux::BIN;

fn snapshot(home: &Path, extra: &[&str]) -> (Output, Value) {
    let out = Command::new(BIN)
        .env("HOME", home)
        .args(["--log-file"])
        .arg(home.join("sagetop.log"))
        .args(["--demo"])
        .args(extra)
        .args(["snapshot", "--json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let doc = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, doc)
}

/// The names of the endpoints printed for `context`, each checked to carry its account and
/// region.
fn endpoints_of(doc: &Value, context: &str, account: &str, region: &str) -> Vec<String> {
    doc["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["context"] == context)
        .map(|e| {
            assert_eq!(e["account"], account, "{e}");
            assert_eq!(e["region"], region, "{e}");
            let name = e["name"].as_str().unwrap().to_string();
            assert!(!name.contains('@'), "the name is AWS's: {name}");
            name
        })
        .collect()
}

#[test]
fn two_demo_accounts_print_both_fleets_with_account_and_region() {
    let home = tempfile::tempdir().unwrap();
    let (out, doc) = snapshot(home.path(), &["--demo-accounts", "2"]);
    assert_eq!(out.status.code(), Some(0), "{doc}");
    let first = endpoints_of(&doc, "demo1/us-east-1", &demo_account_id(0), "us-east-1");
    let second = endpoints_of(&doc, "demo2/eu-west-1", &demo_account_id(1), "eu-west-1");
    assert!(first.contains(&"churn-predictor".to_string()), "{first:?}");
    assert!(
        second.contains(&"churn-predictor".to_string()),
        "{second:?}"
    );
    // The second simulated account has two more endpoints than the first.
    assert_eq!(second.len(), first.len() + 2);
    assert_eq!(
        doc["endpoints"].as_array().unwrap().len(),
        first.len() + second.len()
    );
    assert_eq!(doc["errors"], Value::Array(vec![]));
    let contexts = doc["contexts"].as_array().unwrap();
    assert_eq!(contexts.len(), 2);
    for (c, i) in contexts.iter().zip(0..) {
        assert_eq!(c["account"], demo_account_id(i));
        assert_eq!(c["endpoints_read"], true);
        assert!(!c["quotas"].as_array().unwrap().is_empty(), "{c}");
        assert!(!c["events"].as_array().unwrap().is_empty(), "{c}");
    }
}

#[test]
fn a_denied_account_is_in_errors_and_the_other_is_printed_with_exit_status_1() {
    let home = tempfile::tempdir().unwrap();
    // `--demo-faults` apply to the last simulated account only.
    let (out, doc) = snapshot(
        home.path(),
        &[
            "--demo-accounts",
            "2",
            "--demo-faults",
            "deny=ListEndpoints",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{doc}");
    let first = endpoints_of(&doc, "demo1/us-east-1", &demo_account_id(0), "us-east-1");
    assert!(first.contains(&"churn-predictor".to_string()), "{first:?}");
    assert_eq!(doc["endpoints"].as_array().unwrap().len(), first.len());
    let errors = doc["errors"].as_array().unwrap();
    let denied = errors
        .iter()
        .find(|e| e["operation"] == "ListEndpoints")
        .unwrap_or_else(|| panic!("{errors:?}"));
    assert_eq!(denied["context"], "demo2/eu-west-1");
    assert!(
        denied["message"]
            .as_str()
            .unwrap()
            .contains("access denied"),
        "{denied}"
    );
    assert!(
        denied["hint"]
            .as_str()
            .unwrap()
            .contains("sagemaker:ListEndpoints"),
        "{denied}"
    );
    assert!(errors.iter().all(|e| e["context"] == "demo2/eu-west-1"));
    let contexts = doc["contexts"].as_array().unwrap();
    assert_eq!(contexts[0]["endpoints_read"], true);
    assert_eq!(contexts[1]["endpoints_read"], false);
    assert_eq!(
        contexts[1]["errors"].as_array().unwrap().len(),
        errors.len()
    );
}

#[test]
fn one_context_prints_the_single_fleet_document() {
    let home = tempfile::tempdir().unwrap();
    let (out, doc) = snapshot(home.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{doc}");
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "taken_at",
            "identity",
            "endpoints",
            "quotas",
            "events",
            "errors"
        ]
    );
    let first = &doc["endpoints"][0];
    assert!(first.get("context").is_none(), "{first}");
    assert!(first.get("account").is_none(), "{first}");
}
