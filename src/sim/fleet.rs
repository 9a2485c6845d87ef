//! Fixtures: the standard demo fleet (ten endpoints in every status worth seeing) and the
//! generated extra endpoints, as specs that `history` turns into the world at the start.

use rand::Rng;

use super::ids::{MINUTE_MS, chacha, tag};
use super::traffic::{BodyKind, VariantModel};
use super::trail::Caller;
use super::world::PendingKind;
use crate::domain::*;

pub(super) const DAY_MS: i64 = 86_400_000;
pub(super) const HOUR_MS: i64 = 3_600_000;

/// A past traffic surge that scaled a variant out to `to` and back in.
pub(super) struct Episode {
    pub(super) ago_min: i64,
    pub(super) len_min: i64,
    pub(super) factor: f64,
    pub(super) to: u32,
}

pub(super) struct VSpec {
    pub(super) name: String,
    pub(super) model: String,
    pub(super) itype: Option<&'static str>,
    pub(super) count: Option<u32>,
    pub(super) desired: Option<u32>,
    pub(super) weight: f64,
    pub(super) vm: VariantModel,
    pub(super) serverless: Option<ServerlessConfig>,
    /// (min, max, target InvocationsPerInstance)
    pub(super) scaling: Option<(u32, u32, f64)>,
    pub(super) episodes: Vec<Episode>,
    pub(super) ceiling: Option<u32>,
}

pub(super) fn cpu(
    name: &str,
    model: &str,
    itype: &'static str,
    n: u32,
    weight: f64,
    vm: VariantModel,
) -> VSpec {
    VSpec {
        name: name.into(),
        model: model.into(),
        itype: Some(itype),
        count: Some(n),
        desired: Some(n),
        weight,
        vm,
        serverless: None,
        scaling: None,
        episodes: Vec::new(),
        ceiling: None,
    }
}

