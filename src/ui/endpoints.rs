//! The endpoints view: one row per visible endpoint, columns degrading by priority with width,
//! only the rows on screen formatted, the selection kept in view.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState, Wrap};

use super::columns::{self, ColumnSpec, Fitted};
use super::format::{self, MISSING, opt};
use crate::app::figures::EndpointFigures;
use crate::app::{AppState, Column, Panel};
use crate::domain::{Endpoint, EndpointStatus, percentages};
use crate::theme::Theme;

/// Metrics whose newest datapoint is older than this are shown as stale.
pub const STALE_METRICS_SECS: i64 = 5 * 60;

/// The theme role of an endpoint status.
pub fn status_style(status: EndpointStatus, theme: &Theme) -> Style {
    match status {
        EndpointStatus::InService => theme.ok,
        EndpointStatus::Creating | EndpointStatus::Updating | EndpointStatus::SystemUpdating => {
            theme.info
        }
        EndpointStatus::RollingBack | EndpointStatus::Deleting => theme.warning,
        EndpointStatus::Failed
        | EndpointStatus::UpdateRollbackFailed
        | EndpointStatus::OutOfService => theme.danger,
    }
}

/// Role of a 5XX share: ≥ 5% danger, ≥ 1% warning.
pub fn error_rate_style(rate: Option<f64>, theme: &Theme) -> Style {
    match rate {
        Some(r) if r >= 0.05 => theme.danger,
        Some(r) if r >= 0.01 => theme.warning,
        _ => Style::default(),
    }
}

/// "2/3" instances current/desired, "srvless" when every variant is serverless.
pub fn instances_text(e: &Endpoint) -> String {
    if e.is_serverless() {
        return "srvless".into();
    }
    match (e.current_instances(), e.desired_instances()) {
        (Some(c), Some(d)) => format!("{c}/{d}"),
        (Some(c), None) => c.to_string(),
        (None, Some(d)) => format!("-/{d}"),
        (None, None) => MISSING.into(),
    }
}

/// Normalized traffic shares: "100", "50/50", "90/10", "67/33".
pub fn weights_text(e: &Endpoint) -> String {
    if e.variants.is_empty() {
        return MISSING.into();
    }
    let w: Vec<f64> = e.variants.iter().map(|v| v.effective_weight()).collect();
    percentages(&w)
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether this endpoint's metrics on screen are older than they should be.
fn metrics_stale(state: &AppState, e: &Endpoint) -> bool {
    // With several contexts, only a failure of the row's own context's metrics counts.
    let failing = match state.contexts.of(&e.name) {
        Some(c) if state.contexts.multi() => c
            .panels
            .get(&Panel::Metrics)
            .is_some_and(|h| h.error.is_some()),
        _ => state.health(Panel::Metrics).error.is_some(),
    };
    if failing {
        return true;
    }
    let newest = e
        .variants
        .iter()
        .filter_map(|v| state.variant_metrics(&e.name, &v.name)?.at)
        .max();
    newest.is_some_and(|at| (state.now - at).num_seconds() > STALE_METRICS_SECS)
}

/// Columns of the endpoints view (the sortable ones map to [`Column`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum C {
    Name,
    Account,
    Region,
    Status,
    Variants,
    Type,
    Instances,
    Hosting,
    Weights,
    Invocations,
    Latency,
    P99,
    Errors,
    Cpu,
    Changed,
}

impl C {
    fn sort_column(self) -> Option<Column> {
        Some(match self {
            C::Name => Column::Name,
            C::Status => Column::Status,
            C::Variants => Column::Variants,
            C::Instances => Column::Instances,
            C::Weights => Column::Weights,
            C::Invocations => Column::Invocations,
            C::Latency => Column::Latency,
            C::Errors => Column::Errors,
            C::Cpu => Column::Cpu,
            C::Changed => Column::Changed,
            C::Type | C::P99 | C::Hosting | C::Account | C::Region => return None,
        })
    }
}

/// Distinct instance types of the variants ("ml.c5.xlarge", "ml.g5.xlarge+ml.m5.large"),
/// "srvless" for serverless variants.
pub fn types_text(e: &Endpoint) -> String {
    let mut types: Vec<&str> = Vec::new();
    for v in &e.variants {
        let t = if v.serverless.is_some() {
            "srvless"
        } else {
            v.instance_type.as_deref().unwrap_or(MISSING)
        };
        if !types.contains(&t) {
            types.push(t);
        }
    }
    if types.is_empty() {
        MISSING.into()
    } else {
        types.join("+")
    }
}

