//! `AppState`: the one state of the console, and the derived views render functions read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::action::{AutoscalingData, MetricsData, Panel, VariantMetrics};
use super::figures::{self, EndpointFigures};
use super::keymap::Keymap;
use crate::boundary::BackendError;
use crate::domain::*;

/// Which screen is showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    Endpoints,
    Detail {
        endpoint: String,
    },
    /// CloudTrail events (`e`, `:events`).
    Events,
    /// One event's JSON (`enter` in the events view).
    EventJson,
    /// Service quotas (`Q`, `:quotas`).
    Quotas,
    /// The console's own API calls and the cost of its metric polling (`:api`).
    Api,
    /// The endpoint's CloudWatch Logs (`l` in the detail; `app::logs_view`).
    Logs,
}

/// Something drawn over the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help { scroll: u16 },
}

/// A line being typed at the bottom of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Command,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputLine {
    pub kind: InputKind,
    pub text: String,
}

pub use crate::emit::NoticeLevel;

/// A one-line message in the footer, e.g. an unknown command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: NoticeLevel,
    pub text: String,
    pub at: Timestamp,
}

/// Freshness and failure of one polled panel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PanelHealth {
    pub last_ok: Option<Timestamp>,
    pub error: Option<BackendError>,
    pub error_at: Option<Timestamp>,
    pub retry_at: Option<Timestamp>,
    pub refreshing: bool,
}

impl PanelHealth {
    /// Seconds since the last good data, if any.
    pub fn age_secs(&self, now: Timestamp) -> Option<i64> {
        self.last_ok.map(|t| (now - t).num_seconds().max(0))
    }
}

/// Sortable columns of the endpoints view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Column {
    Name,
    Status,
    Variants,
    Instances,
    Weights,
    Invocations,
    Latency,
    Errors,
    Cpu,
    Changed,
}

impl Column {
    pub const ALL: [Column; 10] = [
        Column::Name,
        Column::Status,
        Column::Variants,
        Column::Instances,
        Column::Weights,
        Column::Invocations,
        Column::Latency,
        Column::Errors,
        Column::Cpu,
        Column::Changed,
    ];

