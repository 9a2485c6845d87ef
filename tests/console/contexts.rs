//! Many accounts and regions in one view: two simulated accounts as two contexts (their own
//! backends keyed `NAME@CONTEXT`, their own services), rows from both with ACCOUNT and REGION
//! columns, writes confirmed and audited with the right account and region and sent to the
//! right account, a context whose credentials fail leaving the other live, `:ctx`, and
//! read-only per profile.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sagetop::app::contexts::Ctx;
use sagetop::app::dialogs::Dialog;
use sagetop::app::state::SessionInfo;
use sagetop::app::{Action, AppState, Panel, Polled, View, update};
use sagetop::boundary::context::{Unconnected, context_of, qualified, qualify};
use sagetop::boundary::{Backend, SharedBackend, read_only};
use sagetop::clock::{Clock, ManualClock, SharedClock, fixture_epoch};
use sagetop::ctx_effects::ContextEffects;
use sagetop::effects::{Effects, SteppedPolls};
use sagetop::screenshots::screen;
use sagetop::sim::SimAccount;
use sagetop::write::{SessionFacts, WriteSetup};
use tokio::sync::mpsc;

use crate::harness::{CHURN, TestClock};

pub(crate) const PROD: &str = "prod/us-east-1";
pub(crate) const STAGING: &str = "staging/eu-west-1";
pub(crate) const PROD_ACCOUNT: &str = "111122223333";
pub(crate) const STAGING_ACCOUNT: &str = "444455556666";

pub(crate) struct Rig {
    pub(crate) clock: ManualClock,
    pub(crate) sims: Vec<Arc<SimAccount>>,
    pub(crate) labels: Vec<&'static str>,
    /// What each context's polls read (a test may swap one for a failing backend).
    pub(crate) backends: Vec<SharedBackend>,
    pub(crate) state: AppState,
    pub(crate) fx: ContextEffects<SteppedPolls>,
    pub(crate) rxs: Vec<mpsc::Receiver<Action>>,
    pub(crate) audit: PathBuf,
    pub(crate) _dir: tempfile::TempDir,
}

impl Rig {
    pub(crate) async fn new(staging_read_only: bool) -> Rig {
        let clock = ManualClock::new(fixture_epoch());
        let shared: SharedClock = Arc::new(TestClock(clock.clone()));
        let sims = vec![
            Arc::new(SimAccount::new(7, shared.clone()).with_account_id(PROD_ACCOUNT)),
            Arc::new(SimAccount::new(8, shared.clone()).with_account_id(STAGING_ACCOUNT)),
        ];
        clock.advance(Duration::from_secs(600));
        let dir = tempfile::tempdir().expect("temp dir");
        let audit = dir.path().join("audit.log");
        let labels = vec![PROD, STAGING];
        let mut backends = Vec::new();
        let mut parts = Vec::new();
        let mut rxs = Vec::new();
        let mut ctxs = Vec::new();
        for (i, label) in labels.iter().enumerate() {
            let (profile, region) = label.split_once('/').unwrap();
            let ro = staging_read_only && i == 1;
            let q: SharedBackend = Arc::new(qualified(*label, sims[i].clone()));
            let b: SharedBackend = if ro { Arc::new(read_only(q)) } else { q };
            let (tx, rx) = mpsc::channel(1024);
            let setup = WriteSetup {
                audit_log: audit.clone(),
                facts: SessionFacts {
                    profile: Some(profile.into()),
                    region: Some(region.into()),
                },
            };
            let executor = Arc::new(setup.executor(b.clone(), shared.clone(), tx.clone()));
            let effects = Effects::stepped(b.clone(), &shared, Some(executor), &tx);
            parts.push((label.to_string(), b.clone(), effects));
            backends.push(b);
            rxs.push(rx);
            let mut c = Ctx::new(*label, Some(profile.into()), region);
            c.read_only = ro;
            c.production = false;
            ctxs.push(c);
        }
        let session = SessionInfo {
            demo: true,
            ..SessionInfo::default()
        };
        let mut state = AppState::new(session, clock.now());
        state.contexts.list = ctxs;
        let mut rig = Rig {
            clock,
            sims,
            labels,
            backends,
            state,
            fx: ContextEffects::stepped(parts),
            rxs,
            audit,
            _dir: dir,
        };
        rig.poll().await;
        rig
    }

