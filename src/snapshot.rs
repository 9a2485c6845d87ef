//! `sagetop snapshot --json`: the fleet state as JSON, built from the same polled state the
//! console renders. With several contexts open, [`contexts`] builds the document.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::app::action::VariantMetrics;
use crate::app::{AppState, Panel};
use crate::domain::*;

pub mod contexts;

/// One endpoint with its figures.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointSnapshot {
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// Normalized traffic share of each variant, in percent (sums to 100).
    pub traffic_percent: BTreeMap<String, u32>,
    /// Latest CloudWatch figures per variant.
    pub metrics: BTreeMap<String, VariantMetrics>,
    pub autoscaling: Vec<VariantAutoscaling>,
    pub scaling_activities: Vec<ScalingActivity>,
}

/// A quota next to its usage.
#[derive(Debug, Clone, Serialize)]
pub struct QuotaSnapshot {
    #[serde(flatten)]
    pub quota: ServiceQuota,
    /// Instance type of an "<type> for endpoint usage" quota.
    pub instance_type: Option<String>,
    /// Sum of current instance counts of that type over every endpoint.
    pub used: Option<u32>,
    pub percent: Option<f64>,
    pub level: Option<QuotaLevel>,
}

/// A panel that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotError {
    pub service: String,
    pub operation: String,
    pub message: String,
    pub hint: String,
}

/// Event summary (the raw CloudTrail document is left out to keep the output readable).
#[derive(Debug, Clone, Serialize)]
pub struct EventSnapshot {
    pub time: Timestamp,
    pub name: String,
    pub principal: String,
    pub source_ip: Option<String>,
    pub resources: Vec<String>,
    pub error_code: Option<String>,
    pub read_only: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FleetSnapshot {
    pub taken_at: Timestamp,
    pub identity: Option<Identity>,
    pub endpoints: Vec<EndpointSnapshot>,
    pub quotas: Vec<QuotaSnapshot>,
    pub events: Vec<EventSnapshot>,
    pub errors: Vec<SnapshotError>,
}

impl FleetSnapshot {
    pub fn from_state(state: &AppState) -> Self {
        let usage = state.instance_usage();
        let endpoints = state
            .endpoints
            .iter()
            .map(|e| {
                let weights: Vec<f64> = e.variants.iter().map(Variant::effective_weight).collect();
                let traffic_percent = e
                    .variants
                    .iter()
                    .map(|v| v.name.clone())
                    .zip(percentages(&weights))
                    .collect();
                let metrics = e
                    .variants
                    .iter()
                    .filter_map(|v| {
                        state
                            .variant_metrics(&e.name, &v.name)
                            .map(|m| (v.name.clone(), m.clone()))
                    })
                    .collect();
                EndpointSnapshot {
                    endpoint: e.clone(),
                    traffic_percent,
                    metrics,
                    autoscaling: state
                        .autoscaling
                        .config
                        .get(&e.name)
                        .cloned()
                        .unwrap_or_default(),
                    scaling_activities: state
                        .autoscaling
                        .activities
                        .get(&e.name)
                        .cloned()
                        .unwrap_or_default(),
                }
            })
            .collect();
        let quotas = state
            .quotas
            .iter()
            .map(|q| {
                let instance_type = q.endpoint_instance_type().map(str::to_string);
                let used = instance_type
                    .as_ref()
                    .map(|t| usage.get(t).copied().unwrap_or(0));
                let percent =
                    used.and_then(|u| crate::app::quotas_view::percent(f64::from(u), q.value));
                let level = used.map(|u| quota_level(f64::from(u), q.value));
                QuotaSnapshot {
                    quota: q.clone(),
                    instance_type,
                    used,
                    percent,
                    level,
                }
            })
            .collect();
        let events = state
            .events
            .iter()
            .map(|e| EventSnapshot {
                time: e.time,
                name: e.name.clone(),
                principal: e.principal.clone(),
                source_ip: e.source_ip.clone(),
                resources: e.resources.clone(),
                error_code: e.error_code.clone(),
                read_only: e.read_only,
            })
            .collect();
        let mut errors: Vec<SnapshotError> = Panel::ALL
            .iter()
            .filter_map(|p| state.health(*p).error.as_ref())
            .chain(state.endpoint_errors.values())
            .map(|e| SnapshotError {
                service: e.operation().service().as_str().to_string(),
                operation: e.operation().as_str().to_string(),
                message: e.to_string(),
                hint: e.hint(),
            })
            .collect();
        errors.dedup_by(|a, b| a.operation == b.operation && a.message == b.message);
        FleetSnapshot {
            taken_at: state.now,
            identity: state.identity.clone(),
            endpoints,
            quotas,
            events,
            errors,
        }
    }

    /// The endpoints could be read (the snapshot is useful).
    pub fn endpoints_read(state: &AppState) -> bool {
        state.health(Panel::Endpoints).last_ok.is_some()
    }
}
