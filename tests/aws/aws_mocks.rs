//! The SDK backend against aws-smithy-mocks, for what moto does not serve: GetMetricData
//! batching and paging, LookupEvents paging, parsing and rate limiting, Service Quotas paging
//! and matching, DescribeScalingActivities, and the mapping of AWS errors.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_applicationautoscaling::operation::describe_scaling_activities::DescribeScalingActivitiesOutput;
use aws_sdk_applicationautoscaling::types::{
    ScalableDimension, ScalingActivity as SdkActivity, ScalingActivityStatusCode, ServiceNamespace,
};
use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
use aws_sdk_cloudtrail::types::{Event, LookupAttributeKey, Resource};
use aws_sdk_cloudwatch::operation::get_metric_data::{GetMetricDataInput, GetMetricDataOutput};
use aws_sdk_cloudwatch::types::{MetricDataResult, StatusCode};
use aws_sdk_sagemaker::operation::describe_endpoint::{
    DescribeEndpointError, DescribeEndpointOutput,
};
use aws_sdk_sagemaker::operation::describe_endpoint_config::DescribeEndpointConfigOutput;
use aws_sdk_sagemaker::operation::list_endpoints::ListEndpointsOutput;
use aws_sdk_sagemaker::types::{
    EndpointStatus as SdkStatus, EndpointSummary as SdkSummary, ProductionVariant,
    ProductionVariantInstanceType, ProductionVariantSummary,
};
use aws_sdk_servicequotas::operation::list_service_quotas::ListServiceQuotasOutput;
use aws_sdk_servicequotas::types::ServiceQuota as SdkQuota;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode as HttpStatus;
use aws_smithy_types::DateTime;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::ErrorMetadata;

use sagetop::app::state::SessionInfo;
use sagetop::aws::{AwsBackend, Clients, MAX_QUERIES_PER_CALL};
use sagetop::boundary::{Backend, BackendError, Operation};
use sagetop::clock::ManualClock;
use sagetop::domain::*;
use sagetop::snapshot::FleetSnapshot;

// ---------------------------------------------------------------------------------------------
// Harness

/// Mock rules per service; a call that matches no rule fails the test (must-match).
#[derive(Default)]
struct Rules {
    sagemaker: Vec<Rule>,
    autoscaling: Vec<Rule>,
    cloudwatch: Vec<Rule>,
    cloudtrail: Vec<Rule>,
    quotas: Vec<Rule>,
    sts: Vec<Rule>,
}

macro_rules! client {
    ($krate:ident, $rules:expr) => {
        mock_client!($krate, RuleMode::MatchAny, $rules, |c| c
            .retry_config($krate::config::retry::RetryConfig::disabled()))
    };
}

fn backend(r: &Rules) -> AwsBackend {
    let clients = Clients {
        sagemaker: client!(aws_sdk_sagemaker, &r.sagemaker),
        runtime: client!(aws_sdk_sagemakerruntime, Vec::<Rule>::new().iter()),
        autoscaling: client!(aws_sdk_applicationautoscaling, &r.autoscaling),
        cloudwatch: client!(aws_sdk_cloudwatch, &r.cloudwatch),
        cloudtrail: client!(aws_sdk_cloudtrail, &r.cloudtrail),
        quotas: client!(aws_sdk_servicequotas, &r.quotas),
        sts: client!(aws_sdk_sts, &r.sts),
        logs: client!(aws_sdk_cloudwatchlogs, Vec::<Rule>::new().iter()),
    };
    AwsBackend::new(clients, Some("prod".into()), "us-east-1")
}

fn t0() -> Timestamp {
    sagetop::clock::fixture_epoch()
}

fn minutes(n: i64) -> chrono::Duration {
    chrono::Duration::minutes(n)
}

fn sdk_time(t: Timestamp) -> DateTime {
    DateTime::from_secs(t.timestamp())
}

fn our_time(t: &DateTime) -> Timestamp {
    chrono::DateTime::from_timestamp(t.secs(), 0).unwrap()
}

/// (endpoint, variant, metric, stat) of one query of a GetMetricData request.
fn query_series(
    q: &aws_sdk_cloudwatch::types::MetricDataQuery,
) -> (String, String, String, String, String) {
    let stat = q.metric_stat().unwrap();
    let metric = stat.metric().unwrap();
    let dim = |name: &str| {
        metric
            .dimensions()
            .iter()
            .find(|d| d.name() == Some(name))
            .and_then(|d| d.value())
            .unwrap()
            .to_string()
    };
    (
        dim("EndpointName"),
        dim("VariantName"),
        metric.metric_name().unwrap().to_string(),
        stat.stat().unwrap().to_string(),
        metric.namespace().unwrap().to_string(),
    )
}

/// "ep17" → 17.0: the value the mock CloudWatch reports for every series of that endpoint.
fn endpoint_value(endpoint: &str) -> f64 {
    endpoint.trim_start_matches("ep").parse().unwrap()
}

/// A CloudWatch that answers every query with one datapoint per minute of the window, valued
/// after the endpoint's number, in reverse query order (ids must be mapped back, not indexed).
fn echo_cloudwatch(log: Arc<Mutex<Vec<GetMetricDataInput>>>) -> Rule {
    mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_compute_output(move |req| {
        log.lock().unwrap().push(req.clone());
        let start = our_time(req.start_time().unwrap());
        let end = our_time(req.end_time().unwrap());
        let mut results: Vec<MetricDataResult> = req
            .metric_data_queries()
            .iter()
            .map(|q| {
                let (endpoint, ..) = query_series(q);
                let mut b = MetricDataResult::builder()
                    .id(q.id().unwrap())
                    .status_code(StatusCode::Complete);
                let mut t = start;
                while t < end {
                    b = b.timestamps(sdk_time(t)).values(endpoint_value(&endpoint));
                    t += minutes(1);
                }
                b.build()
            })
            .collect();
        results.reverse();
        GetMetricDataOutput::builder()
            .set_metric_data_results(Some(results))
            .build()
    })
}