    pub(crate) async fn apply(&mut self, action: Action) {
        let cmds = update(&mut self.state, action, self.clock.now());
        for c in cmds {
            let _ = self.fx.run(c).await;
        }
    }

    pub(crate) async fn key(&mut self, code: KeyCode) {
        self.apply(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
            .await;
    }

    pub(crate) async fn command(&mut self, line: &str) {
        self.apply(Action::RunCommand(line.into())).await;
    }

    /// What each context's services reported, wrapped as the runtime wraps it.
    pub(crate) async fn settle(&mut self) {
        for _ in 0..6 {
            tokio::time::sleep(Duration::from_millis(8)).await;
            for i in 0..self.rxs.len() {
                while let Ok(a) = self.rxs[i].try_recv() {
                    let label = self.labels[i].to_string();
                    let wrapped = Action::Ctx {
                        label,
                        action: Box::new(a),
                    };
                    let cmds = update(&mut self.state, wrapped, self.clock.now());
                    for c in cmds {
                        let _ = self.fx.run(c).await;
                    }
                }
            }
        }
    }

    /// Each context's pollers, once: each reads its own backend and knows its own rows.
    pub(crate) async fn poll(&mut self) {
        self.poll_panels(&[
            Panel::Identity,
            Panel::Endpoints,
            Panel::Metrics,
            Panel::Autoscaling,
            Panel::Quotas,
        ])
        .await;
    }

    /// Each context's pollers of `panels`, once.
    pub(crate) async fn poll_panels(&mut self, panels: &[Panel]) {
        for i in 0..self.labels.len() {
            let label = self.labels[i];
            for &panel in panels {
                let eps: Vec<_> = self
                    .state
                    .endpoints
                    .iter()
                    .filter(|e| context_of(&e.name) == Some(label))
                    .cloned()
                    .collect();
                let now = self.clock.now();
                let result = sagetop::poll::fleet::poll_panel(
                    self.backends[i].as_ref(),
                    panel,
                    &eps,
                    None,
                    now,
                )
                .await;
                let polled = Polled {
                    panel,
                    at: now,
                    result,
                    retry_in: None,
                };
                self.apply(Action::Ctx {
                    label: label.into(),
                    action: Box::new(Action::Polled(polled)),
                })
                .await;
            }
        }
    }

    pub(crate) fn text(&self, w: u16, h: u16) -> String {
        screen(&self.state, w, h).backend().to_string()
    }

    pub(crate) fn audit_lines(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.audit)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect()
    }

    pub(crate) fn notice(&self) -> String {
        self.state
            .notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default()
    }
}

pub(crate) fn rows_of(state: &AppState, label: &str) -> usize {
    state
        .endpoints
        .iter()
        .filter(|e| context_of(&e.name) == Some(label))
        .count()
}

#[tokio::test]
async fn two_contexts_show_in_one_view_with_account_and_region_columns() {
    let rig = Rig::new(false).await;
    let s = &rig.state;
    // Rows from both accounts, the same endpoint name kept apart by its context.
    assert!(rows_of(s, PROD) >= 10, "{}", rows_of(s, PROD));
    assert!(rows_of(s, STAGING) >= 10, "{}", rows_of(s, STAGING));
    assert!(s.endpoint(&qualify(CHURN, PROD)).is_some());
    assert!(s.endpoint(&qualify(CHURN, STAGING)).is_some());
    assert_eq!(
        s.contexts.get(PROD).unwrap().account.as_deref(),
        Some(PROD_ACCOUNT)
    );
    assert_eq!(
        s.contexts.get(STAGING).unwrap().account.as_deref(),
        Some(STAGING_ACCOUNT)
    );
    let wide = rig.text(160, 45);
    for want in [
        "ACCOUNT",
        "REGION",
        PROD_ACCOUNT,
        STAGING_ACCOUNT,
        "us-east-1",
        "eu-west-1",
        "2 contexts",
    ] {
        assert!(wide.contains(want), "{want} missing:\n{wide}");
    }
    let churn_rows = wide
        .lines()
        .filter(|l| l.contains(&format!("│{CHURN} ")))
        .count();
    assert_eq!(
        churn_rows, 2,
        "one churn-predictor row per account:\n{wide}"
    );
    insta::assert_snapshot!("two_contexts_160x45", wide);
    // 80 columns: account ids whole, regions as codes, lower-priority columns dropped.
    let narrow = rig.text(80, 24);
    for want in [
        "ACCOUNT",
        "REGION",
        PROD_ACCOUNT,
        STAGING_ACCOUNT,
        "2 contexts",
    ] {
        assert!(narrow.contains(want), "{want} missing:\n{narrow}");
    }
    assert!(
        narrow.contains("use1") && narrow.contains("euw1"),
        "regions abbreviated at 80 columns:\n{narrow}"
    );
    assert!(
        !narrow.contains("1111222…"),
        "account ids are never cut:\n{narrow}"
    );
    insta::assert_snapshot!("two_contexts_80x24", narrow);
}

