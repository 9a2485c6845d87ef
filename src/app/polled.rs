//! Applying a poll's result to the state: panel health (errors, retry time), and merging each
//! panel's data (endpoints kept on a failed describe, metrics per endpoint, autoscaling).

use super::action::{Command, Panel, PanelData, Polled};
use super::state::{AppState, Notice, NoticeLevel, View};
use crate::domain::{EndpointStatus, Timestamp};
use crate::poll::deploy::DeployCommand;

pub fn apply_polled(state: &mut AppState, polled: Polled) -> Vec<Command> {
    let Polled {
        panel,
        at,
        result,
        retry_in,
    } = polled;
    // Charts of a detail view that has closed (e.g. its endpoint was deleted) are dropped,
    // so their last error does not linger in the header.
    if panel == Panel::Charts && state.detail_endpoint().is_none() {
        return Vec::new();
    }
    let health = state.panels.entry(panel).or_default();
    health.refreshing = false;
    match result {
        Err(err) => {
            health.error = Some(err);
            health.error_at = Some(at);
            health.retry_at = retry_in
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .map(|d| at + d);
            Vec::new()
        }
        Ok(data) => {
            debug_assert_eq!(data.panel(), panel);
            health.last_ok = Some(at);
            // A partly failed poll keeps what loaded and still shows what did not.
            health.error = match &data {
                PanelData::Autoscaling(a) => a.activity_errors.values().next().cloned(),
                _ => None,
            };
            health.error_at = health.error.as_ref().map(|_| at);
            health.retry_at = None;
            apply_data(state, data, at)
        }
    }
}

fn apply_data(state: &mut AppState, data: PanelData, at: Timestamp) -> Vec<Command> {
    let mut cmds = Vec::new();
    match data {
        PanelData::Identity(id) => state.identity = Some(id),
        PanelData::Endpoints(mut data) => {
            data.endpoints.sort_by(|a, b| a.name.cmp(&b.name));
            // An endpoint whose describe failed this time keeps its last known description
            // (in place of what the list alone says about it).
            for name in data.failed.keys() {
                if let Some(old) = state.endpoint(name).cloned() {
                    data.endpoints.retain(|e| &e.name != name);
                    data.endpoints.push(old);
                }
            }
            data.endpoints.sort_by(|a, b| a.name.cmp(&b.name));
            let detail_status = |s: &AppState| {
                s.detail_endpoint()
                    .and_then(|n| s.endpoint(n))
                    .map(|e| (e.name.clone(), e.status))
            };
            let before = detail_status(state);
            state.endpoints = data.endpoints;
            // The open detail's endpoint is moving (a deployment baking, a rollback) or just
            // changed status (it ended): its deployment section is read with every endpoints
            // poll, not every 30 s, so alarm states and phases keep up with the status line.
            let moving = |s: EndpointStatus| {
                matches!(
                    s,
                    EndpointStatus::Updating
                        | EndpointStatus::SystemUpdating
                        | EndpointStatus::RollingBack
                )
            };
            if let (Some((name, old)), Some((_, new))) = (before, detail_status(state))
                && (old != new || moving(new))
            {
                cmds.push(Command::Deploy(DeployCommand::ReadNow { endpoint: name }));
            }
            state.endpoint_errors = data.failed;
            // Nothing is kept for endpoints that are gone (memory stays flat as fleets change).
            let listed: std::collections::BTreeSet<String> =
                state.endpoints.iter().map(|e| e.name.clone()).collect();
            let a = &mut state.autoscaling;
            a.config.retain(|k, _| listed.contains(k));
            a.activities.retain(|k, _| listed.contains(k));
            a.activity_errors.retain(|k, _| listed.contains(k));
            let m = &mut state.metrics;
            m.latest.retain(|(e, _), _| listed.contains(e));
            m.series.retain(|s| listed.contains(&s.key.endpoint));
            m.fetched_at.retain(|e, _| listed.contains(e));
            super::ops::tracking::on_endpoints(state, at);
            if let View::Detail { endpoint } = &state.view
                && state.endpoint(endpoint).is_none()
            {
                let gone = endpoint.clone();
                state.view = View::Endpoints;
                // Stop watching it: no charts or autoscaling polls for an endpoint that is gone.
                state.charts = None;
                state.panels.insert(Panel::Charts, Default::default());
                cmds.push(Command::Watch(None));
                state.notice = Some(Notice {
                    level: NoticeLevel::Warning,
                    text: format!("endpoint {gone} no longer exists; back to the endpoints view"),
                    at,
                });
            }
            if state
                .selected
                .as_ref()
                .is_none_or(|s| state.endpoint(s).is_none())
            {
                let first = state.visible_endpoints().first().map(|e| e.name.clone());
                state.selected = first;
            }
        }
        PanelData::Metrics(m) => merge_metrics(state, m),
        PanelData::Autoscaling(a) => {
            // Autoscaling polls may cover only some endpoints; merge.
            for name in a.config.keys() {
                state.autoscaling.activity_errors.remove(name);
            }
            state.autoscaling.config.extend(a.config);
            state.autoscaling.activities.extend(a.activities);
            state.autoscaling.activity_errors.extend(a.activity_errors);
            state.autoscaling.hosting.extend(a.hosting);
            state.autoscaling.hosting_metrics.extend(a.hosting_metrics);
            state.autoscaling.components.extend(a.components);
            super::ops::copies::on_hosting(state, at);
        }
        PanelData::Quotas(q) => state.quotas = q,
        PanelData::Events(e) => {
            state.trail.merge(&e);
            state.events = e;
            cmds.extend(super::trail_log::recovered(state, at, None));
        }
        PanelData::Charts(c) => state.charts = Some(c),
    }
    cmds
}

/// The cost governor reads some endpoints each poll: their figures replace the old ones, the
/// others keep theirs (and their age). A poll that says nothing of when (a full snapshot)
/// replaces everything.
fn merge_metrics(state: &mut AppState, m: super::action::MetricsData) {
    if m.fetched_at.is_empty() && !m.latest.is_empty() {
        state.metrics = m;
        return;
    }
    let cur = &mut state.metrics;
    cur.latest.retain(|(e, _), _| !m.fetched_at.contains_key(e));
    cur.series
        .retain(|s| !m.fetched_at.contains_key(&s.key.endpoint));
    cur.latest.extend(m.latest);
    cur.series.extend(m.series);
    cur.fetched_at.extend(m.fetched_at);
    if m.budget.is_some() {
        cur.budget = m.budget;
    }
}