fn series_keys(endpoints: usize) -> Vec<SeriesKey> {
    let mut keys = Vec::new();
    for e in 0..endpoints {
        for v in ["blue", "green"] {
            keys.push(SeriesKey::new(
                &format!("ep{e}"),
                v,
                MetricName::Invocations,
                Statistic::Sum,
            ));
            keys.push(SeriesKey::new(
                &format!("ep{e}"),
                v,
                MetricName::ModelLatency,
                Statistic::P99,
            ));
            keys.push(SeriesKey::new(
                &format!("ep{e}"),
                v,
                MetricName::CPUUtilization,
                Statistic::Average,
            ));
        }
    }
    keys
}

fn window(end: Timestamp, mins: i64, series: Vec<SeriesKey>) -> MetricQuery {
    MetricQuery {
        series,
        start: end - minutes(mins),
        end,
        period: Duration::from_secs(60),
    }
}

// ---------------------------------------------------------------------------------------------
// GetMetricData

#[tokio::test]
async fn metrics_are_batched_into_calls_of_at_most_500_queries_and_mapped_back() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let rules = Rules {
        cloudwatch: vec![echo_cloudwatch(log.clone())],
        ..Rules::default()
    };
    let b = backend(&rules);
    // 200 endpoints × 2 variants × 3 series = 1,200 series.
    let keys = series_keys(200);
    let q = window(t0() + minutes(60), 10, keys.clone());
    let got = b.get_metrics(&q).await.unwrap();

    let calls = log.lock().unwrap().clone();
    let sizes: Vec<usize> = calls
        .iter()
        .map(|c| c.metric_data_queries().len())
        .collect();
    assert_eq!(sizes, vec![500, 500, 200]);
    for c in &calls {
        let mut ids: Vec<&str> = c
            .metric_data_queries()
            .iter()
            .map(|q| q.id().unwrap())
            .collect();
        assert!(
            ids.iter()
                .all(|id| id.starts_with(|ch: char| ch.is_ascii_lowercase()))
        );
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "query ids are unique within a call");
    }
    // Dimensions, namespaces and statistics as CloudWatch names them.
    let all: Vec<_> = calls
        .iter()
        .flat_map(|c| c.metric_data_queries().iter().map(query_series))
        .collect();
    assert!(all.contains(&(
        "ep7".into(),
        "green".into(),
        "ModelLatency".into(),
        "p99".into(),
        "AWS/SageMaker".into()
    )));
    assert!(all.contains(&(
        "ep7".into(),
        "blue".into(),
        "CPUUtilization".into(),
        "Average".into(),
        "/aws/sagemaker/Endpoints".into()
    )));

    assert_eq!(got.len(), 1200);
    for s in &got {
        assert_eq!(s.points.len(), 10, "{:?}", s.key);
        assert!(
            s.points
                .iter()
                .all(|p| p.value == endpoint_value(&s.key.endpoint)),
            "{:?}",
            s.key
        );
    }
    assert_eq!(got.iter().map(|s| s.key.clone()).collect::<Vec<_>>(), keys);
    assert_eq!(b.api_stats().metrics_requested, 1200);
    assert!(sizes.iter().all(|s| *s <= MAX_QUERIES_PER_CALL));
}

#[tokio::test]
async fn long_windows_shrink_batches_to_the_datapoint_limit() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let rules = Rules {
        cloudwatch: vec![echo_cloudwatch(log.clone())],
        ..Rules::default()
    };
    let b = backend(&rules);
    // 150 series over a day of minutes: 1,440 points each, 70 series fit in 100,800 points.
    let q = window(t0() + minutes(2000), 1440, series_keys(25));
    let got = b.get_metrics(&q).await.unwrap();
    let sizes: Vec<usize> = log
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.metric_data_queries().len())
        .collect();
    assert_eq!(sizes, vec![70, 70, 10]);
    assert!(got.iter().all(|s| s.points.len() == 1440));
}

#[tokio::test]
async fn metric_pages_are_followed_and_empty_series_stay_empty() {
    let end = t0() + minutes(10);
    let first = GetMetricDataOutput::builder()
        .metric_data_results(
            MetricDataResult::builder()
                .id("m0")
                .timestamps(sdk_time(t0()))
                .values(1.0)
                .timestamps(sdk_time(t0() + minutes(1)))
                .values(2.0)
                .status_code(StatusCode::PartialData)
                .build(),
        )
        .metric_data_results(
            MetricDataResult::builder()
                .id("m1")
                .status_code(StatusCode::Complete)
                .build(),
        )
        .next_token("page-2")
        .build();
    let second = GetMetricDataOutput::builder()
        .metric_data_results(
            MetricDataResult::builder()
                .id("m0")
                .timestamps(sdk_time(t0() + minutes(2)))
                .values(3.0)
                .status_code(StatusCode::Complete)
                .build(),
        )
        .build();
    let page1 = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(|r| r.next_token().is_none())
        .then_output(move || first.clone());
    let page2 = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(move || second.clone());
    let rules = Rules {
        cloudwatch: vec![page1.clone(), page2.clone()],
        ..Rules::default()
    };
    let b = backend(&rules);
    let keys = vec![
        SeriesKey::new("fraud", "blue", MetricName::Invocations, Statistic::Sum),
        SeriesKey::new(
            "fraud",
            "blue",
            MetricName::GPUUtilization,
            Statistic::Average,
        ),
        // Asked for twice: answered twice, fetched once.
        SeriesKey::new("fraud", "blue", MetricName::Invocations, Statistic::Sum),
    ];
    let got = b.get_metrics(&window(end, 10, keys)).await.unwrap();
    assert_eq!((page1.num_calls(), page2.num_calls()), (1, 1));
    let values: Vec<f64> = got[0].points.iter().map(|p| p.value).collect();
    assert_eq!(values, vec![1.0, 2.0, 3.0]);
    assert_eq!(got[0].points[2].at, t0() + minutes(2));
    assert_eq!(got[1].key.metric, MetricName::GPUUtilization);
    assert!(got[1].points.is_empty());
    assert_eq!(got[2], got[0]);
}

