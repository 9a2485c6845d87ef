//! Injected faults surface exactly what the SDK backend reports for the real AWS error: the
//! same `BackendError` (variant, operation, message, profile), checked against the SDK backend
//! on aws-smithy-mocks answering with AWS's error code and message, and for InvokeEndpoint
//! through the simulated runtime server and the SDK runtime client.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsError;
use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataError;
use aws_sdk_sagemaker::operation::describe_endpoint::DescribeEndpointError;
use aws_sdk_servicequotas::operation::list_service_quotas::ListServiceQuotasError;
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::error::ErrorMetadata;
use sagetop::aws::{AwsBackend, Clients, OPERATION_TIMEOUT};
use sagetop::boundary::Layer;
use sagetop::boundary::{Backend, BackendError, BackendResult, Operation, SharedBackend};
use sagetop::clock::{ManualClock, SharedClock, fixture_epoch};
use sagetop::domain::*;
use sagetop::faults::{FaultSpec, Faults, FaultyBackend};
use sagetop::sim::SimAccount;

macro_rules! client {
    ($krate:ident, $rules:expr) => {
        mock_client!($krate, RuleMode::MatchAny, $rules, |c| c
            .retry_config($krate::config::retry::RetryConfig::disabled()))
    };
}

/// The SDK backend (profile `prod`) whose every call of each service answers with `code`.
fn sdk_backend(code: &'static str, message: String) -> AwsBackend {
    let meta = move || {
        ErrorMetadata::builder()
            .code(code)
            .message(&message)
            .build()
    };
    let (m1, m2, m3, m4, m5) = (meta.clone(), meta.clone(), meta.clone(), meta.clone(), meta);
    let sm = mock!(aws_sdk_sagemaker::Client::describe_endpoint)
        .then_error(move || DescribeEndpointError::generic(m1()));
    let cw = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .then_error(move || GetMetricDataError::generic(m2()));
    let ct = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .then_error(move || LookupEventsError::generic(m3()));
    let sq = mock!(aws_sdk_servicequotas::Client::list_service_quotas)
        .then_error(move || ListServiceQuotasError::generic(m4()));
    let sts = mock!(aws_sdk_sts::Client::get_caller_identity)
        .then_error(move || GetCallerIdentityError::generic(m5()));
    let clients = Clients {
        sagemaker: client!(aws_sdk_sagemaker, [&sm]),
        runtime: client!(aws_sdk_sagemakerruntime, Vec::<Rule>::new().iter()),
        autoscaling: client!(aws_sdk_applicationautoscaling, Vec::<Rule>::new().iter()),
        cloudwatch: client!(aws_sdk_cloudwatch, [&cw]),
        cloudtrail: client!(aws_sdk_cloudtrail, [&ct]),
        quotas: client!(aws_sdk_servicequotas, [&sq]),
        sts: client!(aws_sdk_sts, [&sts]),
        logs: client!(aws_sdk_cloudwatchlogs, Vec::<Rule>::new().iter()),
    };
    AwsBackend::new(clients, Some("prod".into()), "us-east-1")
}

fn faulty(spec: &str) -> (FaultyBackend<SimAccount>, SharedClock) {
    let clock: SharedClock = Arc::new(ManualClock::new(fixture_epoch()));
    let sim = Arc::new(SimAccount::new(7, clock.clone()));
    let b = Faults::new(FaultSpec::parse(spec).unwrap(), clock.clone(), 7)
        .with_profile(Some("prod".into()))
        .over(sim);
    (b, clock)
}

/// One failing call of each service the tests compare.
async fn calls(b: &dyn Backend) -> Vec<(Operation, BackendError)> {
    let q = MetricQuery {
        series: vec![SeriesKey::new(
            "churn-predictor",
            "VariantA",
            MetricName::Invocations,
            Statistic::Sum,
        )],
        start: fixture_epoch() - chrono::Duration::minutes(10),
        end: fixture_epoch(),
        period: Duration::from_secs(60),
    };
    fn err<T: std::fmt::Debug>(r: BackendResult<T>) -> BackendError {
        r.expect_err("the call fails")
    }
    vec![
        (
            Operation::DescribeEndpoint,
            err(b.describe_endpoint("churn-predictor").await),
        ),
        (Operation::GetMetricData, err(b.get_metrics(&q).await)),
        (
            Operation::LookupEvents,
            err(b.lookup_events(&EventQuery::default()).await),
        ),
        (Operation::ListServiceQuotas, err(b.list_quotas().await)),
        (Operation::GetCallerIdentity, err(b.identity().await)),
    ]
}

