//! Changes to an endpoint on the charts' time axis: CloudTrail writes and scaling activities
//! as markers (a letter per kind), and the column where a time lands, mapped exactly as the
//! chart canvas maps x values.

use std::collections::BTreeMap;

use super::state::AppState;
use crate::domain::*;

/// What a marker on the time axis stands for. The letter is what the chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkerKind {
    /// A scaling activity, or a weights/capacity change made by Application Auto Scaling.
    Autoscaling,
    /// `UpdateEndpointWeightsAndCapacities` by a person or a tool.
    Weights,
    /// Any other write to the endpoint.
    OtherWrite,
    UpdateEndpoint,
    CreateEndpoint,
    DeleteEndpoint,
    /// A write that failed (error code set), or a failed scaling activity.
    Failed,
}

impl MarkerKind {
    pub fn letter(self) -> char {
        match self {
            MarkerKind::Autoscaling => 'A',
            MarkerKind::Weights => 'W',
            MarkerKind::OtherWrite => '*',
            MarkerKind::UpdateEndpoint => 'U',
            MarkerKind::CreateEndpoint => 'C',
            MarkerKind::DeleteEndpoint => 'D',
            MarkerKind::Failed => '!',
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            MarkerKind::Autoscaling => "autoscaling",
            MarkerKind::Weights => "weights/capacity",
            MarkerKind::OtherWrite => "other write",
            MarkerKind::UpdateEndpoint => "UpdateEndpoint",
            MarkerKind::CreateEndpoint => "CreateEndpoint",
            MarkerKind::DeleteEndpoint => "DeleteEndpoint",
            MarkerKind::Failed => "failed change",
        }
    }
}

/// A change to the endpoint at a point in time.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartMarker {
    pub at: Timestamp,
    pub kind: MarkerKind,
    /// One line for the legend: "UpdateEndpoint by ci-deploy/github-actions".
    pub text: String,
}

/// The principal Application Auto Scaling writes as.
const AUTOSCALING_PRINCIPAL: &str = "application-autoscaling.amazonaws.com";

/// The service-linked role Application Auto Scaling acts through on SageMaker variants.
const AUTOSCALING_ROLE: &str = "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint";

/// Application Auto Scaling's own writes: its service principal, or its service-linked role.
fn is_autoscaling(principal: &str) -> bool {
    principal.contains(AUTOSCALING_PRINCIPAL) || principal.starts_with(AUTOSCALING_ROLE)
}

fn event_kind(ev: &TrailEvent) -> MarkerKind {
    if ev.error_code.is_some() {
        return MarkerKind::Failed;
    }
    match ev.name.as_str() {
        "UpdateEndpointWeightsAndCapacities" if is_autoscaling(&ev.principal) => {
            MarkerKind::Autoscaling
        }
        "UpdateEndpointWeightsAndCapacities" => MarkerKind::Weights,
        "UpdateEndpoint" => MarkerKind::UpdateEndpoint,
        "CreateEndpoint" => MarkerKind::CreateEndpoint,
        "DeleteEndpoint" => MarkerKind::DeleteEndpoint,
        _ => MarkerKind::OtherWrite,
    }
}

/// Writes to `endpoint` (loaded CloudTrail events) and its scaling activities within
/// `[start, end]`, oldest first.
pub fn markers(
    state: &AppState,
    endpoint: &str,
    start: Timestamp,
    end: Timestamp,
) -> Vec<ChartMarker> {
    let mut out: Vec<ChartMarker> = state
        .trail
        .events
        .iter()
        .filter(|e| !super::events_view::is_read_noise(e) && e.touches(endpoint))
        .filter(|e| e.time >= start && e.time <= end)
        .map(|e| ChartMarker {
            at: e.time,
            kind: event_kind(e),
            text: format!("{} by {}", e.name, short_principal(&e.principal)),
        })
        .collect();
    if let Some(acts) = state.autoscaling.activities.get(endpoint) {
        out.extend(
            acts.iter()
                .filter(|a| a.start_time >= start && a.start_time <= end)
                .map(|a| ChartMarker {
                    at: a.start_time,
                    kind: match a.status {
                        ActivityStatus::Failed | ActivityStatus::Unfulfilled => MarkerKind::Failed,
                        _ => MarkerKind::Autoscaling,
                    },
                    text: format!("{} {}", a.variant, a.description.trim_end_matches('.')),
                }),
        );
    }
    out.sort_by(|a, b| a.at.cmp(&b.at).then(a.kind.cmp(&b.kind)));
    out
}

