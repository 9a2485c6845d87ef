//! Screen snapshots of the detail's Hosting section on the simulated account (seed 7, fixture
//! clock run 10 minutes) at 80×24 and 160×45: the LLM endpoint's inference components, the
//! async endpoint's queue and the multi-model endpoint's cache, with asserts beside them.

use sagetop::app::View;
use sagetop::fixture::FIXTURE_SEED;
use sagetop::screenshots::screen;

const LLM: &str = "llm-chat-components";
const ASYNC: &str = "doc-ocr-async";
const MME: &str = "tenant-churn-mme";

/// The detail of `name`, with the hosting read the poller makes for the endpoint on screen
/// (models and hosting metrics), four seconds later: the README screenshots' own state.
fn detail(name: &str) -> sagetop::app::AppState {
    let s = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(sagetop::screenshots::hosting::hosting_detail(name));
    assert_eq!(
        s.view,
        View::Detail {
            endpoint: name.into()
        }
    );
    s
}

fn text(t: &ratatui::Terminal<ratatui::backend::TestBackend>) -> String {
    let b = t.backend().buffer();
    let w = b.area.width as usize;
    b.content
        .chunks(w)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn llm_components_80x24() {
    let s = detail(LLM);
    let t = screen(&s, 80, 24);
    let x = text(&t);
    assert!(x.contains("Hosting"), "{x}");
    assert!(x.contains("3 inference components, copies"), "{x}");
    assert!(x.contains("COMPONENT") && x.contains("COPIES"), "{x}");
    // Each component's registered copy range and policy, read from Application Auto Scaling.
    assert!(
        x.contains("llama-3-8b-chat  copies 1–8 · target InvocationsPerCopy 40.0"),
        "{x}"
    );
    assert!(
        x.contains("mistral-7b-summarize  copies 1–4 · target InvocationsPerCopy 30.0"),
        "{x}"
    );
    assert!(
        x.contains("bge-reranker  no copy autoscaling registered"),
        "{x}"
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn llm_components_160x45() {
    let s = detail(LLM);
    let t = screen(&s, 160, 45);
    let x = text(&t);
    assert!(x.contains("3 inference components, copies"), "{x}");
    for c in &s.autoscaling.hosting[LLM].components {
        assert!(x.contains(&c.name), "{} missing:\n{x}", c.name);
    }
    assert!(
        x.contains("MODEL") && x.contains("GPU%"),
        "wide columns:\n{x}"
    );
    assert!(x.contains("c copies"), "the copies key in the footer:\n{x}");
    assert!(
        x.contains("llama-3-8b-chat  copies 1–8 · target InvocationsPerCopy 40.0"),
        "{x}"
    );
    // Every metric the detail reads for a component, normalized utilization included, and
    // the invocations-per-copy trend of the last minutes.
    for h in ["INV/MIN", "CONC/CP", "CPU%", "GPU%", "GMEM%", "INV/CP 12m"] {
        assert!(x.contains(h), "{h} missing:\n{x}");
    }
    let llama = x
        .lines()
        .find(|l| l.starts_with("llama-3-8b-chat "))
        .expect("llama row");
    assert!(
        llama.chars().filter(|c| ('▁'..='█').contains(c)).count() >= 10,
        "a trend of the last minutes: {llama}"
    );
    insta::assert_snapshot!(t.backend());
}

/// The footer's `c copies` hint: on the LLM endpoint's detail (it hosts inference
/// components), not on a classic endpoint's detail nor on the endpoints list.
#[test]
fn the_copies_hint_shows_only_where_the_endpoint_hosts_components() {
    let labels = |s: &sagetop::app::AppState| -> Vec<&'static str> {
        sagetop::app::keys::footer(s)
            .into_iter()
            .map(|(_, l)| l)
            .collect()
    };
    let llm = detail(LLM);
    assert!(labels(&llm).contains(&"copies"), "{:?}", labels(&llm));
    let x = text(&screen(&llm, 160, 45));
    assert!(x.contains("c copies"), "{x}");

    let classic = detail("fraud-detection-xgb");
    assert!(
        !labels(&classic).contains(&"copies"),
        "{:?}",
        labels(&classic)
    );
    // The other detail keys stay.
    assert!(
        labels(&classic).contains(&"scale"),
        "{:?}",
        labels(&classic)
    );
    let x = text(&screen(&classic, 160, 45));
    assert!(x.contains("s scale"), "{x}");
    assert!(!x.contains("c copies"), "{x}");
    // The keymap itself still lists the key for the scope (help shows it).
    assert!(
        classic
            .keymap
            .footer(sagetop::app::Scope::Detail)
            .iter()
            .any(|(_, l)| *l == "copies")
    );
}

#[test]
fn async_queue_80x24() {
    let s = detail(ASYNC);
    let t = screen(&s, 80, 24);
    let x = text(&t);
    assert!(x.contains("async"), "{x}");
    assert!(x.contains("backlog"), "{x}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn async_queue_160x45() {
    let s = detail(ASYNC);
    let t = screen(&s, 160, 45);
    let x = text(&t);
    assert!(x.contains("async backlog"), "{x}");
    assert!(x.contains("oldest"), "{x}");
    assert!(
        x.contains("output s3://acme-ml-async/doc-ocr/output/"),
        "{x}"
    );
    // The step policy that scales it out of zero is named by its alarm, not read as a
    // target-tracking policy without a target.
    assert!(
        x.contains("on alarm doc-ocr-async-HasBacklogWithoutCapacity"),
        "{x}"
    );
    assert!(!x.contains("no target"), "{x}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn multi_model_cache_80x24() {
    let s = detail(MME);
    let t = screen(&s, 80, 24);
    let x = text(&t);
    assert!(x.contains("multi-model"), "{x}");
    // The line wraps at 80 columns and the section is tall enough for both rows.
    assert!(x.contains("unloading"), "{x}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn multi_model_cache_160x45() {
    let s = detail(MME);
    let t = screen(&s, 160, 45);
    let x = text(&t);
    assert!(x.contains("models loaded, cache hit"), "{x}");
    assert!(!x.contains("cache hit -"), "a cache hit figure:\n{x}");
    insta::assert_snapshot!(t.backend());
}

/// The fixture's endpoints list (hosting read with the fleet, as the poller reads it).
fn list() -> sagetop::app::AppState {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(sagetop::screenshots::fixture_state(FIXTURE_SEED, 0))
}

fn row<'a>(x: &'a str, name: &str) -> &'a str {
    x.lines()
        .find(|l| l.contains(name))
        .unwrap_or_else(|| panic!("{name} not listed:\n{x}"))
}

#[test]
fn the_endpoints_list_shows_hosting_at_a_glance_in_80_columns() {
    let s = list();
    let x = text(&screen(&s, 80, 24));
    assert!(row(&x, "NAME").contains("HOST"), "{x}");
    assert!(
        row(&x, LLM).contains("IC 7/7"),
        "copies running/wanted:\n{x}"
    );
    assert!(row(&x, ASYNC).contains("ASYNC*"), "a backlog:\n{x}");
    assert!(row(&x, MME).contains("MME"), "{x}");
    assert!(row(&x, "support-intent").contains("SVRLS"), "{x}");
    assert!(
        !row(&x, "churn-predictor").contains("IC"),
        "classic: blank\n{x}"
    );
    // The 5XX% and CPU% columns stay at 80 columns.
    assert!(
        row(&x, "NAME").contains("5XX%") && row(&x, "NAME").contains("CPU%"),
        "{x}"
    );
}

#[test]
fn backlog_without_capacity_and_copies_changing_are_marked() {
    use sagetop::domain::*;
    let mut s = list();
    let at = s.now;
    let key = SeriesKey::new(
        ASYNC,
        "",
        MetricName::HasBacklogWithoutCapacity,
        Statistic::Maximum,
    );
    s.autoscaling.hosting_metrics.insert(
        ASYNC.into(),
        vec![MetricSeries {
            key,
            points: vec![Datapoint { at, value: 1.0 }],
            status: SeriesStatus::Complete,
        }],
    );
    let llm = s.autoscaling.hosting.get_mut(LLM).unwrap();
    llm.components[0].desired_copies = Some(llm.components[0].desired_copies.unwrap() + 2);
    llm.components[0].status = Some(ComponentStatus::Updating);
    let x = text(&screen(&s, 80, 24));
    assert!(row(&x, ASYNC).contains("ASYNC!"), "{x}");
    assert!(row(&x, LLM).contains("IC 7/9"), "{x}");
    // No hosting read at all: no column.
    s.autoscaling.hosting.clear();
    let x = text(&screen(&s, 80, 24));
    assert!(!row(&x, "NAME").contains("HOST"), "{x}");
}
