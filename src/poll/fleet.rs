//! Fetching the fleet through the boundary: one function per panel, shared by the pollers,
//! `sagetop snapshot` and the test fixtures.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;

use crate::boundary::{Backend, BackendError, BackendResult};
use crate::poll::data::{
    AutoscalingData, EndpointsData, MetricsData, Panel, PanelData, VariantMetrics,
};

use crate::domain::*;

/// Describe calls in flight at once while listing the fleet.
const DESCRIBE_CONCURRENCY: usize = 8;

/// Window of the "latest figures" metrics query: the last few complete minutes.
pub const LATEST_WINDOW: Duration = Duration::from_secs(10 * 60);

/// Period of every metrics query for the live tables.
pub const METRIC_PERIOD: Duration = Duration::from_secs(60);

/// Scaling activities kept per endpoint.
pub const ACTIVITIES_PER_ENDPOINT: usize = 10;

/// Instance families with GPUs (publish GPUUtilization / GPUMemoryUtilization).
pub fn is_gpu_instance(instance_type: &str) -> bool {
    let family = instance_type.strip_prefix("ml.").unwrap_or(instance_type);
    let family = family.split('.').next().unwrap_or("");
    [
        "g4dn", "g5", "g6", "g6e", "p2", "p3", "p3dn", "p4d", "p4de", "p5", "p5e",
    ]
    .contains(&family)
}

/// Metrics and statistics polled for one variant.
pub fn variant_series(endpoint: &str, variant: &Variant) -> Vec<SeriesKey> {
    use MetricName as M;
    use Statistic as S;
    let mut specs = vec![
        (M::Invocations, S::Sum),
        (M::ModelLatency, S::Average),
        (M::ModelLatency, S::P99),
        (M::OverheadLatency, S::Average),
        (M::Invocation4XXErrors, S::Sum),
        (M::Invocation5XXErrors, S::Sum),
    ];
    if variant.serverless.is_none() {
        specs.extend([
            (M::InvocationsPerInstance, S::Sum),
            (M::CPUUtilization, S::Average),
            (M::MemoryUtilization, S::Average),
            (M::DiskUtilization, S::Average),
        ]);
        if variant
            .instance_type
            .as_deref()
            .is_some_and(is_gpu_instance)
        {
            specs.extend([
                (M::GPUUtilization, S::Average),
                (M::GPUMemoryUtilization, S::Average),
            ]);
        }
    }
    specs
        .into_iter()
        .map(|(m, s)| SeriesKey::new(endpoint, &variant.name, m, s))
        .collect()
}

/// The account and caller.
pub async fn fetch_identity(backend: &dyn Backend) -> BackendResult<Identity> {
    backend.identity().await
}

/// Lists every endpoint and describes each. An endpoint deleted between list and describe is
/// dropped; any other describe failure is reported per endpoint while the rest are kept, and
/// the endpoint is still listed with what `ListEndpoints` says (status, times; no variants).
pub async fn fetch_endpoints(backend: &dyn Backend) -> BackendResult<EndpointsData> {
    let mut summaries: BTreeMap<String, EndpointSummary> = backend
        .list_endpoints()
        .await?
        .into_iter()
        .map(|s| (s.name.clone(), s))
        .collect();
    let results = describe_each(backend, summaries.keys().cloned().collect()).await;
    let mut data = EndpointsData::default();
    let mut first_error = None;
    let mut described = 0;
    for (name, r) in results {
        let Some(summary) = summaries.remove(&name) else {
            continue;
        };
        match r {
            Ok(e) => {
                described += 1;
                data.endpoints.push(e);
            }
            Err(BackendError::NotFound { .. }) => {}
            Err(e) => {
                first_error.get_or_insert_with(|| e.clone());
                data.failed.insert(summary.name.clone(), e);
                data.endpoints
                    .push(crate::poll::fleet_sync::listed_only(summary));
            }
        }
    }
    // Nothing described at all: the panel failed (e.g. DescribeEndpoint denied).
    if described == 0
        && let Some(e) = first_error
    {
        return Err(e);
    }
    data.endpoints.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(data)
}

/// Start of the minute containing `t`.
pub fn minute_floor(t: Timestamp) -> Timestamp {
    let secs = t.timestamp() - t.timestamp().rem_euclid(60);
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or(t)
}

