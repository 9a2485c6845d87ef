//! Behaviour of the simulated account (`--demo`) under a manual clock and fixed seeds:
//! fleet and status machine here; writes/autoscaling/quotas and metrics/events/invoke/
//! determinism in the `writes` and `observe` submodules (tests/sim/*.rs).

use std::sync::Arc;
use std::time::Duration;

use sagetop::boundary::{Backend, BackendError};
use sagetop::clock::{ManualClock, fixture_epoch};
use sagetop::domain::*;
use sagetop::sim::SimAccount;

mod async_scale;
mod observe;
mod writes;

const FRAUD: &str = "fraud-detection-xgb";
const OPERATOR: &str = "OnCallEngineer/you";
const AAS: &str = "application-autoscaling.amazonaws.com";

fn sim(seed: u64) -> (SimAccount, ManualClock) {
    let clock = ManualClock::new(fixture_epoch());
    (SimAccount::new(seed, Arc::new(clock.clone())), clock)
}

fn at(secs: i64) -> Timestamp {
    fixture_epoch() + chrono::Duration::seconds(secs)
}

fn change(variant: &str, weight: Option<f64>, count: Option<u32>) -> VariantChange {
    VariantChange {
        variant: variant.into(),
        desired_weight: weight,
        desired_instance_count: count,
    }
}

async fn status(s: &SimAccount, name: &str) -> EndpointStatus {
    s.describe_endpoint(name)
        .await
        .expect("endpoint exists")
        .status
}

fn query(
    endpoint: &str,
    variant: &str,
    metrics: &[(MetricName, Statistic)],
    start: Timestamp,
    end: Timestamp,
    period: u64,
) -> MetricQuery {
    MetricQuery {
        series: metrics
            .iter()
            .map(|(m, st)| SeriesKey::new(endpoint, variant, *m, *st))
            .collect(),
        start,
        end,
        period: Duration::from_secs(period),
    }
}

async fn all_events(s: &SimAccount, resource: Option<&str>) -> Vec<TrailEvent> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let q = EventQuery {
            resource: resource.map(str::to_string),
            next_token: token,
            max_results: 50,
            ..Default::default()
        };
        let page = s.lookup_events(&q).await.expect("lookup");
        assert!(page.events.len() <= 50);
        out.extend(page.events);
        match page.next_token {
            Some(t) => token = Some(t),
            None => return out,
        }
    }
}