/// What the last change to the endpoint was (a CloudTrail event), if any.
pub(super) enum Change {
    None,
    Event(&'static str, Caller),
}

pub(super) struct ESpec {
    pub(super) name: String,
    pub(super) config: String,
    pub(super) image: &'static str,
    pub(super) status: EndpointStatus,
    pub(super) failure: Option<String>,
    pub(super) created_ago_ms: i64,
    pub(super) modified_ago_ms: i64,
    pub(super) created_by: Caller,
    pub(super) change: Change,
    pub(super) variants: Vec<VSpec>,
    pub(super) base_peak: f64,
    pub(super) body: BodyKind,
    /// Seconds after the start at which the pending transition ends: (lo, hi, kind).
    pub(super) pending: Option<(i64, i64, PendingKind)>,
}

pub(super) const XGB: &str = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
pub(super) const HF_CPU: &str = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:2.1.0-transformers4.37.0-cpu-py310-ubuntu22.04";
pub(super) const HF_GPU: &str = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:2.1.0-transformers4.37.0-gpu-py310-cu118-ubuntu20.04";
pub(super) const TGI: &str = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.3.0-tgi2.2.0-gpu-py310-cu121-ubuntu22.04";

pub(super) fn standard() -> Vec<ESpec> {
    let m = |t, cap, lat| VariantModel::cpu(t, cap, lat);
    let g = |t, cap, lat, mem| VariantModel::gpu(t, cap, lat, mem);
    let fraud = VSpec {
        scaling: Some((1, 4, 1000.0)),
        episodes: vec![
            Episode {
                ago_min: 6 * 1440 + 180,
                len_min: 35,
                factor: 4.5,
                to: 3,
            },
            Episode {
                ago_min: 4 * 1440 - 60,
                len_min: 55,
                factor: 3.2,
                to: 2,
            },
        ],
        ..cpu(
            "AllTraffic",
            "fraud-detection-xgb-v14",
            "ml.m5.xlarge",
            1,
            1.0,
            m("ml.m5.xlarge", 2400.0, 4.0),
        )
    };
    let production = VSpec {
        scaling: Some((4, 8, 1500.0)),
        episodes: vec![Episode {
            ago_min: 3 * 1440 - 90,
            len_min: 40,
            factor: 1.8,
            to: 5,
        }],
        ..cpu(
            "Production",
            "recommender-ranker-v41",
            "ml.c5.2xlarge",
            4,
            9.0,
            m("ml.c5.2xlarge", 3000.0, 9.0),
        )
    };
    let summarizer = VSpec {
        scaling: Some((1, 3, 80.0)),
        episodes: vec![Episode {
            ago_min: 1440 + 120,
            len_min: 30,
            factor: 3.0,
            to: 2,
        }],
        ceiling: Some(3),
        ..cpu(
            "AllTraffic",
            "llama-3-1-8b-summarizer",
            "ml.g5.12xlarge",
            1,
            1.0,
            g("ml.g5.12xlarge", 120.0, 1800.0, 0.70),
        )
    };
    let p4d = "ml.p4d.24xlarge";
    vec![
        ESpec {
            name: "fraud-detection-xgb".into(),
            config: "fraud-detection-xgb-config-v14".into(),
            image: XGB,
            status: EndpointStatus::InService,
            failure: None,
            created_ago_ms: 41 * DAY_MS + 5 * HOUR_MS,
            modified_ago_ms: 6 * DAY_MS + 3 * HOUR_MS,
            created_by: Caller::ci(),
            change: Change::Event("UpdateEndpoint", Caller::ci()),
            variants: vec![fraud],
            base_peak: 600.0,
            body: BodyKind::FraudScore,
            pending: None,
        },
        ESpec {
            name: "churn-predictor".into(),
            config: "churn-predictor-ab-2026-02-28".into(),
            image: XGB,
            status: EndpointStatus::InService,
            failure: None,
            created_ago_ms: 12 * DAY_MS + 2 * HOUR_MS,
            modified_ago_ms: 2 * DAY_MS + 4 * HOUR_MS,
            created_by: Caller::ci(),
            change: Change::Event("UpdateEndpoint", Caller::admin()),
            variants: vec![
                cpu(
                    "VariantA",
                    "churn-xgb-v7",
                    "ml.m5.large",
                    2,
                    1.0,
                    m("ml.m5.large", 1100.0, 6.0),
                ),
                cpu(
                    "VariantB",
                    "churn-lgbm-v8",
                    "ml.m5.large",
                    2,
                    1.0,
                    m("ml.m5.large", 1100.0, 7.5),
                ),
            ],
            base_peak: 1200.0,
            body: BodyKind::Churn,
            pending: None,
        },
        ESpec {
            name: "recommender-ranking".into(),
            config: "recommender-ranking-canary-v42".into(),
            image: HF_CPU,
            status: EndpointStatus::InService,
            failure: None,
            created_ago_ms: 95 * DAY_MS,
            modified_ago_ms: 20 * HOUR_MS,
            created_by: Caller::ci(),
            change: Change::Event("UpdateEndpoint", Caller::ci()),
            variants: vec![
                production,
                cpu(
                    "Canary",
                    "recommender-ranker-v42",
                    "ml.c5.2xlarge",
                    1,
                    1.0,
                    m("ml.c5.2xlarge", 3000.0, 9.5),
                ),
            ],
            base_peak: 4300.0,
            body: BodyKind::Ranking,
            pending: None,
        },
        ESpec {
            name: "llm-summarizer".into(),
            config: "llm-summarizer-config-2026-02-21".into(),
            image: TGI,
            status: EndpointStatus::InService,
            failure: None,
            created_ago_ms: 9 * DAY_MS + 7 * HOUR_MS,
            modified_ago_ms: 9 * DAY_MS + 7 * HOUR_MS,
            created_by: Caller::admin(),
            change: Change::None,
            variants: vec![summarizer],
            base_peak: 50.0,
            body: BodyKind::Summary,
            pending: None,
        },
        ESpec {
            name: "image-moderation".into(),
            config: "image-moderation-config-v2".into(),
            image: HF_GPU,
            status: EndpointStatus::Creating,
            failure: None,
            created_ago_ms: 0,
            modified_ago_ms: 0,
            created_by: Caller::ci(),
            change: Change::None,
            variants: vec![VSpec {
                count: None,
                ..cpu(
                    "AllTraffic",
                    "image-moderation-vit-v2",
                    "ml.g5.2xlarge",
                    1,
                    1.0,
                    g("ml.g5.2xlarge", 900.0, 28.0, 0.35),
                )
            }],
            base_peak: 300.0,
            body: BodyKind::Moderation,
            pending: Some((240, 480, PendingKind::Created)),
        },
        ESpec {
            name: "search-query-embeddings".into(),
            config: "search-query-embeddings-config-v3".into(),
            image: HF_CPU,
            status: EndpointStatus::Updating,
            failure: None,
            created_ago_ms: 30 * DAY_MS + 9 * HOUR_MS,
            modified_ago_ms: 2 * MINUTE_MS,
            created_by: Caller::ci(),
            change: Change::Event("UpdateEndpointWeightsAndCapacities", Caller::admin()),
            variants: vec![VSpec {
                desired: Some(4),
                ..cpu(
                    "AllTraffic",
                    "minilm-l6-embeddings-v3",
                    "ml.c5.xlarge",
                    2,
                    1.0,
                    m("ml.c5.xlarge", 1500.0, 11.0),
                )
            }],
            base_peak: 2550.0,
            body: BodyKind::Embedding,
            pending: Some((
                150,
                240,
                PendingKind::Updated {
                    activity: None,
                    fail: false,
                },
            )),
        },
        ESpec {
            name: "doc-extraction-llm".into(),
            config: "doc-extraction-llm-config-v1".into(),
            image: TGI,
            status: EndpointStatus::Failed,
            failure: Some(quota_exceeded_message(p4d, 0.0, 0.0, 1.0)),
            created_ago_ms: 3 * HOUR_MS,
            modified_ago_ms: 3 * HOUR_MS - 9 * MINUTE_MS,
            created_by: Caller::admin(),
            change: Change::None,
            variants: vec![VSpec {
                count: None,
                ..cpu(
                    "AllTraffic",
                    "doc-extraction-llama-70b",
                    p4d,
                    1,
                    1.0,
                    g(p4d, 60.0, 4200.0, 0.8),
                )
            }],
            base_peak: 30.0,
            body: BodyKind::Summary,
            pending: None,
        },
        ESpec {
            name: "support-intent-serverless".into(),
            config: "support-intent-serverless-config".into(),
            image: HF_CPU,
            status: EndpointStatus::InService,
            failure: None,
            created_ago_ms: 17 * DAY_MS + 6 * HOUR_MS,
            modified_ago_ms: 17 * DAY_MS + 6 * HOUR_MS,
            created_by: Caller::admin(),
            change: Change::None,
            variants: vec![VSpec {
                itype: None,
                count: None,
                desired: None,
                serverless: Some(ServerlessConfig {
                    memory_size_mb: 3072,
                    max_concurrency: 20,
                }),
                ..cpu(
                    "AllTraffic",
                    "support-intent-distilbert",
                    "",
                    0,
                    1.0,
                    VariantModel::serverless(20, 35.0),
                )
            }],
            base_peak: 45.0,
            body: BodyKind::Intent,
            pending: None,
        },
        ESpec {
            name: "ticket-sentiment".into(),
            config: "ticket-sentiment-config-v5".into(),
            image: HF_CPU,
            status: EndpointStatus::SystemUpdating,
            failure: None,
            created_ago_ms: 60 * DAY_MS,
            modified_ago_ms: 6 * MINUTE_MS,
            created_by: Caller::ci(),
            change: Change::None,
            variants: vec![cpu(
                "AllTraffic",
                "ticket-sentiment-roberta",
                "ml.m5.large",
                2,
                1.0,
                m("ml.m5.large", 500.0, 22.0),
            )],
            base_peak: 400.0,
            body: BodyKind::Sentiment,
            pending: Some((300, 600, PendingKind::SystemUpdated)),
        },
        ESpec {
            name: "legacy-churn-v3".into(),
            config: "legacy-churn-v3-config".into(),
            image: XGB,
            status: EndpointStatus::Deleting,
            failure: None,
            created_ago_ms: 200 * DAY_MS,
            modified_ago_ms: MINUTE_MS,
            created_by: Caller::ci(),
            change: Change::Event("DeleteEndpoint", Caller::ci()),
            variants: vec![cpu(
                "AllTraffic",
                "churn-xgb-v3",
                "ml.m5.large",
                2,
                1.0,
                m("ml.m5.large", 1100.0, 6.5),
            )],
            base_peak: 25.0,
            body: BodyKind::Churn,
            pending: Some((90, 180, PendingKind::Deleted)),
        },
    ]
}

pub(super) const PREFIXES: &[&str] = &[
    "ltv-model",
    "pricing-elasticity",
    "demand-forecast",
    "anomaly-detect",
    "ner-tagger",
    "geo-eta",
    "ad-ctr",
    "doc-classifier",
    "lead-scoring",
    "courier-eta",
];
/// (instance type, requests/min per instance, model latency ms)
pub(super) const EXTRA_TYPES: &[(&str, f64, f64)] = &[
    ("ml.m5.large", 1200.0, 7.0),
    ("ml.m5.large", 1200.0, 7.0),
    ("ml.c5.large", 1300.0, 6.0),
    ("ml.c5.xlarge", 2600.0, 8.0),
    ("ml.m5.xlarge", 2400.0, 9.0),
    ("ml.g5.xlarge", 700.0, 35.0),
];

/// One generated InService endpoint.
pub(super) fn extra_spec(seed: u64, i: usize) -> ESpec {
    let mut r = chacha(&[seed, tag::FLEET, i as u64]);
    let (t, cap, lat) = EXTRA_TYPES[r.random_range(0..EXTRA_TYPES.len())];
    let n: u32 = r.random_range(1..=2);
    let vm = if t.starts_with("ml.g") {
        VariantModel::gpu(t, cap, lat, 0.45)
    } else {
        VariantModel::cpu(t, cap, lat)
    };
    let name = format!("{}-{:04}", PREFIXES[i % PREFIXES.len()], i + 1);
    let model = format!("{name}-v{}", r.random_range(1..30));
    let config = format!("{name}-config");
    let age = r.random_range(10 * DAY_MS..300 * DAY_MS);
    ESpec {
        name,
        config,
        image: XGB,
        status: EndpointStatus::InService,
        failure: None,
        created_ago_ms: age,
        modified_ago_ms: age - r.random_range(0..age / 2),
        created_by: Caller::ci(),
        change: Change::None,
        variants: vec![cpu("AllTraffic", &model, t, n, 1.0, vm)],
        base_peak: cap * f64::from(n) * r.random_range(0.05..0.45),
        body: BodyKind::Churn,
        pending: None,
    }
}