    /// The name used by `:sort` and shown in headers.
    pub fn key(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Status => "status",
            Column::Variants => "variants",
            Column::Instances => "instances",
            Column::Weights => "weights",
            Column::Invocations => "invocations",
            Column::Latency => "latency",
            Column::Errors => "5xx",
            Column::Cpu => "cpu",
            Column::Changed => "changed",
        }
    }

    /// Accepts the column key, a unique prefix of it, or a few aliases.
    pub fn parse(s: &str) -> Option<Column> {
        let s = s.trim().to_ascii_lowercase();
        if s.is_empty() {
            return None;
        }
        let alias = match s.as_str() {
            "inv" | "invocations/min" | "rpm" => Some(Column::Invocations),
            "errors" | "err" | "5xx%" => Some(Column::Errors),
            "inst" => Some(Column::Instances),
            "lat" | "ms" => Some(Column::Latency),
            "age" | "modified" | "last-change" => Some(Column::Changed),
            _ => None,
        };
        if alias.is_some() {
            return alias;
        }
        let matches: Vec<Column> = Self::ALL
            .into_iter()
            .filter(|c| c.key().starts_with(&s))
            .collect();
        (matches.len() == 1).then(|| matches[0])
    }

    /// Numeric columns sort high-to-low first: the busiest or worst on top.
    pub fn default_descending(self) -> bool {
        !matches!(self, Column::Name | Column::Status | Column::Changed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortSpec {
    pub column: Column,
    pub descending: bool,
}

/// Session facts shown in the header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionInfo {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub demo: bool,
    pub read_only: bool,
}

/// The whole state of the console.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The injected clock's time at the last action (render never reads a clock).
    pub now: Timestamp,
    pub session: SessionInfo,
    pub identity: Option<Identity>,
    pub endpoints: Vec<Endpoint>,
    /// Endpoint name → error of its last describe (the rest of the fleet is still shown).
    pub endpoint_errors: BTreeMap<String, BackendError>,
    pub metrics: MetricsData,
    pub autoscaling: AutoscalingData,
    pub quotas: Vec<ServiceQuota>,
    pub events: Vec<TrailEvent>,
    pub panels: BTreeMap<Panel, PanelHealth>,
    pub view: View,
    pub overlay: Overlay,
    pub input: Option<InputLine>,
    pub filter: String,
    pub sort: SortSpec,
    /// Name of the selected endpoint (stable across refreshes and re-sorting).
    pub selected: Option<String>,
    /// Selected variant row in the detail view.
    pub detail_selected: usize,
    pub size: (u16, u16),
    pub notice: Option<Notice>,
    pub keymap: Keymap,
    pub should_quit: bool,
    /// Something visible changed since the last draw.
    pub dirty: bool,
    /// Simulated seconds per real second of the injected clock (`--demo-speed`); on-screen
    /// timers meant for people (notices) last the same real time at any speed.
    pub clock_speed: f64,
    /// The backend's call accounting, refreshed while the `:api` view is open.
    pub api_stats: Option<crate::boundary::api_stats::ApiStats>,
    /// The keymap as configured, before read-only mode took the write keys out (a switch to
    /// a writable profile brings them back).
    pub keymap_configured: Option<super::keymap::Keymap>,
    /// Time window of the detail charts (`t` cycles).
    pub chart_window: super::charts::ChartWindow,
    /// The watched endpoint's series over a chart window (the charts panel).
    pub charts: Option<super::charts::ChartsData>,
    /// Braille chart markers; false draws plain dots (`--no-braille`, config `braille = false`).
    pub braille: bool,
    /// Client-visible latency per (endpoint, variant) measured by the last load run. Load runs
    /// fill it; the detail shows "no load run yet" while it is empty.
    pub client_latency: BTreeMap<(String, String), super::charts::ClientLatency>,
    /// CloudTrail events loaded so far (polled newest page plus older pages on demand).
    pub trail: super::trail_log::TrailLog,
    pub events_view: super::events_view::EventsView,
    pub quotas_view: super::quotas_view::QuotasView,
    /// Writes: the open dialog, writes in flight, traffic shifts (`app::ops`).
    pub ops: super::ops::OpsState,
    /// Load runs: the `b` dialog, the run panel, past runs (`app::runs`).
    pub runs: super::runs::RunsState,
    /// The logs view (`l` in the detail).
    pub logs: super::logs_view::LogsView,
    /// The rows on screen as last told to the pollers (`Command::Visible`).
    pub visible_sent: Vec<String>,
    /// Deployments, shadow tests, data capture, Model Monitor of watched endpoints.
    pub deploy: super::deploy::DeployState,
    /// The accounts and regions open (`app::contexts`); empty with one profile and region.
    pub contexts: super::contexts::Contexts,
}

impl AppState {
    pub fn new(session: SessionInfo, now: Timestamp) -> Self {
        // Read-only sessions have no write keys (and the boundary refuses writes anyway).
        let keymap = if session.read_only {
            super::ops::without_writes(Keymap::default())
        } else {
            Keymap::default()
        };
        AppState {
            now,
            session,
            identity: None,
            endpoints: Vec::new(),
            endpoint_errors: BTreeMap::new(),
            metrics: MetricsData::default(),
            autoscaling: AutoscalingData::default(),
            quotas: Vec::new(),
            events: Vec::new(),
            panels: Panel::ALL
                .into_iter()
                .map(|p| (p, PanelHealth::default()))
                .collect(),
            view: View::Endpoints,
            overlay: Overlay::None,
            input: None,
            filter: String::new(),
            sort: SortSpec {
                column: Column::Name,
                descending: false,
            },
            selected: None,
            detail_selected: 0,
            size: (80, 24),
            notice: None,
            keymap,
            should_quit: false,
            dirty: true,
            clock_speed: 1.0,
            api_stats: None,
            keymap_configured: None,
            chart_window: Default::default(),
            charts: None,
            braille: true,
            client_latency: BTreeMap::new(),
            trail: Default::default(),
            events_view: Default::default(),
            quotas_view: Default::default(),
            ops: Default::default(),
            runs: Default::default(),
            logs: Default::default(),
            visible_sent: Vec::new(),
            deploy: Default::default(),
            contexts: Default::default(),
        }
    }