fn types_width(e: &Endpoint) -> usize {
    // types_text(e) width without allocating (instance types are ASCII).
    fn label(v: &crate::domain::Variant) -> &str {
        if v.serverless.is_some() {
            "srvless"
        } else {
            v.instance_type.as_deref().unwrap_or(MISSING)
        }
    }
    let mut n = 0;
    for (i, v) in e.variants.iter().enumerate() {
        let t = label(v);
        if e.variants[..i].iter().all(|p| label(p) != t) {
            n += t.len() + usize::from(n > 0);
        }
    }
    n.max(1)
}

/// How an endpoint is hosted, at a glance: "IC 5/7" (inference components: copies running /
/// wanted), "ASYNC" ("ASYNC*" with a backlog, "ASYNC!" with a backlog and no instance to run
/// it: HasBacklogWithoutCapacity), "SVRLS", "MME"; `None` for classic endpoints or hosting
/// not read yet.
pub fn hosting_text(state: &AppState, e: &Endpoint, theme: &Theme) -> Option<(String, Style)> {
    use crate::domain::{HostingKind, MetricName};
    let h = state.autoscaling.hosting.get(&e.name)?;
    let kind = h.kind();
    Some(match kind {
        HostingKind::Classic => return None,
        HostingKind::Components => {
            let (cur, want) = h.copies();
            let scaling = h.components.iter().any(|c| c.is_scaling());
            (
                format!("IC {cur}/{want}"),
                if scaling {
                    theme.warning
                } else {
                    Style::default()
                },
            )
        }
        HostingKind::Async => {
            let series = state.autoscaling.hosting_metrics.get(&e.name);
            let latest = |m| series.and_then(|s| crate::poll::hosting::latest(s, None, "", m));
            let backlog = latest(MetricName::ApproximateBacklogSize).unwrap_or(0.0);
            let stuck = latest(MetricName::HasBacklogWithoutCapacity).unwrap_or(0.0) >= 1.0;
            if stuck {
                ("ASYNC!".into(), theme.danger)
            } else if backlog > 0.0 {
                ("ASYNC*".into(), theme.warning)
            } else {
                ("ASYNC".into(), Style::default())
            }
        }
        _ => (kind.tag().to_string(), Style::default()),
    })
}