#[tokio::test]
async fn later_polls_ask_only_for_the_newest_minutes_and_return_the_whole_window() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let rules = Rules {
        cloudwatch: vec![echo_cloudwatch(log.clone())],
        ..Rules::default()
    };
    let b = backend(&rules);
    let keys = series_keys(2);
    let end = t0() + minutes(60);
    b.get_metrics(&window(end, 10, keys.clone())).await.unwrap();
    let next_end = end + minutes(1);
    let got = b
        .get_metrics(&window(next_end, 10, keys.clone()))
        .await
        .unwrap();

    let calls = log.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    assert_eq!(our_time(calls[0].start_time().unwrap()), end - minutes(10));
    // The second call re-reads only the last two minutes held (late datapoints), not the window.
    assert_eq!(our_time(calls[1].start_time().unwrap()), end - minutes(2));
    assert_eq!(our_time(calls[1].end_time().unwrap()), next_end);
    for s in &got {
        let ats: Vec<Timestamp> = s.points.iter().map(|p| p.at).collect();
        let want: Vec<Timestamp> = (0..10)
            .map(|i| next_end - minutes(10) + minutes(i))
            .collect();
        assert_eq!(ats, want, "{:?}", s.key);
    }

    // A new endpoint appears: its series alone get the full window, in their own call.
    let mut more = keys.clone();
    more.extend(series_keys(3).into_iter().filter(|k| k.endpoint == "ep2"));
    let third_end = next_end + minutes(1);
    let got = b.get_metrics(&window(third_end, 10, more)).await.unwrap();
    let calls = log.lock().unwrap().clone();
    assert_eq!(calls.len(), 4);
    let starts: Vec<(Timestamp, usize)> = calls[2..]
        .iter()
        .map(|c| {
            (
                our_time(c.start_time().unwrap()),
                c.metric_data_queries().len(),
            )
        })
        .collect();
    assert!(starts.contains(&(third_end - minutes(10), 6)), "{starts:?}");
    assert!(starts.contains(&(next_end - minutes(2), 12)), "{starts:?}");
    assert!(got.iter().all(|s| s.points.len() == 10));
}

/// One series' Forbidden or InternalError fails that series alone; PartialData pages on with
/// the same parameters:
/// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataResult.html
#[tokio::test]
async fn a_failed_series_fails_alone_and_partial_data_pages_on() {
    let log: Arc<Mutex<Vec<GetMetricDataInput>>> = Arc::default();
    let seen = log.clone();
    let point = |v: f64| (DateTime::from_secs(t0().timestamp()), v);
    let page1 = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(move |r| {
            seen.lock().unwrap().push(r.clone());
            r.next_token().is_none()
        })
        .then_output(move || {
            GetMetricDataOutput::builder()
                .metric_data_results(
                    MetricDataResult::builder()
                        .id("m0")
                        .status_code(StatusCode::Forbidden)
                        .messages(
                            aws_sdk_cloudwatch::types::MessageData::builder()
                                .code("Forbidden")
                                .value("no access to this namespace")
                                .build(),
                        )
                        .build(),
                )
                .metric_data_results(
                    MetricDataResult::builder()
                        .id("m1")
                        .status_code(StatusCode::InternalError)
                        .build(),
                )
                .metric_data_results(
                    MetricDataResult::builder()
                        .id("m2")
                        .status_code(StatusCode::PartialData)
                        .timestamps(point(5.0).0)
                        .values(point(5.0).1)
                        .build(),
                )
                .next_token("more")
                .build()
        });
    let seen = log.clone();
    let page2 = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(move |r| {
            seen.lock().unwrap().push(r.clone());
            r.next_token() == Some("more")
        })
        .then_output(move || {
            GetMetricDataOutput::builder()
                .metric_data_results(
                    MetricDataResult::builder()
                        .id("m2")
                        .status_code(StatusCode::Complete)
                        .timestamps(DateTime::from_secs((t0() + minutes(1)).timestamp()))
                        .values(6.0)
                        .build(),
                )
                .build()
        });
    let b = backend(&Rules {
        cloudwatch: vec![page1, page2],
        ..Rules::default()
    });
    let keys: Vec<SeriesKey> = series_keys(1).into_iter().take(3).collect();
    let got = b
        .get_metrics(&window(t0() + minutes(10), 10, keys.clone()))
        .await
        .unwrap();
    assert_eq!(got.len(), 3);
    match &got[0].status {
        SeriesStatus::Failed { code, message } => {
            assert_eq!(code, "Forbidden");
            assert!(message.contains("no access"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&got[1].status, SeriesStatus::Failed { code, .. } if code == "InternalError"));
    assert!(got[0].points.is_empty() && got[1].points.is_empty());
    assert_eq!(got[2].status, SeriesStatus::Complete);
    let values: Vec<f64> = got[2].points.iter().map(|p| p.value).collect();
    assert_eq!(
        values,
        vec![5.0, 6.0],
        "the partial series was completed from page 2"
    );
    // The second page carries the first call's parameters.
    let reqs = log.lock().unwrap();
    let (a, c) = (&reqs[0], &reqs[reqs.len() - 1]);
    assert_eq!(c.next_token(), Some("more"));
    assert_eq!(
        (a.start_time(), a.end_time()),
        (c.start_time(), c.end_time())
    );
    assert_eq!(a.metric_data_queries(), c.metric_data_queries());
}

// ---------------------------------------------------------------------------------------------
// CloudTrail

const ASSUMED_ROLE_EVENT: &str = r#"{"eventVersion":"1.09","eventTime":"2026-03-02T10:15:00Z",
  "eventSource":"sagemaker.amazonaws.com","eventName":"UpdateEndpointWeightsAndCapacities","eventID":"ev-1",
  "readOnly":false,"sourceIPAddress":"10.0.3.7",
  "userIdentity":{"type":"AssumedRole","principalId":"AROA:alice",
    "arn":"arn:aws:sts::123456789012:assumed-role/Deployer/alice",
    "sessionContext":{"sessionIssuer":{"type":"Role","userName":"Deployer"}}},
  "requestParameters":{"endpointName":"fraud-xgb","desiredWeightsAndCapacities":[{"variantName":"blue","desiredWeight":3.0}]},
  "errorCode":"ValidationException","errorMessage":"Endpoint is updating"}"#;

const SERVICE_EVENT: &str = r#"{"eventTime":"2026-03-02T10:10:00Z","eventSource":"sagemaker.amazonaws.com",
  "eventName":"UpdateEndpointWeightsAndCapacities","eventID":"ev-2","readOnly":false,
  "sourceIPAddress":"autoscaling.amazonaws.com",
  "userIdentity":{"type":"AWSService","invokedBy":"autoscaling.amazonaws.com"},
  "requestParameters":{"endpointName":"search-bert"}}"#;

