//! SVG screenshots of the real rendering code: fixture state from the simulated account,
//! drawn into `TestBackend` buffers and written cell by cell as SVG.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use crate::app::runs::RunsCommand;
use crate::app::{Action, AppState, Command, Overlay, update};
use crate::boundary::SharedBackend;
use crate::clock::Clock;
use crate::load::console::LoadRunner;
use crate::theme::Theme;

pub mod hosting;
mod svg;
use svg::write_svg;
pub use svg::{buffer_to_svg, xml_escape};

pub use crate::fixture::{FIXTURE_RUN, FIXTURE_SEED, Fixture};

/// The fixture state ([`Fixture::new`]) four seconds later, so ages on screen read "4s ago".
pub async fn fixture_state(seed: u64, extra: usize) -> AppState {
    let mut f = Fixture::new(seed, extra).await;
    let later = f.state.now + chrono::Duration::seconds(4);
    crate::app::update(&mut f.state, crate::app::Action::Tick, later);
    f.state
}

/// The detail screenshot's subject: a two-variant endpoint, preferring one with autoscaling
/// registered and recent scaling activities (then the first by name).
pub fn two_variant_endpoint(state: &AppState) -> Option<String> {
    let score = |name: &str| {
        let targets = state
            .autoscaling
            .config
            .get(name)
            .map_or(0, |c| c.iter().filter(|v| v.target.is_some()).count());
        let activities = state.autoscaling.activities.get(name).map_or(0, Vec::len);
        (targets.min(1), activities.min(1))
    };
    state
        .endpoints
        .iter()
        .filter(|e| e.variants.len() == 2)
        .map(|e| e.name.as_str())
        .max_by(|a, b| score(a).cmp(&score(b)).then_with(|| b.cmp(a)))
        .map(str::to_string)
}

/// The state drawn by the real renderer on a `width`×`height` test terminal, after a resize
/// to that size went through `update` (as the runtime does). Screen tests snapshot this.
pub fn screen(state: &AppState, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut state = state.clone();
    let now = state.now;
    update(&mut state, Action::Resize(width, height), now);
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).expect("test backend never fails");
    terminal
        .draw(|f| crate::ui::render(f, &state, &Theme::default_theme()))
        .expect("test backend never fails");
    terminal
}

/// Draws the state with the real renderer into a `width`×`height` buffer.
pub fn draw(state: &AppState, theme: &Theme, width: u16, height: u16) -> Buffer {
    let mut state = state.clone();
    state.size = (width, height);
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).expect("test backend never fails");
    terminal
        .draw(|f| crate::ui::render(f, &state, theme))
        .expect("test backend never fails");
    terminal.backend().buffer().clone()
}

