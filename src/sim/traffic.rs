//! Load model: daily traffic curve, bursts, per-instance capacity, and one minute's
//! invocation/latency/error/utilization figures of a variant, synthesized from inputs.

use std::f64::consts::TAU;

use super::ids::{Fast, tag};

/// vCPUs and GPUs of an instance type (utilization is summed over them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InstanceKind {
    pub vcpus: u32,
    pub gpus: u32,
}

pub(crate) fn instance_kind(instance_type: &str) -> InstanceKind {
    let (vcpus, gpus) = match instance_type {
        "ml.t2.medium" | "ml.m5.large" | "ml.c5.large" | "ml.r5.large" => (2, 0),
        "ml.m5.xlarge" | "ml.c5.xlarge" | "ml.inf2.xlarge" => (4, 0),
        "ml.m5.2xlarge" | "ml.c5.2xlarge" => (8, 0),
        "ml.m5.4xlarge" | "ml.c5.4xlarge" => (16, 0),
        "ml.g4dn.xlarge" | "ml.g5.xlarge" => (4, 1),
        "ml.g5.2xlarge" => (8, 1),
        "ml.g5.12xlarge" => (48, 4),
        "ml.g5.48xlarge" => (192, 8),
        "ml.p4d.24xlarge" => (96, 8),
        _ => (2, 0),
    };
    InstanceKind { vcpus, gpus }
}

/// How one variant's model behaves on its hardware.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VariantModel {
    /// Requests per minute one instance (or the whole serverless pool) serves at ρ = 1.
    pub capacity: f64,
    /// ModelLatency at low load, µs.
    pub latency_us: f64,
    /// OverheadLatency at low load, µs.
    pub overhead_us: f64,
    pub cpu_idle: f64,
    pub cpu_per_rho: f64,
    pub mem_base: f64,
    pub mem_per_rho: f64,
    pub disk_base: f64,
    pub gpu_mem_base: f64,
    /// Fraction of requests rejected as client errors.
    pub err4xx: f64,
    pub kind: InstanceKind,
    pub serverless: bool,
}

impl VariantModel {
    /// A CPU model on `instance_type`.
    pub(crate) fn cpu(instance_type: &str, capacity: f64, latency_ms: f64) -> VariantModel {
        VariantModel {
            capacity,
            latency_us: latency_ms * 1000.0,
            overhead_us: 1_800.0,
            cpu_idle: 0.04,
            cpu_per_rho: 0.82,
            mem_base: 28.0,
            mem_per_rho: 9.0,
            disk_base: 11.0,
            gpu_mem_base: 0.0,
            err4xx: 0.0015,
            kind: instance_kind(instance_type),
            serverless: false,
        }
    }

    /// A GPU model on `instance_type` (CPU mostly idle, GPU memory holding the weights).
    pub(crate) fn gpu(
        instance_type: &str,
        capacity: f64,
        latency_ms: f64,
        gpu_mem_base: f64,
    ) -> VariantModel {
        VariantModel {
            overhead_us: 3_900.0,
            cpu_idle: 0.02,
            cpu_per_rho: 0.10,
            mem_base: 41.0,
            mem_per_rho: 6.0,
            disk_base: 23.0,
            gpu_mem_base,
            err4xx: 0.0008,
            ..VariantModel::cpu(instance_type, capacity, latency_ms)
        }
    }

    /// A serverless model: `capacity` is the whole concurrency pool's requests per minute.
    pub(crate) fn serverless(max_concurrency: u32, latency_ms: f64) -> VariantModel {
        let per_slot = 60_000.0 / (latency_ms + 12.0).max(1.0);
        VariantModel {
            capacity: f64::from(max_concurrency) * per_slot,
            overhead_us: 11_000.0,
            err4xx: 0.003,
            kind: InstanceKind { vcpus: 0, gpus: 0 },
            serverless: true,
            ..VariantModel::cpu("serverless", 1.0, latency_ms)
        }
    }
}

/// A period in which traffic was unusually high (used for the synthesized past).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Surge {
    pub from_min: i64,
    pub until_min: i64,
    pub factor: f64,
}

/// Endpoint-level traffic: requests per minute at the daily peak.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TrafficModel {
    pub base_peak: f64,
    pub surges: Vec<Surge>,
}