const USER_EVENT: &str = r#"{"eventTime":"2026-03-02T09:00:00Z","eventSource":"sagemaker.amazonaws.com",
  "eventName":"DescribeEndpoint","eventID":"ev-3","readOnly":true,"sourceIPAddress":"203.0.113.9",
  "userIdentity":{"type":"IAMUser","userName":"bob","arn":"arn:aws:iam::123456789012:user/bob"},
  "requestParameters":{"endpointName":"fraud-xgb"}}"#;

fn event(id: &str, raw: &str, resources: &[&str]) -> Event {
    let doc: serde_json::Value = serde_json::from_str(raw).unwrap();
    let time = chrono::DateTime::parse_from_rfc3339(doc["eventTime"].as_str().unwrap()).unwrap();
    let mut b = Event::builder()
        .event_id(id)
        .event_name(doc["eventName"].as_str().unwrap())
        .event_source("sagemaker.amazonaws.com")
        .event_time(DateTime::from_secs(time.timestamp()))
        .read_only(doc["readOnly"].to_string())
        .cloud_trail_event(raw);
    for r in resources {
        b = b.resources(
            Resource::builder()
                .resource_type("AWS::SageMaker::Endpoint")
                .resource_name(*r)
                .build(),
        );
    }
    b.build()
}

#[tokio::test]
async fn lookup_events_pages_and_parses_cloudtrail_documents() {
    let page1 = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| {
            LookupEventsOutput::builder()
                .events(event("ev-1", ASSUMED_ROLE_EVENT, &[]))
                .events(event(
                    "ev-2",
                    SERVICE_EVENT,
                    &["arn:aws:sagemaker:us-east-1:123456789012:endpoint/search-bert"],
                ))
                .next_token("more")
                .build()
        });
    let page2 = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(|r| r.next_token() == Some("more"))
        .then_output(|| {
            LookupEventsOutput::builder()
                .events(event("ev-3", USER_EVENT, &[]))
                .build()
        });
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let spy = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(move |r| {
            seen.lock().unwrap().push(r.clone());
            false
        })
        .then_output(|| LookupEventsOutput::builder().build());
    let b = backend(&Rules {
        cloudtrail: vec![spy, page1.clone(), page2.clone()],
        ..Rules::default()
    });

    let first = b
        .lookup_events(&EventQuery {
            max_results: 500,
            ..EventQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(first.next_token.as_deref(), Some("more"));
    let ids: Vec<&str> = first.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, vec!["ev-1", "ev-2"], "newest first");
    let e1 = &first.events[0];
    assert_eq!(e1.principal, "Deployer/alice");
    assert_eq!(e1.source_ip.as_deref(), Some("10.0.3.7"));
    assert_eq!(e1.resources, vec!["fraud-xgb".to_string()]);
    assert_eq!(e1.error_code.as_deref(), Some("ValidationException"));
    assert_eq!(e1.error_message.as_deref(), Some("Endpoint is updating"));
    assert!(!e1.read_only);
    assert!(e1.touches("fraud-xgb"));
    let e2 = &first.events[1];
    assert_eq!(e2.principal, "autoscaling.amazonaws.com");
    assert!(e2.touches("search-bert"));
    assert!(
        e2.resources
            .contains(&"arn:aws:sagemaker:us-east-1:123456789012:endpoint/search-bert".to_string())
    );

    let second = b
        .lookup_events(&EventQuery {
            next_token: first.next_token.clone(),
            max_results: 50,
            ..EventQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(second.next_token, None);
    let e3 = &second.events[0];
    assert_eq!((e3.principal.as_str(), e3.read_only), ("bob", true));
    assert_eq!(e3.source_ip.as_deref(), Some("203.0.113.9"));
    assert_eq!((page1.num_calls(), page2.num_calls()), (1, 1));

    let reqs = requests.lock().unwrap().clone();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.max_results(), Some(50), "pages of at most 50");
        let attrs = r.lookup_attributes();
        assert_eq!(attrs.len(), 1, "one lookup attribute per call");
        assert_eq!(attrs[0].attribute_key(), &LookupAttributeKey::EventSource);
        assert_eq!(attrs[0].attribute_value(), "sagemaker.amazonaws.com");
    }
}