#[tokio::test]
async fn a_write_is_confirmed_sent_and_audited_in_its_own_account_and_region() {
    let mut rig = Rig::new(false).await;
    let key = qualify(CHURN, STAGING);
    let prod_before = rig.sims[0].describe_endpoint(CHURN).await.unwrap();
    rig.state.selected = Some(key.clone());
    rig.key(KeyCode::Enter).await;
    assert_eq!(
        rig.state.view,
        View::Detail {
            endpoint: key.clone()
        }
    );
    // Only the staging context's pollers watch the detail's endpoint.
    assert_eq!(
        rig.fx.polls(STAGING).unwrap().watched.as_deref(),
        Some(key.as_str())
    );
    assert_eq!(rig.fx.polls(PROD).unwrap().watched, None);
    rig.key(KeyCode::Char('w')).await;
    rig.key(KeyCode::Right).await;
    rig.key(KeyCode::Enter).await;
    let Some(Dialog::Confirm(c)) = &rig.state.ops.dialog else {
        panic!("confirm dialog expected: {:?}", rig.state.ops.dialog);
    };
    assert_eq!(c.endpoint, key);
    let place = format!("account {STAGING_ACCOUNT} (profile staging) · region eu-west-1");
    let text = rig.text(80, 24);
    assert!(
        text.contains(&place),
        "the confirm names the account:\n{text}"
    );
    assert!(text.contains(&format!("EndpointName={CHURN},")), "{text}");
    insta::assert_snapshot!("two_contexts_confirm_80x24", text);
    let wide = rig.text(160, 45);
    assert!(wide.contains(&place), "{wide}");
    insta::assert_snapshot!("two_contexts_confirm_160x45", wide);
    rig.key(KeyCode::Char('y')).await;
    for _ in 0..50 {
        rig.settle().await;
        if !rig.audit_lines().is_empty() {
            break;
        }
    }
    let lines = rig.audit_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let l = &lines[0];
    assert_eq!(l["profile"], "staging");
    assert_eq!(l["region"], "eu-west-1");
    assert_eq!(l["account"], STAGING_ACCOUNT);
    assert_eq!(l["endpoint"], CHURN);
    assert_eq!(l["request"]["EndpointName"], CHURN);
    assert_eq!(l["outcome"], "accepted", "{l}");
    // The staging account took it; the prod account's endpoint of the same name did not.
    let staging = rig.sims[1].describe_endpoint(CHURN).await.unwrap();
    let a = |e: &sagetop::domain::Endpoint| e.variants[0].desired_weight;
    assert_eq!(a(&staging), Some(55.0), "{:?}", staging.variants);
    let prod_after = rig.sims[0].describe_endpoint(CHURN).await.unwrap();
    assert_eq!(a(&prod_after), a(&prod_before));
}