impl TrafficModel {
    pub(crate) fn surge(&self, minute: i64) -> f64 {
        self.surges
            .iter()
            .find(|s| minute >= s.from_min && minute < s.until_min)
            .map_or(1.0, |s| s.factor)
    }
}

/// What the world looked like for a variant during one minute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Inputs {
    pub instances: u32,
    pub share: f32,
    pub factor: f32,
    pub serving: bool,
    /// Extra share of requests failing with 5XX (a test knob, `SimAccount::set_variant_fault`).
    pub fault: f32,
}

/// Daily curve (peak 15:00 UTC, trough 03:00 at 10%) with quieter weekends.
pub(crate) fn diurnal(minute: i64) -> f64 {
    let h = minute.rem_euclid(1440) as f64 / 60.0;
    let d = 0.55 + 0.45 * ((h - 15.0) / 24.0 * TAU).cos();
    let dow = (minute.div_euclid(1440) + 4).rem_euclid(7); // 0 = Sunday
    if dow == 0 || dow == 6 { d * 0.72 } else { d }
}

/// Short bursts: at most one per 30-minute block, 2–6 minutes, ×1.15–1.35.
fn burst(seed: u64, ep: u64, minute: i64) -> f64 {
    let block = minute.div_euclid(30);
    let mut r = Fast::new(&[seed, tag::BURST, ep, block as u64]);
    if r.unit() >= 0.12 {
        return 1.0;
    }
    let start = (r.unit() * 24.0) as i64;
    let len = 2 + (r.unit() * 5.0) as i64;
    let mag = r.range(1.15, 1.35);
    let off = minute - block * 30;
    if off >= start && off < start + len {
        mag
    } else {
        1.0
    }
}

/// Modelled requests per minute to the whole endpoint (before the load factor).
pub(crate) fn endpoint_rate(seed: u64, ep: u64, traffic: &TrafficModel, minute: i64) -> f64 {
    let mut r = Fast::new(&[seed, tag::TRAFFIC, ep, minute as u64]);
    let noise = (1.0 + 0.03 * r.normal()).clamp(0.92, 1.08);
    traffic.base_peak * diurnal(minute) * noise * burst(seed, ep, minute) * traffic.surge(minute)
}

/// Queueing: latency multiplier at utilization ρ, steep near saturation.
pub(crate) fn queue_factor(rho: f64) -> f64 {
    let r = rho.clamp(0.0, 0.98);
    let q = 1.0 + 0.25 * r / (1.0 - r);
    if rho > 1.0 {
        q * (1.0 + 4.0 * (rho - 1.0).min(20.0))
    } else {
        q
    }
}

/// Fraction of requests failing with 5XX at utilization ρ (instance variants).
pub(crate) fn overload_error_rate(rho: f64) -> f64 {
    if rho > 1.0 {
        0.85 * (1.0 - 1.0 / rho)
    } else {
        0.0
    }
}

const MAX_LATENCY_US: f64 = 60_000_000.0;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Lat {
    pub avg: f64,
    pub p99: f64,
    pub max: f64,
    pub min: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Util {
    pub avg: f64,
    pub max: f64,
    pub min: f64,
}

/// One variant's published figures for one complete minute.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct MinuteStats {
    pub invocations: f64,
    pub e4xx: f64,
    pub e5xx: f64,
    pub model: Lat,
    pub overhead: Lat,
    /// 0 for serverless variants.
    pub instances: u32,
    pub cpu: Option<Util>,
    pub mem: Option<Util>,
    pub disk: Option<Util>,
    pub gpu: Option<Util>,
    pub gpu_mem: Option<Util>,
}

impl MinuteStats {
    /// InvocationsPerInstance as published for this minute.
    pub(crate) fn per_instance(&self) -> Option<f64> {
        (self.instances > 0 && self.invocations > 0.0)
            .then(|| self.invocations / f64::from(self.instances))
    }
}

/// Identifies one variant's random streams.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamId {
    pub seed: u64,
    pub endpoint: u64,
    pub variant: u64,
}

fn util(avg: f64, cap: f64, spread: f64, instances: u32) -> Util {
    let avg = avg.clamp(0.0, cap);
    if instances <= 1 {
        return Util {
            avg,
            max: avg,
            min: avg,
        };
    }
    Util {
        avg,
        max: (avg * (1.0 + spread)).min(cap),
        min: avg * (1.0 - spread),
    }
}

