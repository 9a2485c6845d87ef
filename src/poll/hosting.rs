//! What the detail view reads about an endpoint's hosting beyond classic variants: one
//! `GetMetricData` query for its components' metrics (by `InferenceComponentName`), its async
//! backlog (by `EndpointName`), its serverless cold starts and its multi-model cache.
//! Metric names and dimensions:
//! https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html
//! https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html

use std::time::Duration;

use crate::domain::*;

/// Minutes of hosting metrics the detail shows (rows read the latest, sparklines the rest).
pub const WINDOW_MIN: i64 = 30;

/// The series worth reading for this endpoint's kind; none for classic endpoints.
pub fn metrics_query(h: &EndpointHosting, now: Timestamp) -> MetricQuery {
    use MetricName as M;
    use Statistic as S;
    let mut series = Vec::new();
    for c in &h.components {
        for (m, s) in [
            (M::Invocations, S::Sum),
            (M::ModelLatency, S::Average),
            (M::InvocationsPerCopy, S::Sum),
            (M::ConcurrentRequestsPerCopy, S::Maximum),
            (M::CPUUtilizationNormalized, S::Average),
            (M::GPUUtilizationNormalized, S::Average),
            (M::GPUMemoryUtilizationNormalized, S::Average),
        ] {
            series.push(SeriesKey::component(&h.endpoint, &c.name, m, s));
        }
    }
    if h.async_config.is_some() {
        for (m, s) in [
            (M::ApproximateBacklogSize, S::Average),
            (M::ApproximateBacklogSizePerInstance, S::Average),
            (M::ApproximateAgeOfOldestRequest, S::Maximum),
            (M::HasBacklogWithoutCapacity, S::Maximum),
        ] {
            series.push(SeriesKey::new(&h.endpoint, "", m, s));
        }
    }
    for v in &h.variants {
        if h.serverless {
            series.push(SeriesKey::new(
                &h.endpoint,
                &v.variant,
                M::ModelSetupTime,
                S::Average,
            ));
        }
        if v.multi_model == Some(true) {
            for (m, s) in [
                (M::LoadedModelCount, S::Average),
                (M::ModelCacheHit, S::Average),
                (M::ModelLoadingWaitTime, S::Average),
                (M::ModelUnloadingTime, S::Average),
            ] {
                series.push(SeriesKey::new(&h.endpoint, &v.variant, m, s));
            }
        }
    }
    let end = super::fleet::minute_floor(now);
    MetricQuery {
        series,
        start: end - chrono::Duration::minutes(WINDOW_MIN),
        end,
        period: Duration::from_secs(60),
    }
}

/// The two series the endpoints list shows for an async endpoint (its backlog marker), read
/// with the fleet's hosting; `None` for other endpoints.
/// https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html
pub fn backlog_query(h: &EndpointHosting, now: Timestamp) -> Option<MetricQuery> {
    h.async_config.as_ref()?;
    let mut q = metrics_query(h, now);
    q.series.retain(|k| {
        matches!(
            k.metric,
            MetricName::ApproximateBacklogSize | MetricName::HasBacklogWithoutCapacity
        )
    });
    // The last few minutes are enough for the newest value.
    q.start = q.end - chrono::Duration::minutes(5);
    Some(q)
}

/// Hosting of `endpoints` into `data` as the pollers read it: every endpoint from its config
/// and models (DescribeModel is cached per model), async endpoints with their backlog, the
/// watched one with all its hosting metrics. A failed read leaves that endpoint's last
/// hosting facts in place.
pub async fn read_into(
    backend: &dyn crate::boundary::Backend,
    endpoints: &[Endpoint],
    watched: Option<&str>,
    now: Timestamp,
    data: &mut super::data::AutoscalingData,
) {
    for e in endpoints {
        let Ok(h) = backend.describe_hosting(e, true).await else {
            continue;
        };
        let q = if watched == Some(e.name.as_str()) {
            Some(metrics_query(&h, now))
        } else {
            backlog_query(&h, now)
        };
        if let Some(q) = q.filter(|q| !q.series.is_empty())
            && let Ok(s) = backend.get_metrics(&q).await
        {
            data.hosting_metrics.insert(e.name.clone(), s);
        }
        data.hosting.insert(e.name.clone(), h);
    }
}

/// Copy-count autoscaling of every inference component in `data.hosting` (one batched read
/// for all of them), by component name. A component gone since (NotFound) leaves nothing;
/// other errors (access denied, throttling) are the autoscaling panel's, as the variants'
/// autoscaling read's are.
pub async fn read_component_scaling(
    backend: &dyn crate::boundary::Backend,
    data: &mut super::data::AutoscalingData,
) -> crate::boundary::BackendResult<()> {
    let names: Vec<String> = data
        .hosting
        .values()
        .flat_map(|h| h.components.iter().map(|c| c.name.clone()))
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    match backend.describe_component_autoscaling(&names).await {
        Ok(found) => {
            data.components
                .extend(found.into_iter().map(|a| (a.component.clone(), a)));
            Ok(())
        }
        Err(crate::boundary::BackendError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The latest value of one series of `series`.
pub fn latest(
    series: &[MetricSeries],
    component: Option<&str>,
    variant: &str,
    metric: MetricName,
) -> Option<f64> {
    series
        .iter()
        .find(|s| {
            s.key.metric == metric
                && s.key.component.as_deref() == component
                && (component.is_some() || s.key.variant == variant)
        })
        .and_then(MetricSeries::latest)
        .map(|p| p.value)
}