    pub fn health(&self, panel: Panel) -> &PanelHealth {
        static EMPTY: std::sync::OnceLock<PanelHealth> = std::sync::OnceLock::new();
        self.panels
            .get(&panel)
            .unwrap_or_else(|| EMPTY.get_or_init(PanelHealth::default))
    }

    pub fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.name == name)
    }

    pub fn variant_metrics(&self, endpoint: &str, variant: &str) -> Option<&VariantMetrics> {
        self.metrics
            .latest
            .get(&(endpoint.to_string(), variant.to_string()))
    }

    /// Figures of one endpoint row (aggregated over its variants).
    pub fn figures(&self, endpoint: &Endpoint) -> EndpointFigures {
        figures::endpoint_figures(endpoint, &self.metrics.latest)
    }

    /// Endpoints that pass the filter, in the current sort order.
    pub fn visible_endpoints(&self) -> Vec<&Endpoint> {
        let needle = self.filter.to_lowercase();
        let mut rows: Vec<&Endpoint> = self
            .endpoints
            .iter()
            .filter(|e| needle.is_empty() || figures::matches_filter(e, &needle))
            .filter(|e| self.contexts.shows(&e.name))
            .collect();
        figures::sort_endpoints(&mut rows, self.sort, &self.metrics.latest);
        rows
    }

    /// Index of the selection among the visible rows (0 when unset or filtered out).
    pub fn selected_index(&self) -> usize {
        self.selected_index_in(&self.visible_endpoints())
    }

    /// Index of the selection among `rows` (the visible rows, already filtered and sorted,
    /// so callers that hold them do not sort again).
    pub fn selected_index_in(&self, rows: &[&Endpoint]) -> usize {
        self.selected
            .as_ref()
            .and_then(|name| rows.iter().position(|e| &e.name == name))
            .unwrap_or(0)
    }

    /// The endpoint the selection points at, if any row is visible.
    pub fn selected_endpoint(&self) -> Option<&Endpoint> {
        let rows = self.visible_endpoints();
        rows.get(self.selected_index_in(&rows)).copied()
    }

    /// The endpoint actions apply to: the one in the detail view, else the selected row.
    pub fn focused_endpoint(&self) -> Option<&Endpoint> {
        match &self.view {
            View::Detail { endpoint } => self.endpoint(endpoint),
            View::Endpoints => self.selected_endpoint(),
            View::Logs => self.endpoint(&self.logs.endpoint),
            View::Events | View::EventJson | View::Quotas | View::Api => None,
        }
    }

    /// The keymap scope keys are looked up in (and help and footer show).
    pub fn key_scope(&self) -> super::keymap::Scope {
        super::keys::scope_of(self)
    }

    /// Names of the endpoint rows on screen (none outside the endpoints view): the table
    /// body is the screen less its chrome, scrolled as `figures::scroll_offset` says.
    pub fn rows_on_screen(&self, chrome_rows: u16) -> Vec<String> {
        if self.view != View::Endpoints {
            return Vec::new();
        }
        let rows = self.visible_endpoints();
        let height = self.size.1.saturating_sub(chrome_rows) as usize;
        let offset = figures::scroll_offset(self.selected_index_in(&rows), rows.len(), height);
        rows.iter()
            .skip(offset)
            .take(height)
            .map(|e| e.name.clone())
            .collect()
    }

    /// The endpoint the detail view shows, if it is open.
    pub fn detail_endpoint(&self) -> Option<&str> {
        match &self.view {
            View::Detail { endpoint } => Some(endpoint),
            _ => None,
        }
    }

    /// Instances in use per instance type, summed over every endpoint (quota usage); with
    /// several contexts, the first context's (whose quotas `state.quotas` holds; each
    /// context's own are in `app::quotas_view::sections`).
    pub fn instance_usage(&self) -> BTreeMap<String, u32> {
        if !self.contexts.multi() {
            return figures::instance_usage(&self.endpoints);
        }
        let primary = self.contexts.primary().map(|c| c.label.as_str());
        let mine: Vec<Endpoint> = self
            .endpoints
            .iter()
            .filter(|e| crate::boundary::context::context_of(&e.name) == primary)
            .cloned()
            .collect();
        figures::instance_usage(&mine)
    }
}
