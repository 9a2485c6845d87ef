//! The audit log: one JSON line per write attempt (failed ones too), appended across runs,
//! created with mode 0600, holding who/where/what and never credentials.

use crate::harness;

use std::sync::Arc;

use harness::*;
use sagetop::write::audit::{AuditLog, AuditRecord};
use sagetop::write::request::{scale_request, weights_request};
use sagetop::write::{Origin, SessionFacts, WriteJob, WriteOutcome, WriteService};

const FIELDS: [&str; 13] = [
    "time",
    "profile",
    "region",
    "account",
    "principal",
    "endpoint",
    "operation",
    "request",
    "origin",
    "outcome",
    "detail",
    "request_id",
    "time",
];

#[tokio::test]
async fn every_attempt_is_one_json_line_appended_with_mode_0600() {
    let h = Harness::new().await;
    let service = h.executor.service().clone();
    let churn = h.describe(CHURN).await;
    let ok = service
        .execute(WriteJob {
            id: 1,
            request: weights_request(&churn, &[("VariantB".into(), 2.0)]),
            origin: Origin::User,
        })
        .await;
    assert!(ok.went_through(), "{ok:?}");
    // A write AWS refuses (quota) is logged too, in its words.
    let ranking = h.describe(RANKING).await;
    let refused = service
        .execute(WriteJob {
            id: 2,
            request: scale_request(&ranking, "Canary", 40),
            origin: Origin::User,
        })
        .await;
    assert!(matches!(refused, WriteOutcome::Failed(_)), "{refused:?}");
    let lines = h.audit_lines();
    assert_eq!(lines.len(), 2, "one line per attempt");
    for l in &lines {
        let keys: Vec<&String> = l.as_object().unwrap().keys().collect();
        for f in FIELDS {
            assert!(l.get(f).is_some(), "field {f} missing in {l}");
        }
        assert_eq!(keys.len(), 12, "{keys:?}");
        assert_eq!(l["profile"], "demo");
        assert_eq!(l["region"], "us-east-1");
        assert_eq!(l["account"], "111122223333");
        assert!(
            l["principal"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:sts::111122223333:assumed-role/")
        );
        let text = l.to_string().to_lowercase();
        for secret in ["secret", "session_token", "aws_access_key", "akia"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
    assert_eq!(lines[0]["outcome"], "accepted");
    assert_eq!(lines[0]["endpoint"], CHURN);
    assert_eq!(lines[0]["operation"], "UpdateEndpointWeightsAndCapacities");
    assert_eq!(
        lines[0]["request"]["DesiredWeightsAndCapacities"][1]["DesiredWeight"],
        2.0
    );
    assert!(
        lines[0]["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    assert_eq!(lines[1]["outcome"], "rejected");
    assert!(
        lines[1]["detail"]
            .as_str()
            .unwrap()
            .contains("The account-level service limit 'ml.c5.2xlarge for endpoint usage'")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&h.audit).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // A second run appends to the same file and never rewrites it.
    let before = std::fs::read_to_string(&h.audit).unwrap();
    let (tx, _rx) = tokio::sync::mpsc::channel::<sagetop::app::Action>(16);
    let clock: sagetop::clock::SharedClock = Arc::new(TestClock(h.clock.clone()));
    let second = WriteService::new(
        h.backend.clone(),
        clock,
        AuditLog::new(h.audit.clone()),
        SessionFacts::default(),
        tx,
    );
    second
        .execute(WriteJob {
            id: 1,
            request: weights_request(&churn, &[("VariantB".into(), 5.0)]),
            origin: Origin::User,
        })
        .await;
    let after = std::fs::read_to_string(&h.audit).unwrap();
    assert!(after.starts_with(&before), "appended, not rewritten");
    assert_eq!(after.lines().count(), 3);
    let _ = AuditRecord::time_of(h.started);
}

#[test]
fn the_audit_log_path_is_in_help() {
    let help = sagetop::cli::files_help();
    assert!(help.contains(&sagetop::logging::default_audit_log().display().to_string()));
    assert!(sagetop::logging::default_audit_log().ends_with("sagetop/audit.log"));
}
