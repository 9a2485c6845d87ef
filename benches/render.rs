//! Render benchmark: the endpoints view of 1,000+ simulated endpoints at 200×50
//! (target: median under 2 ms per frame), plus the detail view and a scrolled selection.

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagetop::app::{Action, AppState, View, update};
use sagetop::screenshots::{FIXTURE_SEED, fixture_state, two_variant_endpoint};
use sagetop::theme::Theme;

fn fleet(extra: usize) -> AppState {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(fixture_state(FIXTURE_SEED, extra))
}

fn bench_render(c: &mut Criterion) {
    let theme = Theme::default_theme();
    let state = fleet(1000);
    assert!(
        state.endpoints.len() >= 1000,
        "only {} endpoints",
        state.endpoints.len()
    );
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");

    c.bench_function("endpoints view, 1000 endpoints, 200x50", |b| {
        b.iter(|| {
            terminal
                .draw(|f| sagetop::ui::render(f, &state, &theme))
                .expect("draw");
        });
    });

    let mut middle = state.clone();
    let now = middle.now;
    for _ in 0..10 {
        update(&mut middle, Action::PageDown, now);
    }
    update(&mut middle, Action::RunCommand(":sort cpu".into()), now);
    c.bench_function(
        "endpoints view, 1000 endpoints, sorted by cpu, scrolled, 200x50",
        |b| {
            b.iter(|| {
                terminal
                    .draw(|f| sagetop::ui::render(f, &middle, &theme))
                    .expect("draw");
            });
        },
    );

    let mut detail = state.clone();
    if let Some(name) = two_variant_endpoint(&detail) {
        detail.view = View::Detail { endpoint: name };
    }
    c.bench_function("detail view, 200x50", |b| {
        b.iter(|| {
            terminal
                .draw(|f| sagetop::ui::render(f, &detail, &theme))
                .expect("draw");
        });
    });
}

criterion_group!(benches, bench_render);
criterion_main!(benches);