fn key(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// A fixture with the detail of `endpoint` open and its charts fetched over `window`.
async fn detail(endpoint: &str, window: &str) -> Fixture {
    let mut f = Fixture::new(FIXTURE_SEED, 0).await;
    f.command(&format!(":ep {endpoint}")).await;
    f.command(&format!(":window {window}")).await;
    f.settle();
    f
}

/// A real load run, a few seconds into it: the console's `b` dialog accepted as offered,
/// then the run carried out by the console's own `LoadRunner` through the simulated
/// runtime server (SDK client, loopback HTTP), its live snapshots applied to the state.
async fn live_load_run(endpoint: &str, for_how_long: Duration) -> std::io::Result<AppState> {
    let mut f = Fixture::new(FIXTURE_SEED, 0).await;
    f.command(&format!(":ep {endpoint}")).await;
    let now = f.clock.now();
    update(&mut f.state, key(KeyCode::Char('b')), now);
    update(&mut f.state, key(KeyCode::Enter), now);
    let cmds = update(&mut f.state, key(KeyCode::Char('y')), now);
    let Some(Command::Runs(start @ RunsCommand::Start(_))) = cmds.into_iter().next() else {
        return Err(std::io::Error::other(
            "the load-run dialog did not start a run",
        ));
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let backend: SharedBackend = f.sim.clone();
    let mut runner = LoadRunner::new(
        backend,
        Arc::new(f.clock.clone()),
        crate::load::console::LoadSetup {
            demo: true,
            aws: None,
        },
        tx,
    );
    runner.handle(start).await;
    let deadline = tokio::time::Instant::now() + for_how_long;
    while let Ok(Some(action)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        update(&mut f.state, action, now);
    }
    runner.shutdown().await;
    if f.state
        .runs
        .active
        .as_ref()
        .is_none_or(|a| a.progress.is_none())
    {
        return Err(std::io::Error::other("the load run sent no progress"));
    }
    f.settle();
    Ok(f.state)
}

/// Writes every screenshot as SVG into `out_dir` and returns their paths: the endpoints
/// view (160×45 and 80×24), an endpoint detail with charts (160×45 and 80×24), the events
/// view, the quotas view, the weights dialog, a live load run, help, an LLM endpoint's
/// inference components, a canary deployment baking, the logs tail, and two accounts.
pub async fn write_all(out_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let theme = Theme::default_theme();
    let state = fixture_state(FIXTURE_SEED, 0).await;
    let subject = two_variant_endpoint(&state).unwrap_or_else(|| "recommender-ranking".into());

    let detail_24h = detail(&subject, "24h").await.state;
    let detail_1h = detail(&subject, "1h").await.state;
    let mut events = Fixture::new(FIXTURE_SEED, 0).await;
    events.command(":events").await;
    events.settle();
    let mut quotas = Fixture::new(FIXTURE_SEED, 0).await;
    quotas.command(":quotas").await;
    quotas.settle();
    let mut weights = Fixture::new(FIXTURE_SEED, 0).await;
    weights.command(&format!(":ep {subject}")).await;
    weights.settle();
    weights.act(key(KeyCode::Char('w'))).await;
    let load = live_load_run("churn-predictor", Duration::from_secs(3)).await?;
    let mut help = state.clone();
    help.overlay = Overlay::Help { scroll: 0 };
    let components = hosting::hosting_detail(hosting::LLM).await;
    let deployment = hosting::deployment_detail().await;
    let logs = hosting::logs_view().await;
    let accounts = hosting::two_accounts().await;

    let shots: [(&str, &AppState, u16, u16, &str); 14] = [
        (
            "endpoints-160x45.svg",
            &state,
            160,
            45,
            "sagetop: endpoints view, 160x45",
        ),
        (
            "endpoints-80x24.svg",
            &state,
            80,
            24,
            "sagetop: endpoints view, 80x24",
        ),
        (
            "detail-160x45.svg",
            &detail_24h,
            160,
            45,
            "sagetop: endpoint detail with charts, 160x45",
        ),
        (
            "detail-80x24.svg",
            &detail_1h,
            80,
            24,
            "sagetop: endpoint detail, 80x24",
        ),
        (
            "events-160x45.svg",
            &events.state,
            160,
            45,
            "sagetop: CloudTrail events, 160x45",
        ),
        (
            "quotas-160x45.svg",
            &quotas.state,
            160,
            45,
            "sagetop: service quotas, 160x45",
        ),
        (
            "weights-100x30.svg",
            &weights.state,
            100,
            30,
            "sagetop: traffic weights dialog, 100x30",
        ),
        (
            "load-run-160x45.svg",
            &load,
            160,
            45,
            "sagetop: live load run, 160x45",
        ),
        (
            "load-run-80x24.svg",
            &load,
            80,
            24,
            "sagetop: live load run, 80x24",
        ),
        ("help-100x30.svg", &help, 100, 30, "sagetop: help, 100x30"),
        (
            "components-160x45.svg",
            &components,
            160,
            45,
            "sagetop: an LLM endpoint's inference components, 160x45",
        ),
        (
            "deployment-160x45.svg",
            &deployment,
            160,
            45,
            "sagetop: a blue/green canary baking behind its rollback alarm, 160x45",
        ),
        (
            "logs-160x45.svg",
            &logs,
            160,
            45,
            "sagetop: an endpoint's CloudWatch Logs, following, 160x45",
        ),
        (
            "accounts-160x45.svg",
            &accounts,
            160,
            45,
            "sagetop: two accounts in two regions in one endpoints view, 160x45",
        ),
    ];
    let mut paths = Vec::new();
    for (file, s, w, h, title) in shots {
        paths.push(write_svg(out_dir, file, &draw(s, &theme, w, h), title)?);
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_every_screenshot_with_real_endpoint_names() {
        let dir = tempfile::tempdir().unwrap();
        let paths = write_all(dir.path()).await.unwrap();
        assert_eq!(paths.len(), 14);
        let state = fixture_state(FIXTURE_SEED, 0).await;
        let first = state.visible_endpoints()[0].name.clone();
        let two = two_variant_endpoint(&state).expect("the demo fleet has a two-variant endpoint");
        let svg = |file: &str| {
            let p = paths
                .iter()
                .find(|p| p.ends_with(file))
                .unwrap_or_else(|| panic!("{file} written"));
            let text = std::fs::read_to_string(p).unwrap();
            assert!(
                text.starts_with("<svg") && text.trim_end().ends_with("</svg>"),
                "{file}"
            );
            assert!(text.contains("sagetop"), "{file}");
            text
        };
        // Each picture shows what its name says.
        for (file, needles) in [
            ("endpoints-160x45.svg", vec![first.as_str(), "Endpoints"]),
            ("endpoints-80x24.svg", vec![first.as_str()]),
            (
                "detail-160x45.svg",
                vec![two.as_str(), "Charts", "24h window"],
            ),
            ("detail-80x24.svg", vec![two.as_str(), "1h window"]),
            (
                "events-160x45.svg",
                vec!["Events", "UpdateEndpointWeightsAndCapacities"],
            ),
            ("quotas-160x45.svg", vec!["for endpoint usage"]),
            ("weights-100x30.svg", vec!["Traffic weights", "NEW SHARE"]),
            (
                "load-run-160x45.svg",
                vec!["load run #1", "running", "p99", "VariantA", "VariantB"],
            ),
            ("load-run-80x24.svg", vec!["load run #1"]),
            ("help-100x30.svg", vec!["Everywhere"]),
            (
                "components-160x45.svg",
                vec![hosting::LLM, "ml.g5.12xlarge", "copies"],
            ),
            (
                "deployment-160x45.svg",
                vec![hosting::DEPLOYED, "canary", "alarm"],
            ),
            (
                "logs-160x45.svg",
                vec!["logs fraud-detection-xgb", "following", "POST /invocations"],
            ),
            (
                "accounts-160x45.svg",
                vec![
                    "ACCOUNT",
                    "REGION",
                    "111122223333",
                    "111222233334",
                    "eu-west-1",
                ],
            ),
        ] {
            let text = svg(file);
            for n in needles {
                assert!(text.contains(&xml_escape(n)), "{n} missing from {file}");
            }
        }
    }
}