/// The code each service answers `kind` with.
fn code(kind: &str, op: Operation) -> &'static str {
    match (kind, op) {
        ("throttle", Operation::GetMetricData | Operation::GetCallerIdentity) => "Throttling",
        ("throttle", Operation::ListServiceQuotas) => "TooManyRequestsException",
        ("throttle", _) => "ThrottlingException",
        ("deny", Operation::GetCallerIdentity) => "AccessDenied",
        ("deny", _) => "AccessDeniedException",
        ("expired", Operation::GetCallerIdentity) => "ExpiredToken",
        _ => "ExpiredTokenException",
    }
}

#[tokio::test]
async fn injected_errors_equal_the_sdk_backends_mapping_of_the_real_error() {
    for (kind, spec) in [
        ("throttle", "throttle=1"),
        ("deny", "deny=sagemaker+cloudwatch+cloudtrail+quotas+sts"),
        ("expired", "expire-credentials-after=0s"),
    ] {
        let (b, _clock) = faulty(spec);
        for (op, injected) in calls(&b).await {
            let message = match &injected {
                BackendError::Throttled { message, .. }
                | BackendError::AccessDenied { message, .. }
                | BackendError::Credentials { message, .. } => message.clone(),
                other => panic!("{kind} {op}: {other:?}"),
            };
            let sdk = sdk_backend(code(kind, op), message);
            let real = calls(&sdk)
                .await
                .into_iter()
                .find(|(o, _)| *o == op)
                .map(|(_, e)| e)
                .unwrap();
            assert_eq!(injected, real, "{kind} on {op}");
            assert_eq!(injected.hint(), real.hint());
        }
    }
}

#[tokio::test]
async fn messages_read_as_aws_writes_them() {
    let (b, _clock) = faulty("deny=DescribeEndpoint,throttle=1:cloudwatch");
    let e = b.describe_endpoint("churn-predictor").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "DescribeEndpoint: access denied (User: arn:aws:sts::111122223333:assumed-role/OnCallEngineer/you \
         is not authorized to perform: sagemaker:DescribeEndpoint on resource: \
         arn:aws:sagemaker:us-east-1:111122223333:endpoint/churn-predictor because no \
         identity-based policy allows the sagemaker:DescribeEndpoint action)"
    );
    assert_eq!(
        e.hint(),
        "grant sagemaker:DescribeEndpoint to your role or user"
    );
    let q = MetricQuery {
        series: Vec::new(),
        start: fixture_epoch(),
        end: fixture_epoch(),
        period: Duration::from_secs(60),
    };
    assert_eq!(
        b.get_metrics(&q).await.unwrap_err().to_string(),
        "GetMetricData: throttled by AWS (Rate exceeded)"
    );
    // Calls the spec leaves alone reach the account.
    assert!(b.list_endpoints().await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn timeouts_report_the_sdk_operation_timeout() {
    let (b, _clock) = faulty("timeout=1:sagemaker");
    let before = tokio::time::Instant::now();
    let e = b.list_endpoints().await.unwrap_err();
    assert_eq!(
        e,
        BackendError::Timeout {
            operation: Operation::ListEndpoints,
            seconds: OPERATION_TIMEOUT.as_secs()
        }
    );
    assert!(
        before.elapsed() >= OPERATION_TIMEOUT,
        "it stalls as long first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_faults_cross_the_runtime_server_unchanged() {
    for spec in [
        "invoke-5xx=1",
        "throttle=1:sagemaker-runtime",
        "deny=runtime",
    ] {
        let (b, clock) = faulty(spec);
        let b: SharedBackend = Arc::new(b);
        let req = InvokeRequest {
            endpoint: "churn-predictor".into(),
            body: b"0.31,1.7".to_vec(),
            content_type: "text/csv".into(),
            accept: None,
            target_variant: None,
        };
        let direct = b.invoke(&req).await.unwrap_err();
        let server = sagetop::sim::wire::SimServer::start(b, clock)
            .await
            .unwrap();
        let client = sagetop::load::sdk::sim_runtime(&server.base_url())
            .await
            .unwrap();
        let over_http = client.invoke(&req).await.unwrap_err();
        server.shutdown().await;
        match (&direct, &over_http) {
            // The server answers with AWS's code; the SDK client's mapping gives the same error.
            (BackendError::AccessDenied { .. }, BackendError::AccessDenied { .. })
            | (BackendError::Throttled { .. }, BackendError::Throttled { .. }) => {
                assert_eq!(direct, over_http, "{spec}");
            }
            (BackendError::Service { code, .. }, _) => {
                assert_eq!(code, "InternalFailure");
                assert_eq!(direct, over_http, "{spec}");
            }
            _ => panic!("{spec}: {direct:?} vs {over_http:?}"),
        }
    }
}
