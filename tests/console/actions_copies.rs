//! Copy counts of inference components from the console against the simulated account (seed
//! 7, manual clock): `c` in the LLM endpoint's detail → the copies dialog → confirm with the
//! exact call → one UpdateInferenceComponentRuntimeConfig → tracked until the component is
//! InService with the new count → one audit line; refusals that send nothing; read-only
//! sessions; a lost response described before any resend.

use crate::harness;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crossterm::event::KeyCode;
use harness::*;
use sagetop::app::dialogs::Dialog;
use sagetop::app::keymap::KeyAction;
use sagetop::boundary::{BackendError, BackendResult, Call, Layer, Operation, Reply};
use sagetop::domain::*;
use sagetop::write::request::copies_request;
use sagetop::write::{Origin, WriteJob, WriteOutcome};

const LLM: &str = "llm-chat-components";

async fn component(h: &Harness, name: &str) -> InferenceComponent {
    let e = h.describe(LLM).await;
    h.backend
        .describe_hosting(&e, false)
        .await
        .expect("hosting")
        .component(name)
        .expect("component")
        .clone()
}

/// The LLM endpoint's detail, open.
fn open_detail(h: &mut Harness) {
    h.select(LLM);
    h.key(KeyCode::Enter);
    assert!(h.state.detail_endpoint() == Some(LLM), "{:?}", h.state.view);
}

#[tokio::test]
async fn copies_from_the_detail_are_confirmed_sent_once_tracked_and_audited() {
    let mut h = Harness::new().await;
    open_detail(&mut h);
    h.key(KeyCode::Char('c'));
    let Some(Dialog::Copies(d)) = &h.state.ops.dialog else {
        panic!("{:?}", h.state.ops.dialog)
    };
    let names = d.components.clone();
    assert_eq!(names.len(), 3, "the LLM endpoint's three components");
    // → picks the next component and pre-fills its current count.
    h.key(KeyCode::Right);
    let Some(Dialog::Copies(d)) = &h.state.ops.dialog else {
        panic!()
    };
    let name = d.component().to_string();
    assert_eq!(name, names[1]);
    let before = component(&h, &name).await;
    let current = before.current_copies.unwrap();
    assert_eq!(
        d.text,
        current.to_string(),
        "pre-filled with the current copies"
    );
    assert_eq!(before.status, Some(ComponentStatus::InService));
    let want = current + 1;
    h.key(KeyCode::Up);
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.state.ops.dialog else {
        panic!("{:?}", h.state.ops.dialog)
    };
    // The exact change: endpoint, component, copies from → to, and the API call.
    assert!(
        c.title.contains(&name) && c.title.contains(LLM),
        "{}",
        c.title
    );
    assert_eq!(c.subject, "COMPONENT");
    assert_eq!(c.rows.len(), 1);
    assert_eq!(
        (c.rows[0].variant.as_str(), c.rows[0].what.as_str()),
        (name.as_str(), "copies")
    );
    assert_eq!(
        (c.rows[0].from.clone(), c.rows[0].to.clone()),
        (current.to_string(), want.to_string())
    );
    assert!(
        c.notes[0].contains(&format!("on endpoint {LLM}")),
        "{:?}",
        c.notes
    );
    assert_eq!(
        c.api,
        [
            "UpdateInferenceComponentRuntimeConfig(".to_string(),
            format!("  InferenceComponentName={name},"),
            format!("  DesiredRuntimeConfig={{CopyCount={want}}})"),
        ]
    );
    h.key(KeyCode::Char('y'));
    h.settle().await;
    // Accepted: the component shows Updating with the new desired count at once.
    let shown = h.state.autoscaling.hosting[LLM].component(&name).unwrap();
    assert_eq!(shown.status, Some(ComponentStatus::Updating));
    assert_eq!(shown.desired_copies, Some(want));
    assert!(h.state.ops.writes.contains_key(LLM), "tracked");
    let sim = component(&h, &name).await;
    assert_eq!(
        (sim.status, sim.desired_copies),
        (Some(ComponentStatus::Updating), Some(want))
    );
    // A second change while this one applies is refused before any dialog.
    h.key(KeyCode::Char('c'));
    assert!(h.state.ops.dialog.is_none());
    assert!(h.notice().contains("is in flight"), "{}", h.notice());
    // Tracked until InService with the new count.
    let done = h
        .until(600, 30, |h| !h.state.ops.writes.contains_key(LLM))
        .await;
    assert!(done, "still tracked: {:?}", h.state.ops.writes);
    assert_eq!(
        h.notice(),
        format!("{name} on {LLM} is InService with {want} copies")
    );
    let after = component(&h, &name).await;
    assert_eq!(
        (after.status, after.current_copies),
        (Some(ComponentStatus::InService), Some(want))
    );
    let last = &h.state.ops.last[LLM];
    assert_eq!(last.summary, format!("{name} to {want} copies"));
    // One attempt, one audit line, in the API's field names.
    let audit = h.audit_lines();
    assert_eq!(audit.len(), 1, "{audit:?}");
    let l = &audit[0];
    assert_eq!(l["operation"], "UpdateInferenceComponentRuntimeConfig");
    assert_eq!(l["endpoint"], LLM);
    assert_eq!(l["outcome"], "accepted");
    assert_eq!(l["origin"], "you");
    assert_eq!(l["request"]["InferenceComponentName"], name.as_str());
    assert_eq!(l["request"]["DesiredRuntimeConfig"]["CopyCount"], want);
    assert!(l["request_id"].as_str().is_some_and(|r| !r.is_empty()));
}