/// The newest datapoints of every variant of `endpoints`, in one batch query.
pub async fn fetch_metrics(
    backend: &dyn Backend,
    endpoints: &[Endpoint],
    now: Timestamp,
) -> BackendResult<MetricsData> {
    let series: Vec<SeriesKey> = endpoints
        .iter()
        .flat_map(|e| e.variants.iter().flat_map(|v| variant_series(&e.name, v)))
        .collect();
    if series.is_empty() {
        return Ok(MetricsData::default());
    }
    let end = minute_floor(now);
    let start = end - chrono::Duration::from_std(LATEST_WINDOW).expect("window fits");
    let query = MetricQuery {
        series,
        start,
        end,
        period: METRIC_PERIOD,
    };
    let result = backend.get_metrics(&query).await?;
    Ok(MetricsData {
        latest: latest_figures(&result),
        series: result,
        fetched_at: endpoints.iter().map(|e| (e.name.clone(), now)).collect(),
        budget: None,
    })
}

/// Folds series into per-variant latest figures (latency converted from µs to ms).
pub fn latest_figures(series: &[MetricSeries]) -> BTreeMap<(String, String), VariantMetrics> {
    let mut out: BTreeMap<(String, String), VariantMetrics> = BTreeMap::new();
    for s in series {
        if matches!(s.status, SeriesStatus::Failed { .. }) {
            out.entry((s.key.endpoint.clone(), s.key.variant.clone()))
                .or_default()
                .failed
                .push((s.key.metric, s.key.stat));
            continue;
        }
        let Some(p) = s.latest() else { continue };
        let m = out
            .entry((s.key.endpoint.clone(), s.key.variant.clone()))
            .or_default();
        m.at = Some(m.at.map_or(p.at, |a| a.max(p.at)));
        let v = Some(p.value);
        let ms = Some(micros_to_ms(p.value));
        match (s.key.metric, s.key.stat) {
            (MetricName::Invocations, Statistic::Sum) => m.invocations_per_min = v,
            (MetricName::InvocationsPerInstance, Statistic::Sum) => m.invocations_per_instance = v,
            (MetricName::ModelLatency, Statistic::Average) => m.model_latency_ms = ms,
            (MetricName::ModelLatency, Statistic::P99) => m.model_latency_p99_ms = ms,
            (MetricName::OverheadLatency, Statistic::Average) => m.overhead_latency_ms = ms,
            (MetricName::Invocation4XXErrors, Statistic::Sum) => m.errors_4xx = v,
            (MetricName::Invocation5XXErrors, Statistic::Sum) => m.errors_5xx = v,
            (MetricName::CPUUtilization, Statistic::Average) => m.cpu = v,
            (MetricName::MemoryUtilization, Statistic::Average) => m.memory = v,
            (MetricName::DiskUtilization, Statistic::Average) => m.disk = v,
            (MetricName::GPUUtilization, Statistic::Average) => m.gpu = v,
            (MetricName::GPUMemoryUtilization, Statistic::Average) => m.gpu_memory = v,
            _ => {}
        }
    }
    out
}

/// Autoscaling configuration of one endpoint and its recent activities (which may fail alone).
type EndpointAutoscaling = (Vec<VariantAutoscaling>, BackendResult<Vec<ScalingActivity>>);

/// `DescribeEndpoint` for each name, [`DESCRIBE_CONCURRENCY`] at a time, in any order.
pub async fn describe_each(
    backend: &dyn Backend,
    names: Vec<String>,
) -> Vec<(String, BackendResult<Endpoint>)> {
    futures::stream::iter(names)
        .map(|name| async move {
            let r = backend.describe_endpoint(&name).await;
            (name, r)
        })
        .buffer_unordered(DESCRIBE_CONCURRENCY)
        .collect()
        .await
}