/// The figures for one minute: deterministic in (stream, minute, inputs, extra).
pub(crate) fn minute_stats(
    id: StreamId,
    traffic: &TrafficModel,
    m: &VariantModel,
    minute: i64,
    inputs: Inputs,
    extra: u32,
) -> Option<MinuteStats> {
    if !inputs.serving || (!m.serverless && inputs.instances == 0) {
        return None;
    }
    let mut r = Fast::new(&[
        id.seed,
        tag::VARIANT,
        id.endpoint,
        id.variant,
        minute as u64,
    ]);
    let lambda = endpoint_rate(id.seed, id.endpoint, traffic, minute)
        * f64::from(inputs.factor)
        * f64::from(inputs.share);
    let count = r.poisson(lambda) + f64::from(extra);
    let pool = if m.serverless {
        m.capacity
    } else {
        m.capacity * f64::from(inputs.instances)
    };
    let rho = if pool > 0.0 { count / pool } else { 0.0 };

    let qf = queue_factor(rho);
    let avg = (m.latency_us * qf * (1.0 + 0.04 * r.normal()).clamp(0.85, 1.2)).min(MAX_LATENCY_US);
    let p99 = (avg * (1.9 + 0.8 * rho.min(1.5)) * r.range(0.95, 1.08)).min(MAX_LATENCY_US);
    let mut model = Lat {
        avg,
        p99,
        max: (p99 * r.range(1.25, 1.8)).min(MAX_LATENCY_US),
        min: m.latency_us * r.range(0.4, 0.5),
    };
    let o_avg =
        m.overhead_us * (1.0 + 0.3 * rho.min(2.0)) * (1.0 + 0.05 * r.normal()).clamp(0.85, 1.2);
    let mut overhead = Lat {
        avg: o_avg,
        p99: o_avg * r.range(2.2, 2.8),
        max: o_avg * r.range(5.0, 8.0),
        min: o_avg * 0.45,
    };

    if m.serverless && count > 0.0 {
        let mut c = Fast::new(&[id.seed, tag::COLD, id.endpoint, id.variant, minute as u64]);
        let p_cold = (2.0 / (1.0 + lambda)).clamp(0.03, 0.9);
        if c.unit() < p_cold {
            let cold = c.range(2.5e6, 6.0e6);
            overhead.max = overhead.max.max(cold);
            overhead.p99 = if count <= 100.0 {
                cold
            } else {
                overhead.p99.max(cold * 0.4)
            };
            overhead.avg += cold / count;
        }
    }
    if count == 0.0 {
        model = Lat::default();
        overhead = Lat::default();
    }

    let over = if m.serverless {
        0.0
    } else {
        overload_error_rate(rho)
    };
    let throttled = if m.serverless && rho > 1.0 {
        count * (1.0 - 1.0 / rho)
    } else {
        0.0
    };
    let e5xx = r
        .poisson(count * (0.0001 + over + f64::from(inputs.fault)))
        .min(count);
    let e4xx = (r.poisson(count * m.err4xx) + throttled.round()).min(count - e5xx);

    let mut s = MinuteStats {
        invocations: count,
        e4xx,
        e5xx,
        model,
        overhead,
        instances: inputs.instances,
        ..Default::default()
    };
    if m.serverless {
        s.instances = 0;
        return Some(s);
    }
    let n = inputs.instances;
    let busy = rho.min(1.15);
    let vcap = f64::from(m.kind.vcpus) * 100.0;
    let cpu =
        vcap * ((m.cpu_idle + m.cpu_per_rho * busy) * (1.0 + 0.05 * r.normal())).clamp(0.005, 0.98);
    s.cpu = Some(util(cpu, vcap, 0.07, n));
    let mem = (m.mem_base + m.mem_per_rho * busy + 0.3 * r.normal()).clamp(1.0, 99.0);
    s.mem = Some(util(mem, 100.0, 0.03, n));
    let drift = 0.4 * (minute as f64 / 10_080.0 * TAU).sin();
    let disk = (m.disk_base + drift + 0.02 * r.normal()).clamp(0.5, 99.0);
    s.disk = Some(util(disk, 100.0, 0.01, n));
    if m.kind.gpus > 0 {
        let gcap = f64::from(m.kind.gpus) * 100.0;
        let gpu = gcap * (0.03 + 0.85 * busy + 0.015 * r.normal()).clamp(0.0, 0.99);
        s.gpu = Some(util(gpu, gcap, 0.08, n));
        let gm = gcap * (m.gpu_mem_base + 0.06 * busy + 0.005 * r.normal()).clamp(0.0, 0.99);
        s.gpu_mem = Some(util(gm, gcap, 0.02, n));
    }
    Some(s)
}

