//! The simulated account's hosting beyond classic variants: inference components whose copies
//! scale with a delay (Updating → InService), an async endpoint whose backlog grows while it
//! lacks capacity and drains when it scales, serverless provisioned concurrency with cold
//! starts, and a multi-model endpoint's model cache. Minute by minute, deterministic per seed.

use std::collections::{BTreeMap, BTreeSet};

use super::async_scale;
use super::ids::{self, Fast, MINUTE_MS};
use super::traffic::diurnal;
use super::world::{World, serves};
use crate::boundary::{BackendError, BackendResult, Operation};
use crate::domain::*;

/// Minutes of synthesized past before the start (charts have something to show at once).
const WARM_MIN: i64 = 360;
/// Minutes of per-minute values kept.
const KEEP_MIN: i64 = 3 * 1440;
/// How long adding or removing copies takes (placement and model load on GPU instances).
pub(crate) const COPY_SCALE_MS: i64 = 150_000;

#[derive(Debug, Clone)]
pub(crate) struct SimComponent {
    pub name: String,
    pub endpoint: String,
    pub variant: String,
    pub model: String,
    pub compute: ComputeRequirements,
    pub current: u32,
    pub desired: u32,
    pub status: ComponentStatus,
    /// When the copies reach `desired`.
    pub done_at_ms: Option<i64>,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// Requests a minute at the daily peak.
    pub peak_per_min: f64,
    /// Requests a minute one copy serves.
    pub per_copy_capacity: f64,
    pub latency_ms: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct SimAsync {
    pub variant: String,
    pub config: AsyncConfig,
    pub backlog: f64,
    /// Requests a minute arriving while a batch arrives (`async_scale::arrivals`).
    pub peak_per_min: f64,
    /// Requests a minute one instance finishes.
    pub per_instance: f64,
}

/// A component's copy count registered with Application Auto Scaling
/// (`inference-component/NAME`, `sagemaker:inference-component:DesiredCopyCount`).
#[derive(Debug, Clone)]
pub(crate) struct SimCopyScaling {
    pub min: u32,
    pub max: u32,
    pub policy: Option<ScalingPolicy>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct HostingState {
    pub components: BTreeMap<String, SimComponent>,
    /// Component name → its registered copy-count target and policy.
    pub copy_scaling: BTreeMap<String, SimCopyScaling>,
    /// Endpoint name → its async queue.
    pub asyncs: BTreeMap<String, SimAsync>,
    /// (endpoint, variant) → provisioned concurrency.
    pub provisioned: BTreeMap<(String, String), u32>,
    /// (endpoint, variant) → managed instance scaling.
    pub managed: BTreeMap<(String, String), ManagedScaling>,
    /// Models whose container runs in `Mode: MultiModel`.
    pub multi_models: BTreeSet<String>,
    /// (scope, metric) → minute → value; scope is a component name, an endpoint name, or
    /// "endpoint/variant".
    pub series: BTreeMap<(String, MetricName), BTreeMap<i64, f64>>,
}

fn scope_of(key: &SeriesKey) -> String {
    match &key.component {
        Some(c) => c.clone(),
        None if key.variant.is_empty() => key.endpoint.clone(),
        None => format!("{}/{}", key.endpoint, key.variant),
    }
}

impl HostingState {
    fn put(&mut self, scope: &str, metric: MetricName, minute: i64, value: f64) {
        self.series
            .entry((scope.to_string(), metric))
            .or_default()
            .insert(minute, value);
    }

    pub(crate) fn component_view(&self, c: &SimComponent) -> InferenceComponent {
        InferenceComponent {
            name: c.name.clone(),
            endpoint: c.endpoint.clone(),
            variant: c.variant.clone(),
            model: Some(c.model.clone()),
            status: Some(c.status),
            failure_reason: None,
            current_copies: Some(c.current),
            desired_copies: Some(c.desired),
            compute: c.compute,
            last_modified: Some(ids::from_ms(c.modified_ms)),
        }
    }