fn specs(state: &AppState, rows: &[&Endpoint]) -> Vec<ColumnSpec<C>> {
    let name_want = rows
        .iter()
        .map(|e| format::width(crate::boundary::context::plain(&e.name)))
        .max()
        .unwrap_or(0)
        .clamp(4, 64);
    let status_want = rows
        .iter()
        .map(|e| super::detail_deployment::status_text(e).len())
        .max()
        .unwrap_or(6);
    let type_want = rows
        .iter()
        .map(|e| types_width(e))
        .max()
        .unwrap_or(1)
        .min(32);
    let max_variants = rows
        .iter()
        .map(|e| e.variants.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let weights_want = if max_variants == 1 {
        3
    } else {
        3 * max_variants - 1
    };
    let title = |c: C, t: &str| {
        let marker = match c.sort_column() {
            Some(col) if col == state.sort.column => {
                if state.sort.descending {
                    "↓"
                } else {
                    "↑"
                }
            }
            _ => "",
        };
        format!("{t}{marker}")
    };
    let r = Alignment::Right;
    // Shown only when a row is hosted beyond classic variants.
    let hosting_want = rows
        .iter()
        .filter_map(|e| hosting_text(state, e, &Theme::default()))
        .map(|(t, _)| format::width(&t))
        .max();
    let mut status = ColumnSpec::flexible(
        C::Status,
        title(C::Status, "STATUS"),
        status_want,
        status_want,
        0,
    );
    status.min = status.want;
    let mut cols = vec![
        ColumnSpec::flexible(C::Name, title(C::Name, "NAME"), name_want, 19, 0),
        status,
        ColumnSpec::fixed(C::Variants, title(C::Variants, "VAR"), 3, 7, r),
        ColumnSpec::flexible(C::Type, "TYPE", type_want, 12.min(type_want), 9),
        ColumnSpec::fixed(C::Instances, title(C::Instances, "INST"), 7, 3, r),
        ColumnSpec::flexible(C::Hosting, "HOST", hosting_want.unwrap_or(0), 6, 5),
        ColumnSpec::fixed(
            C::Weights,
            title(C::Weights, "WEIGHTS"),
            weights_want.min(11),
            5,
            r,
        ),
        ColumnSpec::fixed(C::Invocations, title(C::Invocations, "INV/MIN"), 6, 2, r),
        ColumnSpec::fixed(C::Latency, title(C::Latency, "LAT MS"), 6, 4, r),
        ColumnSpec::fixed(C::P99, "P99 MS", 6, 10, r),
        ColumnSpec::fixed(C::Errors, title(C::Errors, "5XX%"), 5, 1, r),
        ColumnSpec::fixed(C::Cpu, title(C::Cpu, "CPU%"), 4, 6, r),
        ColumnSpec::fixed(C::Changed, title(C::Changed, "CHANGED"), 7, 8, r),
    ];
    cols.retain(|c| c.key != C::Hosting || hosting_want.is_some());
    // Several accounts or regions: say whose each row is (never dropped; wide screens
    // show them whole, and the other columns drop by rank to make room).
    if state.contexts.multi() {
        let want = |f: &dyn Fn(&Endpoint) -> String| {
            rows.iter().map(|e| format::width(&f(e))).max().unwrap_or(6)
        };
        let account_want = want(&|e| account_text(state, e)).clamp(7, 14);
        let region_want = want(&|e| region_text(state, e)).clamp(6, 14);
        let region_short = want(&|e| format::region_code(&region_text(state, e))).max(6);
        // An account id cut short names nothing: it keeps its width; regions shorten to
        // their codes (eu-west-1 → euw1) on narrow screens.
        let mut account = ColumnSpec::flexible(C::Account, "ACCOUNT", account_want, 7, 0);
        account.min = account.want;
        cols.insert(1, account);
        cols.insert(
            2,
            ColumnSpec::flexible(C::Region, "REGION", region_want, region_short, 0),
        );
    }
    cols
}

/// The account of a row's context (its profile or label until STS answers).
fn account_text(state: &AppState, e: &Endpoint) -> String {
    match state.contexts.of(&e.name) {
        Some(c) => c
            .account
            .clone()
            .or_else(|| c.profile.clone())
            .unwrap_or_else(|| c.label.clone()),
        None => MISSING.into(),
    }
}

fn region_text(state: &AppState, e: &Endpoint) -> String {
    state
        .contexts
        .of(&e.name)
        .map_or_else(|| MISSING.into(), |c| c.region.clone())
}

/// Worst (highest) p99 model latency over the variants.
fn worst_p99(state: &AppState, e: &Endpoint) -> Option<f64> {
    e.variants
        .iter()
        .filter_map(|v| {
            state
                .variant_metrics(&e.name, &v.name)?
                .model_latency_p99_ms
        })
        .fold(None, |acc: Option<f64>, x| {
            Some(acc.map_or(x, |a| a.max(x)))
        })
}

fn row<'a>(
    state: &AppState,
    theme: &Theme,
    fitted: &Fitted<C>,
    e: &Endpoint,
    f: &EndpointFigures,
) -> Row<'a> {
    // A row of a context whose list failed is its last good state: shown stale.
    let describe_failed = state.endpoint_errors.contains_key(&e.name)
        || state.contexts.of(&e.name).is_some_and(|c| c.stale());
    let stale = metrics_stale(state, e);
    let metric_style = if stale { theme.stale } else { Style::default() };
    let cells = fitted.columns.iter().enumerate().map(|(i, c)| {
        let (text, style) = match c.key {
            C::Name => (
                crate::boundary::context::plain(&e.name).to_string(),
                Style::default(),
            ),
            C::Account => (account_text(state, e), theme.muted),
            C::Region => {
                let full = region_text(state, e);
                let w = fitted.widths.get(i).copied().unwrap_or(0) as usize;
                let text = if format::width(&full) > w {
                    format::region_code(&full)
                } else {
                    full
                };
                (text, theme.muted)
            }
            // A blue/green deployment under way (PendingDeploymentSummary) is marked "+bg".
            C::Status => (
                super::detail_deployment::status_text(e),
                status_style(e.status, theme),
            ),
            C::Variants => (e.variants.len().to_string(), Style::default()),
            C::Type => (types_text(e), Style::default()),
            C::Instances => {
                let converging = e.current_instances() != e.desired_instances();
                (
                    instances_text(e),
                    if converging {
                        theme.warning
                    } else {
                        Style::default()
                    },
                )
            }
            C::Hosting => hosting_text(state, e, theme).unwrap_or_default(),
            C::Weights => (weights_text(e), Style::default()),
            C::Invocations => (opt(f.invocations_per_min, format::rate), metric_style),
            C::Latency => (opt(f.model_latency_ms, format::ms), metric_style),
            C::P99 => (opt(worst_p99(state, e), format::ms), metric_style),
            C::Errors => {
                let style = if stale {
                    theme.stale
                } else {
                    error_rate_style(f.error_5xx_rate, theme)
                };
                (opt(f.error_5xx_rate, format::share_pct), style)
            }
            C::Cpu => (opt(f.cpu, format::util), metric_style),
            C::Changed => (
                format::age(state.now, e.last_modified_time),
                Style::default(),
            ),
        };
        fitted.cell(i, &text, style)
    });
    let row = Row::new(cells);
    if describe_failed {
        row.style(theme.stale)
    } else {
        row
    }
}

pub use crate::app::figures::scroll_offset;