#[tokio::test]
async fn copies_that_cannot_be_sent_are_explained_in_the_dialog() {
    let mut h = Harness::new().await;
    // Endpoints without components have no copies to scale.
    h.select(FRAUD);
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('c'));
    assert!(h.state.ops.dialog.is_none());
    assert!(
        h.notice().contains("hosts no inference components"),
        "{}",
        h.notice()
    );
    h.key(KeyCode::Esc);
    open_detail(&mut h);
    h.key(KeyCode::Char('c'));
    let current = match &h.state.ops.dialog {
        Some(Dialog::Copies(d)) => d.text.clone(),
        other => panic!("{other:?}"),
    };
    for (input, needle) in [
        ("", "enter a copy count"),
        ("x", "`x` is not a whole number"),
        ("-1", "negative"),
        ("1.5", "not a whole number of copies"),
        ("99999999999", "too many copies"),
        (current.as_str(), "nothing to change"),
    ] {
        let mut st = h.state.clone();
        let mut keys = vec![KeyCode::Backspace; 4];
        keys.extend(input.chars().map(KeyCode::Char));
        keys.push(KeyCode::Enter);
        for k in keys {
            let ev = crossterm::event::KeyEvent::new(k, crossterm::event::KeyModifiers::NONE);
            let cmds = sagetop::app::update(&mut st, sagetop::app::Action::Key(ev), h.clock.now());
            assert!(cmds.is_empty(), "{input}: nothing is sent");
        }
        let Some(Dialog::Copies(d)) = &st.ops.dialog else {
            panic!("{input}: {:?}", st.ops.dialog)
        };
        let m = d.message.clone().unwrap_or_default();
        assert!(m.contains(needle), "{input}: {m}");
    }
    // 0 copies is allowed by the API (CopyCount minimum 0); the confirm says what it means.
    h.type_str("0");
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.state.ops.dialog else {
        panic!("{:?}", h.state.ops.dialog)
    };
    assert!(
        c.notes.iter().any(|n| n.contains("serves no requests")),
        "{:?}",
        c.notes
    );
    h.key(KeyCode::Esc);
    assert!(h.state.ops.dialog.is_none());
    assert!(h.audit_lines().is_empty(), "cancelled: nothing sent");
}

use sagetop::clock::Clock;