    /// Copy-count autoscaling of the named components, in the order asked (no target for a
    /// name that has none, as Application Auto Scaling answers for an unknown resource id).
    pub(crate) fn component_autoscaling(&self, names: &[String]) -> Vec<ComponentAutoscaling> {
        names
            .iter()
            .map(|n| {
                let s = self.copy_scaling.get(n);
                ComponentAutoscaling {
                    component: n.clone(),
                    range: s.map(|s| (s.min, s.max)),
                    policies: s.and_then(|s| s.policy.clone()).into_iter().collect(),
                }
            })
            .collect()
    }

    /// Every component of an endpoint, by name.
    pub(crate) fn components_of(&self, endpoint: &str) -> Vec<InferenceComponent> {
        self.components
            .values()
            .filter(|c| c.endpoint == endpoint)
            .map(|c| self.component_view(c))
            .collect()
    }
}

/// The endpoint's hosting as the simulated account's config and models say.
pub(crate) fn describe(w: &World, endpoint: &Endpoint, models: bool) -> EndpointHosting {
    let h = &w.hosting;
    let mut out = EndpointHosting::of(endpoint);
    out.async_config = h.asyncs.get(&endpoint.name).map(|a| a.config.clone());
    for v in &mut out.variants {
        let key = (endpoint.name.clone(), v.variant.clone());
        v.managed_scaling = h.managed.get(&key).copied();
        v.provisioned_concurrency = h.provisioned.get(&key).copied();
        if models && let Some(m) = v.model.as_deref().filter(|m| !m.is_empty()) {
            v.multi_model = Some(h.multi_models.contains(m));
        }
    }
    if out.uses_components() {
        out.components = h.components_of(&endpoint.name);
    }
    out
}

/// `UpdateInferenceComponentRuntimeConfig`: the copies move to `desired` after a delay.
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponentRuntimeConfig.html
pub(crate) fn update_copies(w: &mut World, change: &CopyChange) -> BackendResult<()> {
    let op = Operation::UpdateInferenceComponentRuntimeConfig;
    let now = w.now_ms;
    let Some(c) = w.hosting.components.get_mut(&change.component) else {
        return Err(BackendError::Validation {
            operation: op,
            message: format!(
                "Could not find inference component \"arn:aws:sagemaker:{}:{}:inference-component/{}\".",
                ids::REGION,
                ids::ACCOUNT,
                change.component
            ),
        });
    };
    if c.status != ComponentStatus::InService {
        return Err(BackendError::Validation {
            operation: op,
            message: format!(
                "Cannot update inference component {} while it is {}.",
                c.name, c.status
            ),
        });
    }
    c.desired = change.desired_copies;
    c.status = ComponentStatus::Updating;
    c.modified_ms = now;
    c.done_at_ms = Some(now + COPY_SCALE_MS);
    Ok(())
}

/// The minute `m` closed: finish copy changes that are due, move the queues, publish metrics.
pub(crate) fn close_minute(w: &mut World, m: i64) {
    let now = w.now_ms;
    let seed = w.seed;
    for c in w.hosting.components.values_mut() {
        if c.done_at_ms.is_some_and(|t| t <= now) {
            c.current = c.desired;
            c.status = ComponentStatus::InService;
            c.done_at_ms = None;
            c.modified_ms = now;
        }
    }
    // Instances each async endpoint has now.
    let instances: BTreeMap<String, (u32, bool, f64)> = w
        .hosting
        .asyncs
        .iter()
        .map(|(name, a)| {
            let ep = w.endpoints.get(name);
            let n = ep
                .and_then(|e| e.variants.iter().find(|v| v.name == a.variant))
                .and_then(|v| v.current_count)
                .unwrap_or(0);
            let factor = ep.map_or(1.0, |e| e.load_factor);
            (
                name.clone(),
                (n, ep.is_some_and(|e| serves(e.status)), factor),
            )
        })
        .collect();
    let serverless: Vec<(String, String, u32, u32)> = w
        .hosting
        .provisioned
        .iter()
        .filter_map(|((e, v), p)| {
            let ep = w.endpoints.get(e)?;
            let var = ep.variants.iter().find(|x| x.name == *v)?;
            Some((e.clone(), v.clone(), *p, var.serverless?.max_concurrency))
        })
        .collect();
    let multi: Vec<(String, String, u32)> = w
        .endpoints
        .values()
        .flat_map(|e| {
            e.variants
                .iter()
                .filter(|v| w.hosting.multi_models.contains(&v.model_name))
                .map(|v| (e.name.clone(), v.name.clone(), v.current_count.unwrap_or(0)))
        })
        .collect();
    let start_min = w.start_min;
    step(
        &mut w.hosting,
        (seed, start_min),
        m,
        &instances,
        &serverless,
        &multi,
    );
    if m.rem_euclid(60) == 0 {
        let cutoff = m - KEEP_MIN;
        for s in w.hosting.series.values_mut() {
            s.retain(|k, _| *k >= cutoff);
        }
    }
}

fn step(
    h: &mut HostingState,
    (seed, start_min): (u64, i64),
    m: i64,
    instances: &BTreeMap<String, (u32, bool, f64)>,
    serverless: &[(String, String, u32, u32)],
    multi: &[(String, String, u32)],
) {
    let load = diurnal(m);
    let mut puts: Vec<(String, MetricName, f64)> = Vec::new();
    for c in h.components.values() {
        let mut r = Fast::new(&[seed, ids::hash_str(&c.name), m as u64]);
        let copies = f64::from(c.current.max(1));
        let inv = (c.peak_per_min * load * (0.9 + 0.2 * r.unit())).round();
        let rho = (inv / (copies * c.per_copy_capacity)).min(1.5);
        let latency_us = c.latency_ms * 1000.0 * (1.0 + rho * rho) * (0.95 + 0.1 * r.unit());
        let n = c.name.clone();
        puts.push((n.clone(), MetricName::Invocations, inv));
        puts.push((n.clone(), MetricName::ModelLatency, latency_us));
        puts.push((
            n.clone(),
            MetricName::InvocationsPerCopy,
            (inv / copies).round(),
        ));
        puts.push((
            n.clone(),
            MetricName::ConcurrentRequestsPerCopy,
            (rho * 4.0 * 10.0).round() / 10.0,
        ));
        puts.push((
            n.clone(),
            MetricName::CPUUtilizationNormalized,
            (8.0 + 30.0 * rho).min(100.0),
        ));
        if c.compute.accelerators.is_some() {
            puts.push((
                n.clone(),
                MetricName::GPUUtilizationNormalized,
                (15.0 + 70.0 * rho).min(100.0),
            ));
            puts.push((
                n,
                MetricName::GPUMemoryUtilizationNormalized,
                (62.0 + 8.0 * rho).min(100.0),
            ));
        }
    }
    for (name, a) in &mut h.asyncs {
        let (n, serving, factor) = instances.get(name).copied().unwrap_or((0, false, 1.0));
        let arrivals =
            (async_scale::arrivals(seed, name, start_min, m, a.peak_per_min) * factor).round();
        let capacity = if serving {
            a.per_instance * f64::from(n)
        } else {
            0.0
        };
        let done = (a.backlog + arrivals).min(capacity);
        a.backlog = (a.backlog + arrivals - done).max(0.0);
        let age = if a.backlog <= 0.0 {
            0.0
        } else if capacity > 0.0 {
            (a.backlog / capacity * 60.0).min(21_600.0)
        } else {
            21_600.0_f64.min(60.0 * a.backlog / arrivals.max(1.0) + 60.0)
        };
        let per_instance = if n > 0 {
            a.backlog / f64::from(n)
        } else {
            a.backlog
        };
        puts.push((name.clone(), MetricName::ApproximateBacklogSize, a.backlog));
        puts.push((
            name.clone(),
            MetricName::ApproximateBacklogSizePerInstance,
            per_instance,
        ));
        puts.push((
            name.clone(),
            MetricName::ApproximateAgeOfOldestRequest,
            age.round(),
        ));
        puts.push((
            name.clone(),
            MetricName::HasBacklogWithoutCapacity,
            if a.backlog > 0.0 && n == 0 { 1.0 } else { 0.0 },
        ));
    }
    for (e, v, provisioned, max) in serverless {
        let mut r = Fast::new(&[seed, ids::hash_str(e), 7, m as u64]);
        // Concurrency above what is provisioned starts cold environments.
        let concurrency = f64::from(*max) * load * (0.3 + 0.5 * r.unit());
        if concurrency > f64::from(*provisioned) {
            let setup_us = 1_800_000.0 + 1_400_000.0 * r.unit();
            puts.push((format!("{e}/{v}"), MetricName::ModelSetupTime, setup_us));
        }
    }
    for (e, v, n) in multi {
        let mut r = Fast::new(&[seed, ids::hash_str(e), 11, m as u64]);
        let scope = format!("{e}/{v}");
        let loaded = (f64::from(*n) * 9.0 * (0.8 + 0.2 * r.unit())).round();
        let hit = (0.97 - 0.25 * load * r.unit()).clamp(0.0, 1.0);
        puts.push((scope.clone(), MetricName::LoadedModelCount, loaded));
        puts.push((
            scope.clone(),
            MetricName::ModelCacheHit,
            (hit * 1000.0).round() / 1000.0,
        ));
        puts.push((
            scope.clone(),
            MetricName::ModelLoadingWaitTime,
            (1.0 - hit) * 9_000_000.0 + 40_000.0,
        ));
        puts.push((
            scope,
            MetricName::ModelUnloadingTime,
            120_000.0 + 80_000.0 * r.unit(),
        ));
    }
    for (scope, metric, v) in puts {
        h.put(&scope, metric, m, v);
    }
}

/// Runs the synthesized past so the charts have history at the start (async endpoints
/// scaling as their policies say, `async_scale::replay`).
pub(crate) fn warm(w: &mut World) {
    let start = w.start_min;
    async_scale::replay(w, start - WARM_MIN..start, |w, m| {
        let now = w.now_ms;
        w.now_ms = now.min(m * MINUTE_MS);
        close_minute(w, m);
        w.now_ms = now;
    });
}

/// Fills the hosting series of a metric query (the rest come from `sim::metrics`).
pub(crate) fn fill(w: &World, q: &MetricQuery, out: &mut [MetricSeries]) {
    let period_min = (q.period.as_secs() / 60).max(1) as i64;
    let start_min = ids::minute_of(ids::to_ms(q.start));
    let end_min = ids::minute_of(ids::to_ms(q.end) - 1) + 1;
    for s in out.iter_mut() {
        let Some(values) = w.hosting.series.get(&(scope_of(&s.key), s.key.metric)) else {
            continue;
        };
        let mut buckets: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
        for (m, v) in values.range(start_min..end_min.min(w.open_min)) {
            buckets
                .entry((m - start_min).div_euclid(period_min))
                .or_default()
                .push(*v);
        }
        s.points = buckets
            .into_iter()
            .map(|(b, vs)| Datapoint {
                at: ids::from_ms((start_min + b * period_min) * MINUTE_MS),
                value: reduce(&vs, s.key.stat),
            })
            .collect();
    }
}

fn reduce(vs: &[f64], stat: Statistic) -> f64 {
    let n = vs.len().max(1) as f64;
    match stat {
        Statistic::Sum => vs.iter().sum(),
        Statistic::Maximum | Statistic::P99 => vs.iter().copied().fold(f64::MIN, f64::max),
        Statistic::Minimum => vs.iter().copied().fold(f64::MAX, f64::min),
        Statistic::SampleCount => n,
        Statistic::Average => vs.iter().sum::<f64>() / n,
    }
}