/// Autoscaling configuration and recent activities of the named endpoints.
pub async fn fetch_autoscaling(
    backend: &dyn Backend,
    endpoints: &[String],
) -> BackendResult<AutoscalingData> {
    let results: Vec<(String, BackendResult<EndpointAutoscaling>)> =
        futures::stream::iter(endpoints.iter().cloned())
            .map(|name| async move {
                let r = async {
                    let config = backend.describe_autoscaling(&name).await?;
                    let activities = backend
                        .scaling_activities(&name, ACTIVITIES_PER_ENDPOINT)
                        .await;
                    Ok((config, activities))
                }
                .await;
                (name, r)
            })
            .buffer_unordered(DESCRIBE_CONCURRENCY)
            .collect()
            .await;
    let mut data = AutoscalingData::default();
    for (name, r) in results {
        match r {
            Ok((config, activities)) => {
                data.config.insert(name.clone(), config);
                match activities {
                    Ok(a) => {
                        data.activities.insert(name, a);
                    }
                    Err(BackendError::NotFound { .. }) => {}
                    Err(e) => {
                        data.activity_errors.insert(name, e);
                    }
                }
            }
            Err(BackendError::NotFound { .. }) => {}
            // Access denied, throttling…: the whole panel reports it.
            Err(e) => return Err(e),
        }
    }
    Ok(data)
}

/// SageMaker service quotas.
pub async fn fetch_quotas(backend: &dyn Backend) -> BackendResult<Vec<ServiceQuota>> {
    let mut q = backend.list_quotas().await?;
    q.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(q)
}

/// How far back each events poll makes sure it has every write: several poll intervals plus
/// CloudTrail's delivery delay (events typically arrive within about 5 minutes).
pub const EVENTS_LOOKBACK: chrono::Duration = chrono::Duration::minutes(20);

/// Most `LookupEvents` pages one events poll reads (each waits on the 2-a-second limiter).
pub const EVENTS_PAGE_BUDGET: usize = 8;

/// SageMaker writes (and autoscaling's on SageMaker): the newest page, then older pages of
/// the same lookup (same parameters with each token) until the lookup reaches back to
/// `now - EVENTS_LOOKBACK`, within [`EVENTS_PAGE_BUDGET`]. Writes only: reads (sagetop's own
/// polling among them) would fill the pages and hide other people's changes.
pub async fn fetch_events(backend: &dyn Backend, now: Timestamp) -> BackendResult<Vec<TrailEvent>> {
    let since = now - EVENTS_LOOKBACK;
    let mut q = EventQuery {
        max_results: MAX_EVENTS_PER_PAGE,
        writes_only: true,
        ..EventQuery::default()
    };
    let mut events = Vec::new();
    for _ in 0..EVENTS_PAGE_BUDGET {
        let page = match backend.lookup_events(&q).await {
            Ok(p) => p,
            // A later page that fails leaves what was read: the next poll reads again.
            Err(e) if q.next_token.is_some() => {
                tracing::debug!(error = %e, "older events page failed");
                break;
            }
            Err(e) => return Err(e),
        };
        let reached = page.events.iter().map(|e| e.time).chain(page.reached).min();
        events.extend(page.events);
        match page.next_token {
            Some(t) if reached.is_none_or(|r| r > since) => q.next_token = Some(t),
            _ => break,
        }
    }
    Ok(events)
}

/// Polls one panel. `endpoints` is the fleet as last seen (metrics and autoscaling need it);
/// `only` narrows autoscaling to one endpoint (the one on screen).
pub async fn poll_panel(
    backend: &dyn Backend,
    panel: Panel,
    endpoints: &[Endpoint],
    only: Option<&str>,
    now: Timestamp,
) -> BackendResult<PanelData> {
    poll_panel_in(backend, panel, endpoints, only, Default::default(), now).await
}