#[tokio::test]
async fn read_only_hides_the_key_and_the_boundary_refuses_the_call() {
    let mut h = Harness::read_only().await;
    assert!(
        h.state
            .keymap
            .bindings
            .iter()
            .all(|b| b.action != KeyAction::Copies),
        "no copies key in a read-only session"
    );
    open_detail(&mut h);
    h.key(KeyCode::Char('c'));
    assert!(h.state.ops.dialog.is_none());
    // Below the UI: the read-only backend refuses before anything reaches the account.
    let c = component(&h, "llama-3-8b-chat").await;
    let out = h
        .executor
        .service()
        .execute(WriteJob {
            id: 1,
            request: copies_request(LLM, &c.name, c.current_copies.unwrap() + 1),
            origin: Origin::User,
        })
        .await;
    match out {
        WriteOutcome::Failed(BackendError::ReadOnly { .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        component(&h, &c.name).await.desired_copies,
        c.desired_copies
    );
    assert_eq!(h.audit_lines()[0]["outcome"], "refused");
}

/// Loses the response of the first UpdateInferenceComponentRuntimeConfig, after it applied.
struct LoseFirstCopies {
    calls: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl Layer for LoseFirstCopies {
    type Carry = bool;

    async fn before(&self, call: &Call<'_>) -> BackendResult<bool> {
        if !matches!(call, Call::UpdateComponentCopies { .. }) {
            return Ok(false);
        }
        Ok(self.calls.fetch_add(1, Ordering::SeqCst) == 0)
    }

    async fn after(&self, _: &Call<'_>, lose: bool, mut reply: Reply<'_>) {
        if lose && reply.is_ok() {
            reply.fail(BackendError::Timeout {
                operation: Operation::UpdateInferenceComponentRuntimeConfig,
                seconds: 60,
            });
        }
    }
}

#[tokio::test]
async fn a_lost_copies_response_is_described_and_not_sent_again() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let mut h = Harness::build(false, move |sim| {
        Arc::new(LoseFirstCopies { calls: c }.over(sim))
    })
    .await;
    open_detail(&mut h);
    h.key(KeyCode::Char('c'));
    h.key(KeyCode::Up);
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('y'));
    h.settle().await;
    assert_eq!(calls.load(Ordering::SeqCst), 1, "no blind retry");
    let audit = h.audit_lines();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["outcome"], "no-response");
    assert!(
        audit[0]["detail"]
            .as_str()
            .unwrap()
            .contains("DescribeInferenceComponent shows the new copy count"),
        "{}",
        audit[0]
    );
    assert!(
        h.until(600, 30, |h| !h.state.ops.writes.contains_key(LLM))
            .await
    );
    assert!(h.notice().contains("is InService with"), "{}", h.notice());
}

/// The simulated account registers llama-3-8b-chat's copies with Application Auto Scaling
/// (1–8): a count outside that range is refused in the dialog and nothing is sent; a count
/// inside it goes to review.
#[tokio::test]
async fn a_count_outside_the_registered_copy_range_is_refused() {
    let mut h = Harness::new().await;
    let llama = "llama-3-8b-chat";
    let scaling = h.state.autoscaling.components.get(llama).cloned();
    assert_eq!(
        scaling.as_ref().and_then(|s| s.range),
        Some((1, 8)),
        "{scaling:?}"
    );
    open_detail(&mut h);
    h.key(KeyCode::Char('c'));
    while let Some(Dialog::Copies(d)) = &h.state.ops.dialog
        && d.component() != llama
    {
        h.key(KeyCode::Right);
    }
    for (input, refused) in [("9", true), ("0", true), ("12", true), ("8", false)] {
        let mut st = h.state.clone();
        let mut keys = vec![KeyCode::Backspace; 4];
        keys.extend(input.chars().map(KeyCode::Char));
        keys.push(KeyCode::Enter);
        for k in keys {
            let ev = crossterm::event::KeyEvent::new(k, crossterm::event::KeyModifiers::NONE);
            let cmds = sagetop::app::update(&mut st, sagetop::app::Action::Key(ev), h.clock.now());
            assert!(cmds.is_empty(), "{input}: nothing is sent");
        }
        match (&st.ops.dialog, refused) {
            (Some(Dialog::Copies(d)), true) => {
                let m = d.message.clone().unwrap_or_default();
                assert!(
                    m.contains(&format!(
                        "{input} is outside the autoscaling range 1–8 of {llama}"
                    )),
                    "{input}: {m}"
                );
            }
            (Some(Dialog::Confirm(c)), false) => {
                assert!(
                    c.notes
                        .iter()
                        .any(|n| n.contains("autoscaling range 1–8 copies")),
                    "{:?}",
                    c.notes
                );
            }
            (other, _) => panic!("{input}: {other:?}"),
        }
    }
    assert!(h.audit_lines().is_empty(), "nothing sent");
}