#[tokio::test]
async fn standard_fleet_has_every_kind_of_endpoint() {
    let (s, _c) = sim(7);
    let list = s.list_endpoints().await.expect("list");
    assert!(list.len() >= 8);
    let names: Vec<&str> = list.iter().map(|e| e.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name");
    for st in [
        EndpointStatus::Creating,
        EndpointStatus::Updating,
        EndpointStatus::Failed,
        EndpointStatus::InService,
    ] {
        assert!(list.iter().any(|e| e.status == st), "{st} present");
    }
    for e in &list {
        assert!(
            e.arn
                .starts_with("arn:aws:sagemaker:us-east-1:111122223333:endpoint/")
        );
        if e.status != EndpointStatus::Creating {
            assert!(e.creation_time < fixture_epoch());
        }
    }
    let failed = list
        .iter()
        .find(|e| e.status == EndpointStatus::Failed)
        .expect("failed endpoint");
    let d = s.describe_endpoint(&failed.name).await.expect("describe");
    assert_eq!(
        d.failure_reason,
        Some(quota_exceeded_message("ml.p4d.24xlarge", 0.0, 0.0, 1.0))
    );
    let fraud = s.describe_endpoint(FRAUD).await.expect("fraud");
    assert_eq!(
        fraud.variants[0].instance_type.as_deref(),
        Some("ml.m5.xlarge")
    );
    let scaling = s.describe_autoscaling(FRAUD).await.expect("autoscaling");
    let t = scaling[0].target.as_ref().expect("registered");
    assert_eq!((t.min_capacity, t.max_capacity), (1, 4));
    assert_eq!(
        scaling[0].policies[0].metric,
        INVOCATIONS_PER_INSTANCE_METRIC
    );
    let sl = s
        .describe_endpoint("support-intent-serverless")
        .await
        .expect("serverless");
    assert!(sl.is_serverless());
    assert_eq!(sl.variants[0].instance_type, None);
    assert_eq!(sl.variants[0].current_instance_count, None);
    assert_eq!(
        s.describe_endpoint("churn-predictor")
            .await
            .expect("ab")
            .traffic_shares(),
        vec![0.5, 0.5]
    );
    let canary = s
        .describe_endpoint("recommender-ranking")
        .await
        .expect("canary");
    assert_eq!(
        percentages(
            &canary
                .variants
                .iter()
                .map(|v| v.effective_weight())
                .collect::<Vec<_>>()
        ),
        vec![90, 10]
    );
    let err = s.describe_endpoint("nope").await.expect_err("missing");
    assert!(
        matches!(&err, BackendError::NotFound { message, .. } if message == "Could not find endpoint \"nope\".")
    );
    let id = s.identity().await.expect("identity");
    assert!(id.demo && id.account == "111122223333" && id.region == "us-east-1");
    assert!(
        s.scaling_activities(FRAUD, 10)
            .await
            .expect("activities")
            .len()
            >= 2,
        "seeded past activities"
    );
}

#[tokio::test]
async fn creating_endpoint_reaches_in_service_within_its_deadline() {
    for seed in 0..12 {
        let (s, c) = sim(seed);
        assert_eq!(
            status(&s, "image-moderation").await,
            EndpointStatus::Creating
        );
        c.set(at(239));
        assert_eq!(
            status(&s, "image-moderation").await,
            EndpointStatus::Creating,
            "seed {seed}"
        );
        c.set(at(480));
        let d = s
            .describe_endpoint("image-moderation")
            .await
            .expect("describe");
        assert_eq!(d.status, EndpointStatus::InService, "seed {seed}");
        assert_eq!(d.variants[0].current_instance_count, Some(1));
        let created = all_events(&s, Some("image-moderation")).await;
        assert!(
            created
                .iter()
                .any(|e| e.name == "CreateEndpoint" && e.principal == "ci-deploy/github-actions")
        );
    }
}

#[tokio::test]
async fn transitional_endpoints_settle() {
    let (s, c) = sim(3);
    let d = s
        .describe_endpoint("search-query-embeddings")
        .await
        .expect("updating");
    assert_eq!(d.status, EndpointStatus::Updating);
    assert_ne!(
        d.variants[0].current_instance_count,
        d.variants[0].desired_instance_count
    );
    assert!(s.endpoint_names().contains(&"legacy-churn-v3".to_string()));
    c.set(at(601));
    let d = s
        .describe_endpoint("search-query-embeddings")
        .await
        .expect("updated");
    assert_eq!(d.status, EndpointStatus::InService);
    assert_eq!(d.variants[0].current_instance_count, Some(4));
    assert_eq!(
        status(&s, "ticket-sentiment").await,
        EndpointStatus::InService
    );
    assert!(
        !s.endpoint_names().contains(&"legacy-churn-v3".to_string()),
        "deleted"
    );
}

#[tokio::test]
async fn weight_write_goes_updating_then_in_service() {
    let (s, c) = sim(7);
    c.set(at(10));
    let ch = [
        change("VariantA", Some(0.2), None),
        change("VariantB", Some(0.8), None),
    ];
    let receipt = s
        .update_weights_and_capacities("churn-predictor", &ch)
        .await
        .expect("accepted");
    assert_eq!(receipt.request_id.len(), 36);
    let d = s
        .describe_endpoint("churn-predictor")
        .await
        .expect("describe");
    assert_eq!(d.status, EndpointStatus::Updating);
    assert_eq!(d.variants[0].desired_weight, Some(0.2));
    assert_eq!(d.variants[0].current_weight, Some(1.0));
    c.set(at(10 + 29));
    assert_eq!(
        status(&s, "churn-predictor").await,
        EndpointStatus::Updating
    );
    c.set(at(10 + 90));
    let d = s
        .describe_endpoint("churn-predictor")
        .await
        .expect("describe");
    assert_eq!(d.status, EndpointStatus::InService);
    assert!(
        d.variants
            .iter()
            .all(|v| v.current_weight == v.desired_weight)
    );
    assert_eq!(d.traffic_shares(), vec![0.2, 0.8]);
    let events = all_events(&s, Some("churn-predictor")).await;
    let ev = events
        .iter()
        .find(|e| e.name == "UpdateEndpointWeightsAndCapacities")
        .expect("event");
    assert_eq!(ev.principal, OPERATOR);
    assert!(!ev.read_only && ev.error_code.is_none());
    let raw: serde_json::Value = serde_json::from_str(&ev.raw).expect("raw json");
    assert_eq!(raw["requestID"], receipt.request_id.as_str());
    assert_eq!(raw["eventSource"], "sagemaker.amazonaws.com");
    assert_eq!(
        raw["userIdentity"]["arn"],
        "arn:aws:sts::111122223333:assumed-role/OnCallEngineer/you"
    );
    assert_eq!(
        raw["requestParameters"]["desiredWeightsAndCapacities"][1]["desiredWeight"],
        0.8
    );
}