/// [`poll_panel`] with the chart window the charts panel covers (charts need `only`).
pub async fn poll_panel_in(
    backend: &dyn Backend,
    panel: Panel,
    endpoints: &[Endpoint],
    only: Option<&str>,
    window: crate::poll::charts::ChartWindow,
    now: Timestamp,
) -> BackendResult<PanelData> {
    Ok(match panel {
        Panel::Identity => PanelData::Identity(fetch_identity(backend).await?),
        Panel::Endpoints => PanelData::Endpoints(fetch_endpoints(backend).await?),
        Panel::Metrics => PanelData::Metrics(fetch_metrics(backend, endpoints, now).await?),
        Panel::Autoscaling => {
            let names: Vec<String> = match only {
                Some(one) => vec![one.to_string()],
                None => endpoints.iter().map(|e| e.name.clone()).collect(),
            };
            let mut data = fetch_autoscaling(backend, &names).await?;
            let chosen: Vec<Endpoint> = endpoints
                .iter()
                .filter(|e| names.contains(&e.name))
                .cloned()
                .collect();
            crate::poll::hosting::read_into(backend, &chosen, only, now, &mut data).await;
            crate::poll::hosting::read_component_scaling(backend, &mut data).await?;
            PanelData::Autoscaling(data)
        }
        Panel::Quotas => PanelData::Quotas(fetch_quotas(backend).await?),
        Panel::Events => PanelData::Events(fetch_events(backend, now).await?),
        Panel::Charts => {
            let name = only.unwrap_or_default();
            let Some(e) = endpoints.iter().find(|e| e.name == name) else {
                return Err(BackendError::NotFound {
                    operation: crate::boundary::Operation::GetMetricData,
                    resource: name.to_string(),
                    message: format!("endpoint `{name}` is not in the endpoint list"),
                });
            };
            let data = crate::poll::detail_fetch::fetch_charts(backend, e, window, now).await?;
            PanelData::Charts(data)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_families_are_recognised() {
        assert!(is_gpu_instance("ml.g5.12xlarge"));
        assert!(is_gpu_instance("ml.g4dn.xlarge"));
        assert!(is_gpu_instance("ml.p4d.24xlarge"));
        assert!(!is_gpu_instance("ml.m5.xlarge"));
        assert!(!is_gpu_instance("ml.inf2.xlarge"));
    }

    #[test]
    fn minute_floor_truncates() {
        let t = crate::clock::fixture_epoch() + chrono::Duration::seconds(125);
        assert_eq!(
            (minute_floor(t) - crate::clock::fixture_epoch()).num_seconds(),
            120
        );
    }

    #[test]
    fn latest_figures_convert_microseconds_and_take_newest_point() {
        let t0 = crate::clock::fixture_epoch();
        let p = |s: i64, v: f64| Datapoint {
            at: t0 + chrono::Duration::seconds(s),
            value: v,
        };
        let series = vec![
            MetricSeries {
                key: SeriesKey::new("ep", "v1", MetricName::ModelLatency, Statistic::Average),
                points: vec![p(0, 9_000.0), p(60, 12_500.0)],
                status: SeriesStatus::Complete,
            },
            MetricSeries {
                key: SeriesKey::new("ep", "v1", MetricName::Invocations, Statistic::Sum),
                points: vec![p(60, 840.0)],
                status: SeriesStatus::Complete,
            },
            MetricSeries {
                key: SeriesKey::new("ep", "v1", MetricName::GPUUtilization, Statistic::Average),
                points: vec![],
                status: SeriesStatus::Complete,
            },
        ];
        let latest = latest_figures(&series);
        let m = &latest[&("ep".to_string(), "v1".to_string())];
        assert_eq!(m.model_latency_ms, Some(12.5));
        assert_eq!(m.invocations_per_min, Some(840.0));
        assert_eq!(m.gpu, None);
        assert_eq!(m.at, Some(t0 + chrono::Duration::seconds(60)));
        assert!(m.failed.is_empty());
    }

    #[test]
    fn a_failed_series_is_marked_failed_not_read_as_a_figure() {
        let t0 = crate::clock::fixture_epoch();
        let series = vec![
            MetricSeries {
                key: SeriesKey::new("ep", "v1", MetricName::Invocations, Statistic::Sum),
                points: vec![Datapoint { at: t0, value: 0.0 }],
                status: SeriesStatus::Failed {
                    code: "InternalError".into(),
                    message: "try again".into(),
                },
            },
            MetricSeries {
                key: SeriesKey::new("ep", "v1", MetricName::CPUUtilization, Statistic::Average),
                points: vec![Datapoint {
                    at: t0,
                    value: 40.0,
                }],
                status: SeriesStatus::Complete,
            },
        ];
        let m = &latest_figures(&series)[&("ep".to_string(), "v1".to_string())];
        assert_eq!(m.invocations_per_min, None, "not zero");
        assert_eq!(m.failed, vec![(MetricName::Invocations, Statistic::Sum)]);
        assert_eq!(m.cpu, Some(40.0));
    }
}
