//! The screenshots of today's hosting on the simulated account: the LLM endpoint's inference
//! components, a blue/green canary baking behind its rollback alarm, and the logs tail — each
//! state reached through `update` and the same reads the console's services make.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::deploy::DeployEvent;
use crate::app::logs_view::LogsAction;
use crate::app::{Action, AppState, Command, Panel, Polled, update};
use crate::clock::{Clock, SharedClock};

use super::{FIXTURE_SEED, Fixture};

/// The demo's endpoint with three inference components on one ml.g5.12xlarge variant.
pub const LLM: &str = "llm-chat-components";
/// The demo's endpoint a blue/green canary deployment runs on.
pub const DEPLOYED: &str = "fraud-detection-xgb";

/// The detail of `endpoint` with its hosting read (components, queue, cache) as the
/// console's poller reads it for the endpoint on screen.
pub async fn hosting_detail(endpoint: &str) -> AppState {
    let mut f = Fixture::new(FIXTURE_SEED, 0).await;
    f.command(&format!(":ep {endpoint}")).await;
    let now = f.clock.now();
    let result = crate::poll::fleet::poll_panel(
        f.sim.as_ref(),
        Panel::Autoscaling,
        &f.state.endpoints,
        Some(endpoint),
        now,
    )
    .await;
    f.act(Action::Polled(Polled {
        panel: Panel::Autoscaling,
        at: now,
        result,
        retry_in: None,
    }))
    .await;
    f.settle();
    f.state
}

/// The detail of [`DEPLOYED`] while the demo's canary bakes: strategy, phase, bake time left
/// and the rollback alarms, read as the deployment poller reads them.
pub async fn deployment_detail() -> AppState {
    let mut f = Fixture::new(FIXTURE_SEED, 0).await;
    f.sim.start_demo_deployment();
    // Read again, as the pollers would: the endpoint is Updating now.
    let session = f.state.session.clone();
    f.state = crate::effects::prime_state(f.sim.as_ref(), &f.clock, session).await;
    f.command(&format!(":ep {DEPLOYED}")).await;
    let now = f.clock.now();
    let snap = crate::poll::deploy::read(f.sim.as_ref(), DEPLOYED, now).await;
    f.act(Action::from(DeployEvent::Polled {
        endpoint: DEPLOYED.into(),
        at: now,
        result: snap.map(Box::new),
    }))
    .await;
    f.settle();
    f.state
}

/// `l` on [`DEPLOYED`]'s detail: the first page of its CloudWatch Logs, following.
pub async fn logs_view() -> AppState {
    let mut f = Fixture::new(FIXTURE_SEED, 0).await;
    f.command(&format!(":ep {DEPLOYED}")).await;
    let now = f.clock.now();
    let key = Action::Key(KeyEvent::new(KeyCode::Char('l'), KeyModifiers::NONE));
    let clock: SharedClock = Arc::new(f.clock.clone());
    let mut pending = update(&mut f.state, key, now);
    // Each read answered in turn, as the tail's task would answer it.
    for _ in 0..4 {
        let reads: Vec<_> = pending
            .drain(..)
            .filter_map(|c| match c {
                Command::Logs(r) => Some(r),
                _ => None,
            })
            .collect();
        if reads.is_empty() {
            break;
        }
        for r in reads {
            let fetched = crate::logs_tail::read(f.sim.as_ref(), &clock, r).await;
            pending.extend(update(
                &mut f.state,
                Action::Logs(LogsAction::Fetched(fetched)),
                now,
            ));
        }
    }
    f.settle();
    f.state
}

/// The endpoints view over two simulated accounts in two regions, as `--demo-accounts 2`
/// opens them (labels `demo1/us-east-1`, `demo2/eu-west-1`): each context keyed by the
/// `Qualify` layer, read by its own pollers, its rows under its ACCOUNT and REGION.
pub async fn two_accounts() -> AppState {
    use crate::app::contexts::Ctx;
    use crate::open_contexts::{DEMO_REGIONS, demo_account_id};

    let f = Fixture::new(FIXTURE_SEED, 0).await;
    let clock: SharedClock = Arc::new(f.clock.clone());
    let mut state = f.state.clone();
    state.endpoints.clear();
    let mut backends = Vec::new();
    for (i, region) in DEMO_REGIONS.iter().take(2).enumerate() {
        let sim = Arc::new(
            crate::sim::SimAccount::with_extra_endpoints(
                FIXTURE_SEED + i as u64,
                clock.clone(),
                2 * i,
            )
            .with_account_id(demo_account_id(i)),
        );
        let label = format!("demo{}/{region}", i + 1);
        let backend: crate::boundary::SharedBackend =
            Arc::new(crate::boundary::context::qualified(label.clone(), sim));
        let mut ctx = Ctx::new(label.clone(), Some(format!("demo{}", i + 1)), *region);
        ctx.account = Some(demo_account_id(i));
        state.contexts.list.push(ctx);
        backends.push((label, backend));
    }
    let now = f.clock.now();
    for (label, backend) in &backends {
        for panel in [
            Panel::Identity,
            Panel::Endpoints,
            Panel::Metrics,
            Panel::Autoscaling,
        ] {
            let own: Vec<_> = state
                .endpoints
                .iter()
                .filter(|e| crate::boundary::context::context_of(&e.name) == Some(label.as_str()))
                .cloned()
                .collect();
            let result =
                crate::poll::fleet::poll_panel(backend.as_ref(), panel, &own, None, now).await;
            let polled = Action::Polled(Polled {
                panel,
                at: now,
                result,
                retry_in: None,
            });
            update(
                &mut state,
                Action::Ctx {
                    label: label.clone(),
                    action: Box::new(polled),
                },
                now,
            );
        }
    }
    let later = now + chrono::Duration::seconds(4);
    update(&mut state, Action::Tick, later);
    state.notice = None;
    state
}