/// "role/session" → "session" for assumed roles; "application-autoscaling.amazonaws.com" →
/// "application-autoscaling" for AWS services.
pub fn short_principal(p: &str) -> &str {
    if let Some(service) = p.strip_suffix(".amazonaws.com") {
        return service;
    }
    p.rsplit('/').next().unwrap_or(p)
}

/// The column (0-based, within a plot `width` cells wide) where time `t` is drawn, the same
/// way the chart canvas maps x values: `sub` pixels per cell (2 for braille, 1 for dots).
/// `None` outside `[start, end]`.
pub fn marker_column(
    t: Timestamp,
    start: Timestamp,
    end: Timestamp,
    width: u16,
    sub: u16,
) -> Option<u16> {
    if width == 0 || t < start || t > end || end <= start {
        return None;
    }
    let span = (end - start).num_milliseconds() as f64;
    let x = (t - start).num_milliseconds() as f64;
    let res = f64::from(width) * f64::from(sub.max(1));
    let px = (x * (res - 1.0) / span).round() as u64;
    Some(((px / u64::from(sub.max(1))) as u16).min(width - 1))
}

/// The event lane under a plot: one letter per column that has markers (the strongest kind
/// when several land in one column).
pub fn lane(
    markers: &[ChartMarker],
    start: Timestamp,
    end: Timestamp,
    width: u16,
    sub: u16,
) -> BTreeMap<u16, MarkerKind> {
    let mut out: BTreeMap<u16, MarkerKind> = BTreeMap::new();
    for m in markers {
        if let Some(c) = marker_column(m.at, start, end, width, sub) {
            let slot = out.entry(c).or_insert(m.kind);
            *slot = (*slot).max(m.kind);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::fixture_epoch;

    fn t(secs: i64) -> Timestamp {
        fixture_epoch() + chrono::Duration::seconds(secs)
    }

    #[test]
    fn markers_land_where_the_canvas_draws_the_time() {
        let (s, e) = (t(0), t(3_600));
        // Braille: 2 pixels per cell; the end maps to the last column.
        assert_eq!(marker_column(s, s, e, 60, 2), Some(0));
        assert_eq!(marker_column(e, s, e, 60, 2), Some(59));
        assert_eq!(marker_column(t(1_800), s, e, 60, 2), Some(30));
        assert_eq!(marker_column(t(1_800), s, e, 60, 1), Some(30));
        assert_eq!(marker_column(t(900), s, e, 61, 1), Some(15));
        assert_eq!(marker_column(t(-1), s, e, 60, 2), None);
        assert_eq!(marker_column(t(3_601), s, e, 60, 2), None);
        assert_eq!(marker_column(t(10), s, e, 0, 2), None);
        let ms = vec![
            ChartMarker {
                at: t(1_800),
                kind: MarkerKind::Autoscaling,
                text: String::new(),
            },
            ChartMarker {
                at: t(1_805),
                kind: MarkerKind::UpdateEndpoint,
                text: String::new(),
            },
            ChartMarker {
                at: t(600),
                kind: MarkerKind::Weights,
                text: String::new(),
            },
        ];
        let l = lane(&ms, s, e, 60, 2);
        assert_eq!(l.get(&30), Some(&MarkerKind::UpdateEndpoint));
        assert_eq!(l.get(&10), Some(&MarkerKind::Weights));
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn autoscalings_own_weight_changes_are_autoscaling_markers() {
        let ev = |principal: &str| TrailEvent {
            id: "e".into(),
            time: t(0),
            name: "UpdateEndpointWeightsAndCapacities".into(),
            principal: principal.into(),
            source_ip: None,
            resources: vec!["fraud".into()],
            error_code: None,
            error_message: None,
            read_only: false,
            raw: "{}".into(),
        };
        assert_eq!(
            event_kind(&ev("application-autoscaling.amazonaws.com")),
            MarkerKind::Autoscaling
        );
        assert_eq!(
            event_kind(&ev(
                "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint/AutoScaling"
            )),
            MarkerKind::Autoscaling
        );
        assert_eq!(event_kind(&ev("Deployer/alice")), MarkerKind::Weights);
    }
}