/// Latency of one request (µs of model time + overhead) at the current utilization.
pub(crate) fn request_latency_us(m: &VariantModel, rho: f64, r: &mut Fast) -> f64 {
    let model = m.latency_us * queue_factor(rho) * (1.0 + 0.15 * r.normal()).clamp(0.5, 2.5);
    let overhead = m.overhead_us * (1.0 + 0.3 * rho.min(2.0)) * r.range(0.7, 1.6);
    (model + overhead).min(MAX_LATENCY_US)
}

/// What an endpoint's model answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    FraudScore,
    Churn,
    Ranking,
    Summary,
    Embedding,
    Intent,
    Moderation,
    Sentiment,
}

/// A plausible response body and its content type.
pub(crate) fn response_body(kind: BodyKind, r: &mut Fast) -> (Vec<u8>, &'static str) {
    let p = r.unit();
    let json = |s: String| (s.into_bytes(), "application/json");
    match kind {
        BodyKind::FraudScore => (format!("{:.4}\n", p * p * 0.35).into_bytes(), "text/csv"),
        BodyKind::Churn => {
            let label = if p > 0.5 { "churn" } else { "retain" };
            json(format!(
                "{{\"predictions\":[{{\"score\":{p:.4},\"label\":\"{label}\"}}]}}"
            ))
        }
        BodyKind::Ranking => {
            let items: Vec<String> = (0..5)
                .map(|i| {
                    format!(
                        "{{\"item_id\":\"sku-{}\",\"score\":{:.4}}}",
                        10_000 + (r.next_u64() % 90_000),
                        0.95 - 0.12 * f64::from(i) * p
                    )
                })
                .collect();
            json(format!("{{\"ranked\":[{}]}}", items.join(",")))
        }
        BodyKind::Summary => json(format!(
            "{{\"generated_text\":\"Customer reports a duplicate charge on the March invoice and asks for a refund; agent confirmed and escalated to billing.\",\"details\":{{\"generated_tokens\":{},\"finish_reason\":\"eos_token\"}}}}",
            40 + (r.next_u64() % 60)
        )),
        BodyKind::Embedding => {
            let v: Vec<String> = (0..8)
                .map(|_| format!("{:.5}", r.range(-0.2, 0.2)))
                .collect();
            json(format!(
                "{{\"embedding\":[{}],\"dimensions\":384}}",
                v.join(",")
            ))
        }
        BodyKind::Intent => {
            let intents = [
                "billing",
                "cancel_subscription",
                "shipping_status",
                "password_reset",
            ];
            let i = (r.next_u64() % intents.len() as u64) as usize;
            json(format!(
                "{{\"intent\":\"{}\",\"confidence\":{:.3}}}",
                intents[i],
                0.6 + 0.39 * p
            ))
        }
        BodyKind::Moderation => json(format!(
            "{{\"labels\":[{{\"name\":\"safe\",\"confidence\":{:.3}}},{{\"name\":\"violence\",\"confidence\":{:.3}}}]}}",
            0.9 + 0.09 * p,
            0.05 * (1.0 - p)
        )),
        BodyKind::Sentiment => {
            let label = if p > 0.35 { "NEGATIVE" } else { "POSITIVE" };
            json(format!(
                "[{{\"label\":\"{label}\",\"score\":{:.4}}}]",
                0.55 + 0.44 * p
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diurnal_peaks_mid_afternoon() {
        let monday = 20_514 * 1440; // 2026-03-02 00:00 UTC in minutes
        assert!(diurnal(monday + 15 * 60) > 0.99);
        assert!(diurnal(monday + 3 * 60) < 0.11);
    }

    #[test]
    fn latency_climbs_near_saturation() {
        assert!(queue_factor(0.3) < 1.2);
        assert!(queue_factor(0.95) > 5.0);
        assert!(queue_factor(1.5) > queue_factor(0.99));
    }
}
