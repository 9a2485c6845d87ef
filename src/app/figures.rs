//! Figures derived from polled data: per-endpoint aggregates, filtering, sorting, quota usage.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::action::VariantMetrics;
use super::state::{Column, SortSpec};
use crate::domain::*;

/// One endpoint's row figures, aggregated over its variants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointFigures {
    pub invocations_per_min: Option<f64>,
    /// Invocation-weighted mean of the variants' average ModelLatency (ms).
    pub model_latency_ms: Option<f64>,
    /// 5XX errors / invocations, 0..=1.
    pub error_5xx_rate: Option<f64>,
    /// Mean CPU utilization over instance-backed variants (percent, summed over cores).
    pub cpu: Option<f64>,
}

/// Share of invocations that failed with 5XX, 0..=1; `None` without traffic data.
pub fn error_rate(errors: Option<f64>, invocations: Option<f64>) -> Option<f64> {
    match (errors, invocations) {
        (Some(e), Some(i)) if i > 0.0 => Some((e / i).clamp(0.0, 1.0)),
        (Some(_), Some(_)) => Some(0.0),
        _ => None,
    }
}

pub fn endpoint_figures(
    endpoint: &Endpoint,
    latest: &BTreeMap<(String, String), VariantMetrics>,
) -> EndpointFigures {
    let mut inv_total = None::<f64>;
    let mut err_total = None::<f64>;
    let mut lat_weighted = 0.0;
    let mut lat_weight = 0.0;
    let mut lat_plain = Vec::new();
    let mut cpus = Vec::new();
    for v in &endpoint.variants {
        let Some(m) = latest.get(&(endpoint.name.clone(), v.name.clone())) else {
            continue;
        };
        if let Some(i) = m.invocations_per_min {
            *inv_total.get_or_insert(0.0) += i;
        }
        if let Some(e) = m.errors_5xx {
            *err_total.get_or_insert(0.0) += e;
        }
        if let Some(l) = m.model_latency_ms {
            let w = m.invocations_per_min.unwrap_or(0.0);
            lat_weighted += l * w;
            lat_weight += w;
            lat_plain.push(l);
        }
        if let Some(c) = m.cpu {
            cpus.push(c);
        }
    }
    let model_latency_ms = if lat_weight > 0.0 {
        Some(lat_weighted / lat_weight)
    } else if !lat_plain.is_empty() {
        Some(lat_plain.iter().sum::<f64>() / lat_plain.len() as f64)
    } else {
        None
    };
    EndpointFigures {
        invocations_per_min: inv_total,
        model_latency_ms,
        error_5xx_rate: error_rate(err_total, inv_total),
        cpu: (!cpus.is_empty()).then(|| cpus.iter().sum::<f64>() / cpus.len() as f64),
    }
}

/// Case-insensitive substring match on name, status, variant names, models and instance types.
/// `needle` must already be lower-case.
pub fn matches_filter(endpoint: &Endpoint, needle: &str) -> bool {
    let hit = |s: &str| s.to_lowercase().contains(needle);
    hit(&endpoint.name)
        || hit(endpoint.status.as_str())
        || endpoint.variants.iter().any(|v| {
            hit(&v.name)
                || v.model_name.as_deref().is_some_and(hit)
                || v.instance_type.as_deref().is_some_and(hit)
        })
}

/// Rank of a status for sorting: failures first, then changes in flight, then healthy.
fn status_rank(s: EndpointStatus) -> u8 {
    match s {
        EndpointStatus::Failed | EndpointStatus::UpdateRollbackFailed => 0,
        EndpointStatus::OutOfService => 1,
        EndpointStatus::RollingBack => 2,
        EndpointStatus::Deleting => 3,
        EndpointStatus::Creating => 4,
        EndpointStatus::Updating => 5,
        EndpointStatus::SystemUpdating => 6,
        EndpointStatus::InService => 7,
    }
}

fn cmp_opt(a: Option<f64>, b: Option<f64>) -> Ordering {
    // Missing values sort as the smallest, so "descending" leaves them at the bottom.
    match (a, b) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}

/// Sorts rows by the spec; ties fall back to the name so the order is stable.
pub fn sort_endpoints(
    rows: &mut [&Endpoint],
    sort: SortSpec,
    latest: &BTreeMap<(String, String), VariantMetrics>,
) {
    // Figures are computed once per row, not once per comparison (1,000 rows re-sort every frame).
    let mut keyed: Vec<(&Endpoint, EndpointFigures, f64)> = rows
        .iter()
        .map(|e| {
            let top_share = e.traffic_shares().into_iter().fold(0.0, f64::max);
            (*e, endpoint_figures(e, latest), top_share)
        })
        .collect();
    keyed.sort_by(|(a, fa, ta), (b, fb, tb)| {
        let primary = match sort.column {
            Column::Name => a.name.cmp(&b.name),
            Column::Status => status_rank(a.status).cmp(&status_rank(b.status)),
            Column::Variants => a.variants.len().cmp(&b.variants.len()),
            Column::Instances => a.current_instances().cmp(&b.current_instances()),
            Column::Weights => cmp_opt(Some(*ta), Some(*tb)),
            Column::Invocations => cmp_opt(fa.invocations_per_min, fb.invocations_per_min),
            Column::Latency => cmp_opt(fa.model_latency_ms, fb.model_latency_ms),
            Column::Errors => cmp_opt(fa.error_5xx_rate, fb.error_5xx_rate),
            Column::Cpu => cmp_opt(fa.cpu, fb.cpu),
            // Most recently changed first when ascending ("age" grows downwards).
            Column::Changed => b.last_modified_time.cmp(&a.last_modified_time),
        };
        let primary = if sort.descending {
            primary.reverse()
        } else {
            primary
        };
        primary.then_with(|| a.name.cmp(&b.name))
    });
    for (slot, (e, _, _)) in rows.iter_mut().zip(keyed) {
        *slot = e;
    }
}

/// Current instances per instance type across all endpoints (quota usage).
pub fn instance_usage(endpoints: &[Endpoint]) -> BTreeMap<String, u32> {
    let mut usage = BTreeMap::new();
    for e in endpoints {
        for v in e.instance_fleets() {
            if let (Some(t), Some(n)) = (&v.instance_type, v.current_instance_count) {
                *usage.entry(t.clone()).or_insert(0) += n;
            }
        }
    }
    usage
}

/// First row on screen so the selection stays visible (centred once past half a screen).
pub fn scroll_offset(selected: usize, total: usize, height: usize) -> usize {
    if height == 0 || total <= height {
        return 0;
    }
    selected.saturating_sub(height / 2).min(total - height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_rate_needs_traffic() {
        assert_eq!(error_rate(Some(5.0), Some(100.0)), Some(0.05));
        assert_eq!(error_rate(Some(0.0), Some(0.0)), Some(0.0));
        assert_eq!(error_rate(None, Some(3.0)), None);
    }
}
