//! `snapshot --json` with several contexts: two simulated accounts read through their own
//! keyed backends into one document — every endpoint with its context, account and region,
//! quotas counted per context, events per context — and a context whose credentials fail
//! reported in `errors` with its label while the other's endpoints are printed.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use sagetop::app::contexts::Ctx;
use sagetop::app::figures::instance_usage;
use sagetop::boundary::context::{Unconnected, qualified};
use sagetop::boundary::{Backend, SharedBackend};
use sagetop::clock::{ManualClock, SharedClock, fixture_epoch};
use sagetop::domain::Endpoint;
use sagetop::sim::SimAccount;
use sagetop::snapshot::contexts::{ContextsSnapshot, read_contexts};

use crate::contexts::{PROD, PROD_ACCOUNT, STAGING, STAGING_ACCOUNT};
use crate::harness::TestClock;

struct Two {
    clock: ManualClock,
    sims: Vec<Arc<SimAccount>>,
    ctxs: Vec<Ctx>,
}

fn two_accounts() -> Two {
    let clock = ManualClock::new(fixture_epoch());
    let shared: SharedClock = Arc::new(TestClock(clock.clone()));
    let sims = vec![
        Arc::new(SimAccount::new(7, shared.clone()).with_account_id(PROD_ACCOUNT)),
        Arc::new(
            SimAccount::with_extra_endpoints(8, shared.clone(), 2).with_account_id(STAGING_ACCOUNT),
        ),
    ];
    clock.advance(Duration::from_secs(600));
    let ctxs = [PROD, STAGING]
        .iter()
        .map(|label| {
            let (profile, region) = label.split_once('/').unwrap();
            Ctx::new(*label, Some(profile.into()), region)
        })
        .collect();
    Two { clock, sims, ctxs }
}

/// Each context keyed by its label, as `open_contexts` opens them.
fn keyed(label: &str, inner: SharedBackend) -> SharedBackend {
    Arc::new(qualified(label, inner))
}

async fn snapshot_of(two: &Two, backends: &[SharedBackend]) -> ContextsSnapshot {
    let contexts: Vec<(Ctx, &dyn Backend)> = two
        .ctxs
        .iter()
        .cloned()
        .zip(backends.iter().map(|b| b.as_ref()))
        .collect();
    let states = read_contexts(&contexts, &TestClock(two.clock.clone()), true).await;
    ContextsSnapshot::from_states(&states)
}

async fn names_of(sim: &SimAccount) -> BTreeSet<String> {
    sim.list_endpoints()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect()
}

/// Every string in the document, to check that no `NAME@LABEL` key leaks out.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn two_accounts_print_every_endpoint_with_its_account_region_and_quotas() {
    let two = two_accounts();
    let backends: Vec<SharedBackend> = [PROD, STAGING]
        .iter()
        .zip(&two.sims)
        .map(|(l, s)| keyed(l, s.clone()))
        .collect();
    let snap = snapshot_of(&two, &backends).await;
    assert!(snap.complete());
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);

    let expected = [
        (PROD, PROD_ACCOUNT, "prod", "us-east-1"),
        (STAGING, STAGING_ACCOUNT, "staging", "eu-west-1"),
    ];
    for (i, (label, account, profile, region)) in expected.iter().enumerate() {
        let mine: Vec<_> = snap
            .endpoints
            .iter()
            .filter(|e| e.context == *label)
            .collect();
        let printed: BTreeSet<String> = mine
            .iter()
            .map(|e| e.snapshot.endpoint.name.clone())
            .collect();
        assert_eq!(printed, names_of(&two.sims[i]).await, "{label}");
        for e in &mine {
            assert_eq!(e.account.as_deref(), Some(*account));
            assert_eq!(e.region, *region);
            assert_eq!(e.profile.as_deref(), Some(*profile));
        }
        let ctx = &snap.contexts[i];
        assert_eq!(ctx.label, *label);
        assert_eq!(ctx.account.as_deref(), Some(*account));
        assert!(ctx.endpoints_read);
        assert_eq!(ctx.endpoint_count, mine.len());
        assert!(!ctx.events.is_empty(), "{label} has its own events");
        // Usage is counted from this context's endpoints only.
        let own: Vec<Endpoint> = mine.iter().map(|e| e.snapshot.endpoint.clone()).collect();
        let usage = instance_usage(&own);
        let mut counted = 0;
        for q in ctx.quotas.iter().filter(|q| q.instance_type.is_some()) {
            let t = q.instance_type.as_ref().unwrap();
            assert_eq!(
                q.used,
                Some(usage.get(t).copied().unwrap_or(0)),
                "{label} {t}"
            );
            counted += usage.get(t).copied().unwrap_or(0);
        }
        assert!(
            counted > 0,
            "{label}: some quota shows this context's usage"
        );
    }
    // The second account has two more endpoints: both accounts' rows are there.
    assert_eq!(
        snap.endpoints.len(),
        snap.contexts[0].endpoint_count + snap.contexts[1].endpoint_count
    );
    assert!(snap.contexts[1].endpoint_count > snap.contexts[0].endpoint_count);

    // Names are as AWS knows them: the context is in the fields, never in a name.
    let json = serde_json::to_value(&snap).unwrap();
    let mut all = Vec::new();
    strings(&json, &mut all);
    for s in all {
        assert!(
            !s.ends_with(&format!("@{PROD}")) && !s.ends_with(&format!("@{STAGING}")),
            "a keyed name leaked: {s}"
        );
    }
    assert_eq!(json["endpoints"][0]["context"], PROD);
    assert_eq!(json["endpoints"][0]["account"], PROD_ACCOUNT);
    assert_eq!(json["endpoints"][0]["region"], "us-east-1");
}

#[tokio::test]
async fn a_context_whose_credentials_fail_is_in_errors_and_the_other_is_printed() {
    let two = two_accounts();
    let backends = vec![
        keyed(PROD, two.sims[0].clone()),
        keyed(
            STAGING,
            Arc::new(Unconnected {
                profile: Some("staging".into()),
                message: "the SSO session token has expired".into(),
            }),
        ),
    ];
    let snap = snapshot_of(&two, &backends).await;
    // Partial: `snapshot` exits 1.
    assert!(!snap.complete());

    let prod: BTreeSet<String> = snap
        .endpoints
        .iter()
        .map(|e| {
            assert_eq!(e.context, PROD);
            assert_eq!(e.account.as_deref(), Some(PROD_ACCOUNT));
            e.snapshot.endpoint.name.clone()
        })
        .collect();
    assert_eq!(prod, names_of(&two.sims[0]).await);
    assert!(snap.contexts[0].endpoints_read);
    assert!(snap.contexts[0].errors.is_empty());

    let staging = &snap.contexts[1];
    assert!(!staging.endpoints_read);
    assert_eq!(staging.account, None);
    assert!(snap.errors.iter().all(|e| e.context == STAGING));
    let list = snap
        .errors
        .iter()
        .find(|e| e.error.operation == "ListEndpoints")
        .expect("ListEndpoints failure reported");
    assert!(
        list.error.message.contains("SSO session token has expired"),
        "{list:?}"
    );
    assert!(list.error.hint.contains("staging"), "{list:?}");
    assert_eq!(staging.errors.len(), snap.errors.len());
}