#[tokio::test]
async fn a_context_whose_credentials_fail_degrades_only_its_own_rows() {
    let mut rig = Rig::new(false).await;
    let staging_rows = rows_of(&rig.state, STAGING);
    // The staging session's credentials expire.
    rig.backends[1] = Arc::new(Unconnected {
        profile: Some("staging".into()),
        message: "the SSO session token has expired".into(),
    });
    rig.clock.advance(Duration::from_secs(60));
    rig.poll().await;
    let now = rig.clock.now();
    let s = &rig.state;
    let staging = s.contexts.get(STAGING).unwrap();
    let prod = s.contexts.get(PROD).unwrap();
    assert!(staging.stale());
    assert!(!prod.stale());
    assert_eq!(prod.panels[&Panel::Endpoints].last_ok, Some(now));
    // Its last good rows stay, shown stale; the other account's are fresh.
    assert_eq!(rows_of(s, STAGING), staging_rows);
    let prod_key = qualify(CHURN, PROD);
    assert_eq!(s.metrics.fetched_at.get(&prod_key), Some(&now));
    let staging_key = qualify(CHURN, STAGING);
    assert!(s.metrics.fetched_at.get(&staging_key) < Some(&now));
    assert!(prod.panels[&Panel::Metrics].error.is_none());
    assert!(staging.panels[&Panel::Metrics].error.is_some());
    let text = rig.text(160, 45);
    assert!(text.contains("1 stale"), "{text}");
    assert!(
        text.contains("staging/eu-west-1: credentials"),
        "the failing context and what to do:\n{text}"
    );
    assert!(text.contains(PROD_ACCOUNT) && text.contains(STAGING_ACCOUNT));
    // The header's failures name the context, not just the panel.
    assert!(
        text.contains("staging/eu-west-1 identity: credentials expired (+4 panels)"),
        "{text}"
    );
    insta::assert_snapshot!("one_context_failing_160x45", text);
    let narrow = rig.text(80, 24);
    assert!(narrow.contains("1 stale"), "{narrow}");
    insta::assert_snapshot!("one_context_failing_80x24", narrow);
    // In the detail of a prod endpoint, the panels' freshness is prod's own: staging's
    // expired credentials are not shown as this endpoint's trouble.
    rig.state.view = sagetop::app::View::Detail {
        endpoint: prod_key.clone(),
    };
    let detail = rig.text(160, 45);
    let title = detail.lines().nth(1).unwrap_or_default();
    assert!(title.contains(CHURN) && title.contains("ago"), "{title}");
    assert!(!title.contains("credentials"), "{title}");
    rig.state.view = sagetop::app::View::Detail {
        endpoint: staging_key.clone(),
    };
    let detail = rig.text(160, 45);
    let title = detail.lines().nth(1).unwrap_or_default();
    assert!(title.contains("credentials"), "{title}");
}

#[tokio::test]
async fn ctx_filters_to_one_context_and_all_brings_every_one_back() {
    let mut rig = Rig::new(false).await;
    let all = rig.state.visible_endpoints().len();
    let staging = rows_of(&rig.state, STAGING);
    rig.command(":ctx staging").await;
    let shown: Vec<String> = rig
        .state
        .visible_endpoints()
        .iter()
        .map(|e| e.name.clone())
        .collect();
    assert_eq!(shown.len(), staging);
    assert!(shown.iter().all(|k| context_of(k) == Some(STAGING)));
    assert_eq!(rig.state.contexts.filter.as_deref(), Some(STAGING));
    // The selection follows into the context shown.
    assert_eq!(
        rig.state.selected.as_deref().and_then(context_of),
        Some(STAGING)
    );
    assert!(rig.text(160, 45).contains("ctx: staging/eu-west-1"));
    rig.command(":ctx all").await;
    assert_eq!(rig.state.visible_endpoints().len(), all);
    rig.command(":ctx us-east-1").await;
    assert_eq!(rig.state.contexts.filter.as_deref(), Some(PROD));
    rig.command(":ctx nowhere").await;
    assert!(
        rig.notice().contains("no context nowhere"),
        "{}",
        rig.notice()
    );
    assert_eq!(rig.state.contexts.filter.as_deref(), Some(PROD));
    // One context's pollers are told only of their own rows on screen.
    rig.command(":ctx all").await;
    let visible = &rig.fx.polls(PROD).unwrap().visible;
    assert!(!visible.is_empty());
    assert!(
        visible.iter().all(|k| context_of(k) == Some(PROD)),
        "{visible:?}"
    );
}

#[tokio::test]
async fn read_only_applies_per_profile() {
    let mut rig = Rig::new(true).await;
    rig.state.selected = Some(qualify(CHURN, STAGING));
    rig.key(KeyCode::Char('w')).await;
    assert!(rig.state.ops.dialog.is_none());
    let n = rig.notice();
    assert!(
        n.contains("read-only") && n.contains(STAGING_ACCOUNT),
        "{n}"
    );
    // The writable profile's endpoint of the same name opens its dialog.
    rig.state.selected = Some(qualify(CHURN, PROD));
    rig.key(KeyCode::Char('w')).await;
    assert!(
        matches!(rig.state.ops.dialog, Some(Dialog::Weights(_))),
        "{:?}",
        rig.state.ops.dialog
    );
}