fn title<'a>(state: &AppState, theme: &Theme, shown: usize) -> Line<'a> {
    let total = state.endpoints.len();
    let count = if state.filter.is_empty() && state.contexts.filter.is_none() {
        format!("{total}")
    } else {
        format!("{shown} of {total}")
    };
    let mut spans = vec![Span::styled(format!(" Endpoints ({count}) "), theme.title)];
    if !state.filter.is_empty() {
        spans.push(Span::styled(" filter: ", theme.muted));
        spans.push(Span::styled(format!("{} ", state.filter), theme.accent));
    }
    if let Some(ctx) = &state.contexts.filter {
        spans.push(Span::styled(" ctx: ", theme.muted));
        spans.push(Span::styled(format!("{ctx} "), theme.accent));
    }
    spans.push(Span::styled(" sort: ", theme.muted));
    // Titles sit on the border: every span needs its own style or it takes the border's.
    spans.push(Span::styled(
        format!(
            "{} {} ",
            state.sort.column.key(),
            if state.sort.descending { "↓" } else { "↑" }
        ),
        theme.base,
    ));
    if !state.endpoint_errors.is_empty() {
        spans.push(Span::styled(
            format!(" {} describe failed ", state.endpoint_errors.len()),
            theme.stale,
        ));
    }
    // A context whose list failed: its rows are its last good ones; say which and what to do.
    if state.contexts.multi() {
        for c in state.contexts.list.iter().filter(|c| c.stale()) {
            if let Some(e) = c
                .panels
                .get(&Panel::Endpoints)
                .and_then(|h| h.error.as_ref())
            {
                spans.push(Span::styled(
                    format!(" {}: {} — {} ", c.label, e.short(), e.hint()),
                    theme.stale,
                ));
            }
        }
        return Line::from(spans);
    }
    // A list that could not be refreshed says so (and what to do) before anything else.
    for panel in [Panel::Endpoints, Panel::Metrics] {
        let h = state.health(panel);
        if h.error.is_some() && (panel != Panel::Endpoints || h.last_ok.is_some()) {
            let (text, _) = format::panel_freshness(state, panel);
            spans.push(Span::styled(format!(" {text} "), theme.stale));
        }
    }
    Line::from(spans)
}

fn empty_message(state: &AppState, theme: &Theme) -> Vec<Line<'static>> {
    let h = state.health(Panel::Endpoints);
    let region = state
        .session
        .region
        .clone()
        .or_else(|| state.identity.as_ref().map(|i| i.region.clone()))
        .unwrap_or_else(|| "this region".into());
    if h.last_ok.is_none() {
        return match &h.error {
            Some(err) => vec![
                Line::styled(format!("Could not list endpoints: {err}"), theme.danger),
                Line::styled(err.hint(), theme.muted),
            ],
            None => vec![Line::styled("loading…", theme.muted)],
        };
    }
    if state.endpoints.is_empty() {
        vec![Line::styled(
            format!("No endpoints in {region}"),
            theme.muted,
        )]
    } else {
        vec![Line::styled(
            format!(
                "No endpoints match `{}` (esc clears the filter)",
                state.filter
            ),
            theme.muted,
        )]
    }
}

/// Draws the view; returns "selected/total" for the footer.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) -> Option<String> {
    let rows = state.visible_endpoints();
    let block = Block::bordered()
        .border_style(theme.border)
        .title(title(state, theme, rows.len()));
    let inner = block.inner(area);
    if rows.is_empty() {
        let text = empty_message(state, theme);
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }).block(block),
            area,
        );
        return None;
    }
    let selected = state.selected_index_in(&rows);
    let fitted = columns::fit(specs(state, &rows), inner.width);
    let body_height = inner.height.saturating_sub(1) as usize;
    let offset = scroll_offset(selected, rows.len(), body_height);
    let end = (offset + body_height).min(rows.len());
    let body: Vec<Row> = rows[offset..end]
        .iter()
        .map(|e| row(state, theme, &fitted, e, &state.figures(e)))
        .collect();
    let table = Table::new(body, fitted.constraints())
        .header(Row::new(fitted.header_cells()).style(theme.table_header))
        .column_spacing(fitted.spacing)
        .row_highlight_style(theme.selection)
        .block(block);
    let mut table_state = TableState::default().with_selected(Some(selected - offset));
    frame.render_stateful_widget(table, area, &mut table_state);
    Some(format!("{}/{}", selected + 1, rows.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrolling_keeps_the_selection_visible() {
        assert_eq!(scroll_offset(0, 1000, 18), 0);
        assert_eq!(scroll_offset(8, 1000, 18), 0);
        assert_eq!(scroll_offset(500, 1000, 18), 491);
        assert_eq!(scroll_offset(999, 1000, 18), 982);
        assert_eq!(scroll_offset(3, 5, 18), 0);
        for sel in 0..1000 {
            let off = scroll_offset(sel, 1000, 18);
            assert!(off <= sel && sel < off + 18);
        }
    }
}