#[tokio::test(start_paused = true)]
async fn lookup_events_never_exceeds_two_calls_a_second_across_callers() {
    let stamps = Arc::new(Mutex::new(Vec::new()));
    let log = stamps.clone();
    let rule = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_compute_output(move |_| {
        log.lock().unwrap().push(tokio::time::Instant::now());
        LookupEventsOutput::builder().build()
    });
    let b = Arc::new(backend(&Rules {
        cloudtrail: vec![rule],
        ..Rules::default()
    }));
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..7 {
        let b = b.clone();
        tasks.push(tokio::spawn(async move {
            b.lookup_events(&EventQuery {
                max_results: 50,
                ..EventQuery::default()
            })
            .await
            .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut at: Vec<Duration> = stamps
        .lock()
        .unwrap()
        .iter()
        .map(|t| t.duration_since(start))
        .collect();
    at.sort();
    assert_eq!(at.len(), 7);
    for w in at.windows(3) {
        assert!(
            w[2] - w[0] >= Duration::from_secs(1),
            "three calls within one second: {at:?}"
        );
    }
    // Spaced, not bunched: the seventh call waits three seconds.
    assert!(at[6] >= Duration::from_secs(3), "{at:?}");
    assert!(at[6] < Duration::from_millis(3100), "{at:?}");
    assert_eq!(
        b.api_stats()
            .operations
            .iter()
            .find(|o| o.operation == Operation::LookupEvents)
            .unwrap()
            .calls,
        7
    );
}

// ---------------------------------------------------------------------------------------------
// Service Quotas and the fleet

fn quota(name: &str, code: &str, value: f64) -> SdkQuota {
    SdkQuota::builder()
        .service_code("sagemaker")
        .quota_name(name)
        .quota_code(code)
        .value(value)
        .unit("None")
        .adjustable(true)
        .build()
}

fn sdk_variant(name: &str, weight: f32, count: i32) -> ProductionVariantSummary {
    ProductionVariantSummary::builder()
        .variant_name(name)
        .current_weight(weight)
        .desired_weight(weight)
        .current_instance_count(count)
        .desired_instance_count(count)
        .build()
}

fn config_variant(name: &str, instance: &str) -> ProductionVariant {
    ProductionVariant::builder()
        .variant_name(name)
        .model_name(format!("{name}-model"))
        .instance_type(ProductionVariantInstanceType::from(instance))
        .initial_variant_weight(1.0)
        .build()
}

/// Two endpoints: `alpha` (one variant, 2 × ml.g5.xlarge) and `beta` (ml.g5.xlarge × 1 and
/// ml.m5.large × 3), listed over two pages.
fn fleet_rules() -> Vec<Rule> {
    let summary = |n: &str| {
        SdkSummary::builder()
            .endpoint_name(n)
            .endpoint_arn(format!(
                "arn:aws:sagemaker:us-east-1:123456789012:endpoint/{n}"
            ))
            .endpoint_status(SdkStatus::InService)
            .creation_time(DateTime::from_secs(1_700_000_000))
            .last_modified_time(DateTime::from_secs(1_700_000_000))
            .build()
    };
    let (a, b) = (summary("alpha"), summary("beta"));
    vec![
        mock!(aws_sdk_sagemaker::Client::list_endpoints)
            .match_requests(|r| r.next_token().is_none())
            .then_output(move || {
                ListEndpointsOutput::builder()
                    .endpoints(a.clone())
                    .next_token("p2")
                    .build()
            }),
        mock!(aws_sdk_sagemaker::Client::list_endpoints)
            .match_requests(|r| r.next_token() == Some("p2"))
            .then_output(move || ListEndpointsOutput::builder().endpoints(b.clone()).build()),
        mock!(aws_sdk_sagemaker::Client::describe_endpoint)
            .match_requests(|r| r.endpoint_name() == Some("alpha"))
            .then_output(|| {
                DescribeEndpointOutput::builder()
                    .endpoint_name("alpha")
                    .endpoint_config_name("alpha-cfg")
                    .endpoint_status(SdkStatus::InService)
                    .production_variants(sdk_variant("AllTraffic", 1.0, 2))
                    .build()
            }),
        mock!(aws_sdk_sagemaker::Client::describe_endpoint)
            .match_requests(|r| r.endpoint_name() == Some("beta"))
            .then_output(|| {
                DescribeEndpointOutput::builder()
                    .endpoint_name("beta")
                    .endpoint_config_name("beta-cfg")
                    .endpoint_status(SdkStatus::Updating)
                    .production_variants(sdk_variant("gpu", 0.2, 1))
                    .production_variants(sdk_variant("cpu", 0.8, 3))
                    .build()
            }),
        mock!(aws_sdk_sagemaker::Client::describe_endpoint_config)
            .match_requests(|r| r.endpoint_config_name() == Some("alpha-cfg"))
            .then_output(|| {
                DescribeEndpointConfigOutput::builder()
                    .endpoint_config_name("alpha-cfg")
                    .production_variants(config_variant("AllTraffic", "ml.g5.xlarge"))
                    .build()
            }),
        mock!(aws_sdk_sagemaker::Client::describe_endpoint_config)
            .match_requests(|r| r.endpoint_config_name() == Some("beta-cfg"))
            .then_output(|| {
                DescribeEndpointConfigOutput::builder()
                    .endpoint_config_name("beta-cfg")
                    .production_variants(config_variant("gpu", "ml.g5.xlarge"))
                    .production_variants(config_variant("cpu", "ml.m5.large"))
                    .build()
            }),
    ]
}

fn quota_rules() -> (Rule, Rule) {
    let mut first: Vec<SdkQuota> = (0..98)
        .map(|i| {
            quota(
                &format!("ml.c5.{i}xlarge for training job usage"),
                &format!("L-T{i}"),
                1.0,
            )
        })
        .collect();
    first.push(quota("ml.g5.xlarge for endpoint usage", "L-G5X", 4.0));
    first.push(quota("Total number of endpoints", "L-EP", 100.0));
    let p1 = mock!(aws_sdk_servicequotas::Client::list_service_quotas)
        .match_requests(|r| {
            r.next_token().is_none()
                && r.service_code() == Some("sagemaker")
                && r.max_results() == Some(100)
        })
        .then_output(move || {
            ListServiceQuotasOutput::builder()
                .set_quotas(Some(first.clone()))
                .next_token("q2")
                .build()
        });
    let p2 = mock!(aws_sdk_servicequotas::Client::list_service_quotas)
        .match_requests(|r| r.next_token() == Some("q2"))
        .then_output(|| {
            ListServiceQuotasOutput::builder()
                .quotas(quota("ml.m5.large for endpoint usage", "L-M5L", 3.0))
                .quotas(quota("ml.p4d.24xlarge for endpoint usage", "L-P4D", 0.0))
                .build()
        });
    (p1, p2)
}

fn unavailable() -> HttpResponse {
    HttpResponse::new(
        HttpStatus::try_from(503).unwrap(),
        SdkBody::from("<html>Service Unavailable</html>"),
    )
}

/// STS, Application Auto Scaling, CloudWatch and CloudTrail answer 503.
fn other_services_down(r: &mut Rules) {
    r.sts
        .push(mock!(aws_sdk_sts::Client::get_caller_identity).then_http_response(unavailable));
    r.autoscaling.push(
        mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
            .then_http_response(unavailable),
    );
    r.autoscaling.push(
        mock!(aws_sdk_applicationautoscaling::Client::describe_scaling_activities)
            .then_http_response(unavailable),
    );
    r.cloudwatch
        .push(mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_http_response(unavailable));
    r.cloudtrail
        .push(mock!(aws_sdk_cloudtrail::Client::lookup_events).then_http_response(unavailable));
}

#[tokio::test]
async fn quotas_are_paged_and_matched_to_the_fleets_instance_types() {
    let (p1, p2) = quota_rules();
    // ListServiceQuotas leaves out quotas at their default value; those come from
    // ListAWSDefaultServiceQuotas (the applied value wins where both list a quota).
    let defaults = mock!(aws_sdk_servicequotas::Client::list_aws_default_service_quotas)
        .match_requests(|r| r.service_code() == Some("sagemaker") && r.max_results() == Some(100))
        .then_output(|| {
            aws_sdk_servicequotas::operation::list_aws_default_service_quotas::ListAwsDefaultServiceQuotasOutput::builder()
                .quotas(quota("ml.g5.xlarge for endpoint usage", "L-G5X", 2.0))
                .quotas(quota("ml.g4dn.xlarge for endpoint usage", "L-G4DN", 1.0))
                .build()
        });
    let mut rules = Rules {
        sagemaker: fleet_rules(),
        quotas: vec![p1.clone(), p2.clone(), defaults.clone()],
        ..Rules::default()
    };
    other_services_down(&mut rules);
    let b = backend(&rules);
    let quotas = b.list_quotas().await.unwrap();
    assert_eq!(quotas.len(), 103);
    assert_eq!((p1.num_calls(), p2.num_calls()), (1, 1));
    assert_eq!(defaults.num_calls(), 1);
    let g4 = quotas.iter().find(|q| q.code == "L-G4DN").unwrap();
    assert_eq!(g4.endpoint_instance_type(), Some("ml.g4dn.xlarge"));
    let api = b.api_stats();
    let calls = |op: Operation| {
        api.operations
            .iter()
            .find(|o| o.operation == op)
            .map_or(0, |o| o.calls)
    };
    assert_eq!(
        calls(Operation::ListServiceQuotas),
        2,
        "both pages are counted"
    );
    assert_eq!(calls(Operation::ListAWSDefaultServiceQuotas), 1);
    let g5 = quotas.iter().find(|q| q.code == "L-G5X").unwrap();
    assert_eq!(
        (g5.endpoint_instance_type(), g5.value, g5.adjustable),
        (Some("ml.g5.xlarge"), 4.0, true)
    );

    // Through the same path as `sagetop snapshot`: usage is the sum of current instances per type.
    let session = SessionInfo {
        profile: Some("prod".into()),
        region: Some("us-east-1".into()),
        demo: false,
        read_only: true,
    };
    let clock = ManualClock::new(t0());
    let state = sagetop::effects::prime_state(&b, &clock, session).await;
    let snap = FleetSnapshot::from_state(&state);
    let used = |code: &str| {
        let q = snap.quotas.iter().find(|q| q.quota.code == code).unwrap();
        (q.instance_type.clone(), q.used, q.level)
    };
    assert_eq!(
        used("L-G5X"),
        (Some("ml.g5.xlarge".into()), Some(3), Some(QuotaLevel::Ok))
    );
    assert_eq!(
        used("L-M5L"),
        (
            Some("ml.m5.large".into()),
            Some(3),
            Some(QuotaLevel::Exceeded)
        )
    );
    assert_eq!(
        used("L-P4D"),
        (
            Some("ml.p4d.24xlarge".into()),
            Some(0),
            Some(QuotaLevel::Ok)
        )
    );
    assert_eq!(used("L-EP"), (None, None, None));
    let beta = snap
        .endpoints
        .iter()
        .find(|e| e.endpoint.name == "beta")
        .unwrap();
    assert_eq!(beta.traffic_percent.get("gpu"), Some(&20));
    assert_eq!(beta.traffic_percent.get("cpu"), Some(&80));
    assert_eq!(
        beta.endpoint.variants[1].instance_type.as_deref(),
        Some("ml.m5.large")
    );
    assert_eq!(
        beta.endpoint.variants[1].model_name.as_deref(),
        Some("cpu-model")
    );
    // STS, autoscaling, CloudWatch and CloudTrail are down: listed under errors, the rest is there.
    assert!(FleetSnapshot::endpoints_read(&state));
    let mut failed: Vec<(&str, &str)> = snap
        .errors
        .iter()
        .map(|e| (e.service.as_str(), e.operation.as_str()))
        .collect();
    failed.sort();
    assert_eq!(
        failed,
        vec![
            ("application-autoscaling", "DescribeScalableTargets"),
            ("cloudtrail", "LookupEvents"),
            ("cloudwatch", "GetMetricData"),
            ("sts", "GetCallerIdentity"),
        ]
    );
    assert!(
        snap.errors.iter().all(|e| e.message.contains("HTTP 503")),
        "{:?}",
        snap.errors
    );
}

// ---------------------------------------------------------------------------------------------
// Application Auto Scaling

fn activity(
    id: &str,
    variant: &str,
    minute: i64,
    status: ScalingActivityStatusCode,
) -> SdkActivity {
    SdkActivity::builder()
        .activity_id(id)
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(format!("endpoint/alpha/variant/{variant}"))
        .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
        .description(format!("Setting desired instance count to {minute}."))
        .cause("monitor alarm TargetTracking-AlarmHigh in state ALARM triggered policy p")
        .start_time(DateTime::from_secs((t0() + minutes(minute)).timestamp()))
        .status_code(status)
        .status_message("Successfully set desired instance count")
        .build()
        .unwrap()
}

#[tokio::test]
async fn scaling_activities_are_read_per_variant_newest_first() {
    let describe = mock!(aws_sdk_sagemaker::Client::describe_endpoint).then_output(|| {
        DescribeEndpointOutput::builder()
            .endpoint_name("alpha")
            .endpoint_config_name("alpha-cfg")
            .endpoint_status(SdkStatus::InService)
            .production_variants(sdk_variant("blue", 1.0, 2))
            .production_variants(sdk_variant("green", 1.0, 1))
            .build()
    });
    let config = mock!(aws_sdk_sagemaker::Client::describe_endpoint_config).then_output(|| {
        DescribeEndpointConfigOutput::builder()
            .production_variants(config_variant("blue", "ml.m5.large"))
            .production_variants(config_variant("green", "ml.m5.large"))
            .build()
    });
    let blue = mock!(aws_sdk_applicationautoscaling::Client::describe_scaling_activities)
        .match_requests(|r| {
            r.resource_id() == Some("endpoint/alpha/variant/blue")
                && r.service_namespace() == Some(&ServiceNamespace::Sagemaker)
                && r.scalable_dimension()
                    == Some(&ScalableDimension::SageMakerVariantDesiredInstanceCount)
        })
        .then_output(|| {
            DescribeScalingActivitiesOutput::builder()
                .scaling_activities(activity(
                    "b2",
                    "blue",
                    30,
                    ScalingActivityStatusCode::InProgress,
                ))
                .scaling_activities(activity(
                    "b1",
                    "blue",
                    10,
                    ScalingActivityStatusCode::Successful,
                ))
                .build()
        });
    let green = mock!(aws_sdk_applicationautoscaling::Client::describe_scaling_activities)
        .match_requests(|r| r.resource_id() == Some("endpoint/alpha/variant/green"))
        .then_output(|| {
            DescribeScalingActivitiesOutput::builder()
                .scaling_activities(activity(
                    "g1",
                    "green",
                    20,
                    ScalingActivityStatusCode::Failed,
                ))
                .build()
        });
    let rules = Rules {
        sagemaker: vec![describe, config],
        autoscaling: vec![blue.clone(), green.clone()],
        ..Rules::default()
    };
    let b = backend(&rules);
    let got = b.scaling_activities("alpha", 10).await.unwrap();
    let summary: Vec<(&str, &str, ActivityStatus)> = got
        .iter()
        .map(|a| (a.id.as_str(), a.variant.as_str(), a.status))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("b2", "blue", ActivityStatus::InProgress),
            ("g1", "green", ActivityStatus::Failed),
            ("b1", "blue", ActivityStatus::Successful)
        ]
    );
    assert_eq!(got[0].endpoint, "alpha");
    assert_eq!(got[0].start_time, t0() + minutes(30));
    assert_eq!(
        got[0].status_message.as_deref(),
        Some("Successfully set desired instance count")
    );
    assert!(got[0].cause.contains("TargetTracking"));
    assert_eq!((blue.num_calls(), green.num_calls()), (1, 1));
    let two = b.scaling_activities("alpha", 2).await.unwrap();
    assert_eq!(
        two.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        vec!["b2", "g1"]
    );
}

// ---------------------------------------------------------------------------------------------
// Errors

fn describe_error(code: &'static str, message: &'static str) -> Rule {
    mock!(aws_sdk_sagemaker::Client::describe_endpoint).then_error(move || {
        DescribeEndpointError::generic(ErrorMetadata::builder().code(code).message(message).build())
    })
}

async fn describe_with(rule: Rule) -> BackendError {
    let b = backend(&Rules {
        sagemaker: vec![rule],
        ..Rules::default()
    });
    b.describe_endpoint("fraud-xgb").await.unwrap_err()
}

#[tokio::test]
async fn throttling_maps_to_throttled() {
    let err = describe_with(describe_error("ThrottlingException", "Rate exceeded")).await;
    assert_eq!(
        err,
        BackendError::Throttled {
            operation: Operation::DescribeEndpoint,
            message: "Rate exceeded".into()
        }
    );
    assert!(err.is_transient());
}

#[tokio::test]
async fn http_429_without_a_parsable_body_is_throttled_too() {
    let rule = mock!(aws_sdk_sagemaker::Client::describe_endpoint).then_http_response(|| {
        HttpResponse::new(
            HttpStatus::try_from(429).unwrap(),
            SdkBody::from("slow down"),
        )
    });
    let err = describe_with(rule).await;
    assert!(
        matches!(
            err,
            BackendError::Throttled {
                operation: Operation::DescribeEndpoint,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn access_denied_names_the_iam_action() {
    let err = describe_with(describe_error(
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/ReadOnly/x is not authorized to perform: sagemaker:DescribeEndpoint",
    ))
    .await;
    let BackendError::AccessDenied { operation, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*operation, Operation::DescribeEndpoint);
    assert!(message.contains("not authorized"));
    assert_eq!(
        err.hint(),
        "grant sagemaker:DescribeEndpoint to your role or user"
    );
}

#[tokio::test]
async fn missing_endpoint_is_not_found() {
    let err = describe_with(describe_error(
        "ValidationException",
        "Could not find endpoint \"arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-xgb\".",
    ))
    .await;
    let BackendError::NotFound {
        operation,
        resource,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (*operation, resource.as_str()),
        (Operation::DescribeEndpoint, "fraud-xgb")
    );
    // Any other validation error stays a validation error.
    let err = describe_with(describe_error(
        "ValidationException",
        "1 validation error detected",
    ))
    .await;
    assert!(matches!(err, BackendError::Validation { .. }), "{err:?}");
}

#[tokio::test]
async fn expired_credentials_point_at_sso_login_for_the_profile() {
    let err = describe_with(describe_error(
        "ExpiredTokenException",
        "The security token included in the request is expired",
    ))
    .await;
    let BackendError::Credentials {
        operation,
        profile,
        message,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (*operation, profile.as_deref()),
        (Operation::DescribeEndpoint, Some("prod"))
    );
    assert!(message.contains("expired"));
    assert!(
        err.hint().contains("aws sso login --profile prod"),
        "{}",
        err.hint()
    );
}

#[tokio::test]
async fn quota_errors_and_unknown_errors_keep_code_and_message() {
    let err = describe_with(describe_error(
        "ResourceLimitExceeded",
        "The account-level service limit 'ml.g5.xlarge for endpoint usage' is 0 Instances",
    ))
    .await;
    assert!(matches!(err, BackendError::LimitExceeded { .. }), "{err:?}");
    let err = describe_with(describe_error("InternalFailure", "boom")).await;
    assert_eq!(
        err,
        BackendError::Service {
            operation: Operation::DescribeEndpoint,
            code: "InternalFailure".into(),
            message: "boom".into()
        }
    );
}

#[tokio::test]
async fn a_failing_credential_provider_is_a_credentials_error() {
    #[derive(Debug)]
    struct NoCredentials;
    impl aws_credential_types::provider::ProvideCredentials for NoCredentials {
        fn provide_credentials<'a>(
            &'a self,
        ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            aws_credential_types::provider::future::ProvideCredentials::ready(Err(
                aws_credential_types::provider::error::CredentialsError::provider_error(
                    "the SSO session associated with this profile has expired",
                ),
            ))
        }
    }
    let rule = mock!(aws_sdk_sagemaker::Client::list_endpoints).then_http_response(|| {
        HttpResponse::new(HttpStatus::try_from(200).unwrap(), SdkBody::from("{}"))
    });
    let sagemaker = mock_client!(aws_sdk_sagemaker, RuleMode::MatchAny, [&rule], |c| c
        .retry_config(aws_sdk_sagemaker::config::retry::RetryConfig::disabled())
        .credentials_provider(NoCredentials));
    let mut b = backend(&Rules::default());
    let mut clients = b.clients().clone();
    clients.sagemaker = sagemaker;
    b = AwsBackend::new(clients, Some("sso-prod".into()), "eu-west-1");
    let err = b.list_endpoints().await.unwrap_err();
    let BackendError::Credentials {
        profile, message, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(profile.as_deref(), Some("sso-prod"));
    assert!(message.contains("SSO session"), "{message}");
    let stats = b.api_stats();
    let le = stats
        .operations
        .iter()
        .find(|o| o.operation == Operation::ListEndpoints)
        .unwrap();
    assert_eq!((le.calls, le.errors, le.throttles), (1, 1, 0));
}
