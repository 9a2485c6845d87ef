//! Tests of the layer mechanism: every `Backend` method meets the hooks exactly once, stacked
//! layers run as an onion, `after` can replace a result, and `before` can hold a call.

use std::sync::Mutex;

use super::*;
use crate::clock::fixture_epoch;

/// The one endpoint a [`Probe`] lists.
pub(crate) const PROBE_ENDPOINT: &str = "churn";

/// A backend that answers every call with a success and records which were made. Every
/// answer that can name an endpoint names one: the endpoint the call named, or
/// [`PROBE_ENDPOINT`].
#[derive(Debug, Default)]
pub(crate) struct Probe {
    calls: Mutex<Vec<&'static str>>,
}

impl Probe {
    pub(crate) fn calls(&self) -> Vec<&'static str> {
        self.calls.lock().unwrap().clone()
    }

    fn note(&self, m: &'static str) {
        self.calls.lock().unwrap().push(m);
    }

    fn autoscaling(endpoint: &str) -> Vec<VariantAutoscaling> {
        vec![VariantAutoscaling {
            variant: "AllTraffic".into(),
            target: Some(ScalableTarget {
                endpoint: endpoint.into(),
                variant: "AllTraffic".into(),
                min_capacity: 1,
                max_capacity: 4,
            }),
            policies: Vec::new(),
        }]
    }

    fn receipt(&self, m: &'static str) -> BackendResult<WriteReceipt> {
        self.note(m);
        Ok(WriteReceipt {
            request_id: "probe".into(),
            at: fixture_epoch(),
        })
    }
}

#[async_trait]
impl Backend for Probe {
    async fn identity(&self) -> BackendResult<Identity> {
        self.note("identity");
        Ok(Identity {
            account: "111122223333".into(),
            arn: "arn:aws:sts::111122223333:assumed-role/Probe/you".into(),
            profile: None,
            region: "us-east-1".into(),
            demo: true,
        })
    }
    async fn list_endpoints(&self) -> BackendResult<Vec<EndpointSummary>> {
        self.note("list_endpoints");
        Ok(vec![EndpointSummary {
            name: PROBE_ENDPOINT.into(),
            arn: format!("arn:aws:sagemaker:us-east-1:111122223333:endpoint/{PROBE_ENDPOINT}"),
            status: EndpointStatus::InService,
            creation_time: fixture_epoch(),
            last_modified_time: fixture_epoch(),
        }])
    }
    async fn describe_endpoint(&self, name: &str) -> BackendResult<Endpoint> {
        self.note("describe_endpoint");
        Ok(Endpoint {
            name: name.into(),
            arn: format!("arn:aws:sagemaker:us-east-1:111122223333:endpoint/{name}"),
            status: EndpointStatus::InService,
            failure_reason: None,
            creation_time: fixture_epoch(),
            last_modified_time: fixture_epoch(),
            config_name: format!("{name}-config"),
            variants: Vec::new(),
            shadow_variants: Vec::new(),
            pending: None,
        })
    }
    async fn describe_autoscaling(&self, endpoint: &str) -> BackendResult<Vec<VariantAutoscaling>> {
        self.note("describe_autoscaling");
        Ok(Probe::autoscaling(endpoint))
    }
    async fn describe_fleet_autoscaling(&self) -> BackendResult<FleetAutoscaling> {
        self.note("describe_fleet_autoscaling");
        Ok(FleetAutoscaling::from([(
            PROBE_ENDPOINT.to_string(),
            Probe::autoscaling(PROBE_ENDPOINT),
        )]))
    }
    async fn describe_component_autoscaling(
        &self,
        _: &[String],
    ) -> BackendResult<Vec<ComponentAutoscaling>> {
        self.note("describe_component_autoscaling");
        Ok(Vec::new())
    }
    async fn scaling_activities(
        &self,
        endpoint: &str,
        _: usize,
    ) -> BackendResult<Vec<ScalingActivity>> {
        self.note("scaling_activities");
        Ok(vec![ScalingActivity {
            id: "activity-1".into(),
            endpoint: endpoint.into(),
            variant: "AllTraffic".into(),
            start_time: fixture_epoch(),
            end_time: None,
            description: "Setting desired instance count to 2.".into(),
            cause: "monitor alarm".into(),
            status: ActivityStatus::InProgress,
            status_message: None,
        }])
    }
    async fn get_metrics(&self, query: &MetricQuery) -> BackendResult<Vec<MetricSeries>> {
        self.note("get_metrics");
        Ok(query
            .series
            .iter()
            .map(|key| MetricSeries {
                key: key.clone(),
                points: Vec::new(),
                status: SeriesStatus::Complete,
            })
            .collect())
    }
    async fn lookup_events(&self, _: &EventQuery) -> BackendResult<EventPage> {
        self.note("lookup_events");
        Ok(EventPage::default())
    }
    async fn list_quotas(&self) -> BackendResult<Vec<ServiceQuota>> {
        self.note("list_quotas");
        Ok(Vec::new())
    }
    async fn update_weights_and_capacities(
        &self,
        _: &str,
        _: &[VariantChange],
    ) -> BackendResult<WriteReceipt> {
        self.receipt("update_weights_and_capacities")
    }
    async fn register_scalable_target(
        &self,
        _: &str,
        _: &str,
        _: u32,
        _: u32,
    ) -> BackendResult<WriteReceipt> {
        self.receipt("register_scalable_target")
    }
    async fn invoke(&self, _: &InvokeRequest) -> BackendResult<InvokeResponse> {
        self.note("invoke");
        Ok(InvokeResponse {
            body: Vec::new(),
            content_type: None,
            invoked_variant: None,
            latency: std::time::Duration::ZERO,
        })
    }
    async fn list_log_streams(&self, _: &str) -> BackendResult<Vec<LogStream>> {
        self.note("list_log_streams");
        Ok(Vec::new())
    }
    async fn filter_log_events(&self, _: &LogQuery) -> BackendResult<LogPage> {
        self.note("filter_log_events");
        Ok(LogPage::default())
    }
    async fn describe_hosting(&self, e: &Endpoint, _: bool) -> BackendResult<EndpointHosting> {
        self.note("describe_hosting");
        let mut hosting = EndpointHosting::of(e);
        hosting.components.push(InferenceComponent {
            name: "llama".into(),
            endpoint: e.name.clone(),
            variant: "AllTraffic".into(),
            model: None,
            status: None,
            failure_reason: None,
            current_copies: Some(1),
            desired_copies: Some(1),
            compute: ComputeRequirements::default(),
            last_modified: None,
        });
        Ok(hosting)
    }
    async fn update_component_copies(&self, _: &CopyChange) -> BackendResult<WriteReceipt> {
        self.receipt("update_component_copies")
    }
    async fn describe_deployment(&self, endpoint: &str) -> BackendResult<DeploymentDetail> {
        self.note("describe_deployment");
        Ok(DeploymentDetail {
            endpoint: endpoint.into(),
            ..Default::default()
        })
    }
    async fn list_endpoint_configs(&self) -> BackendResult<Vec<EndpointConfigSummary>> {
        self.note("list_endpoint_configs");
        Ok(Vec::new())
    }
    async fn list_alarm_names(&self) -> BackendResult<Vec<String>> {
        self.note("list_alarm_names");
        Ok(Vec::new())
    }
    async fn update_endpoint(&self, _: &DeploymentRequest) -> BackendResult<WriteReceipt> {
        self.receipt("update_endpoint")
    }
    fn api_stats(&self) -> Option<ApiStats> {
        self.note("api_stats");
        None
    }
}

/// Calls each of the async `Backend` methods once, every endpoint name argument `endpoint`:
/// (method, operation, outcome).
pub(crate) async fn call_every_method(
    b: &dyn Backend,
    endpoint: &str,
) -> Vec<(&'static str, Operation, Result<(), BackendError>)> {
    fn ok<T>(r: BackendResult<T>) -> Result<(), BackendError> {
        r.map(|_| ())
    }
    let query = MetricQuery {
        series: vec![SeriesKey::new(
            endpoint,
            "VariantB",
            MetricName::Invocations,
            Statistic::Sum,
        )],
        start: fixture_epoch(),
        end: fixture_epoch(),
        period: std::time::Duration::from_secs(60),
    };
    let changes = [VariantChange {
        variant: "VariantB".into(),
        desired_weight: Some(1.0),
        desired_instance_count: None,
    }];
    let request = InvokeRequest {
        endpoint: endpoint.into(),
        body: b"1".to_vec(),
        content_type: "text/csv".into(),
        accept: None,
        target_variant: None,
    };
    let logs = LogQuery {
        endpoint: endpoint.into(),
        streams: StreamChoice::All,
        filter_pattern: None,
        start: fixture_epoch(),
        max_events: 10,
    };
    // As the caller has it: described through the layers, so only its name is `endpoint`.
    let mut described = Probe::default()
        .describe_endpoint(PROBE_ENDPOINT)
        .await
        .expect("the probe describes any endpoint");
    described.name = endpoint.into();
    let events = EventQuery {
        resource: Some(endpoint.into()),
        ..EventQuery::default()
    };
    let copies = CopyChange {
        component: "llama".into(),
        desired_copies: 2,
    };
    let deploy = DeploymentRequest {
        endpoint: endpoint.into(),
        config_name: "churn-v2".into(),
        strategy: DeploymentStrategy::BlueGreen {
            routing: TrafficRouting::AllAtOnce,
            wait_interval_s: 0,
            termination_wait_s: 0,
            max_execution_timeout_s: None,
        },
        rollback_alarms: Vec::new(),
    };
    use Operation as O;
    vec![
        ("identity", O::GetCallerIdentity, ok(b.identity().await)),
        (
            "list_endpoints",
            O::ListEndpoints,
            ok(b.list_endpoints().await),
        ),
        (
            "describe_endpoint",
            O::DescribeEndpoint,
            ok(b.describe_endpoint(endpoint).await),
        ),
        (
            "describe_autoscaling",
            O::DescribeScalableTargets,
            ok(b.describe_autoscaling(endpoint).await),
        ),
        (
            "describe_fleet_autoscaling",
            O::DescribeScalableTargets,
            ok(b.describe_fleet_autoscaling().await),
        ),
        (
            "describe_component_autoscaling",
            O::DescribeScalableTargets,
            ok(b.describe_component_autoscaling(&["chat".to_string()])
                .await),
        ),
        (
            "scaling_activities",
            O::DescribeScalingActivities,
            ok(b.scaling_activities(endpoint, 5).await),
        ),
        (
            "get_metrics",
            O::GetMetricData,
            ok(b.get_metrics(&query).await),
        ),
        (
            "lookup_events",
            O::LookupEvents,
            ok(b.lookup_events(&events).await),
        ),
        (
            "list_quotas",
            O::ListServiceQuotas,
            ok(b.list_quotas().await),
        ),
        (
            "update_weights_and_capacities",
            O::UpdateEndpointWeightsAndCapacities,
            ok(b.update_weights_and_capacities(endpoint, &changes).await),
        ),
        (
            "register_scalable_target",
            O::RegisterScalableTarget,
            ok(b.register_scalable_target(endpoint, "VariantB", 1, 4).await),
        ),
        ("invoke", O::InvokeEndpoint, ok(b.invoke(&request).await)),
        (
            "list_log_streams",
            O::DescribeLogStreams,
            ok(b.list_log_streams(endpoint).await),
        ),
        (
            "filter_log_events",
            O::FilterLogEvents,
            ok(b.filter_log_events(&logs).await),
        ),
        (
            "describe_hosting",
            O::DescribeEndpointConfig,
            ok(b.describe_hosting(&described, true).await),
        ),
        (
            "update_component_copies",
            O::UpdateInferenceComponentRuntimeConfig,
            ok(b.update_component_copies(&copies).await),
        ),
        (
            "describe_deployment",
            O::DescribeEndpoint,
            ok(b.describe_deployment(endpoint).await),
        ),
        (
            "list_endpoint_configs",
            O::ListEndpointConfigs,
            ok(b.list_endpoint_configs().await),
        ),
        (
            "list_alarm_names",
            O::DescribeAlarms,
            ok(b.list_alarm_names().await),
        ),
        (
            "update_endpoint",
            O::UpdateEndpoint,
            ok(b.update_endpoint(&deploy).await),
        ),
    ]
}

/// Writes what each hook saw into a shared log, tagged with the layer's name.
#[derive(Debug, Clone)]
struct Recording {
    name: &'static str,
    log: Arc<Mutex<Vec<String>>>,
    refuse: bool,
}

impl Recording {
    fn push(&self, s: String) {
        self.log.lock().unwrap().push(s);
    }
}

#[async_trait]
impl Layer for Recording {
    type Carry = &'static str;

    async fn before(&self, call: &Call<'_>) -> BackendResult<&'static str> {
        self.push(format!("{} before {}", self.name, call.method()));
        if self.refuse {
            return Err(BackendError::Validation {
                operation: call.operation(),
                message: format!("refused by {}", self.name),
            });
        }
        Ok(call.method())
    }

    async fn after(&self, call: &Call<'_>, carry: &'static str, reply: Reply<'_>) {
        assert_eq!(carry, call.method(), "before's carry reaches after");
        let outcome = match reply.error() {
            None => "ok".to_string(),
            Some(e) => e.to_string(),
        };
        self.push(format!("{} after {} {outcome}", self.name, call.method()));
    }

    fn api_stats(&self, below: Option<ApiStats>) -> Option<ApiStats> {
        self.push(format!("{} api_stats", self.name));
        below
    }
}

#[tokio::test]
async fn every_backend_method_meets_the_hooks_exactly_once() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let probe = Arc::new(Probe::default());
    let layer = Recording {
        name: "L",
        log: log.clone(),
        refuse: false,
    };
    let b = layer.over(probe.clone());
    let results = call_every_method(&b, "churn").await;
    assert!(b.api_stats().is_none());
    let methods: Vec<&str> = results.iter().map(|(m, _, _)| *m).collect();
    assert_eq!(methods.len(), 21);
    let mut expected = Vec::new();
    for (method, op, result) in &results {
        assert_eq!(result, &Ok(()), "{method}");
        expected.push(format!("L before {method}"));
        expected.push(format!("L after {method} ok"));
        let _ = op;
    }
    expected.push("L api_stats".into());
    assert_eq!(*log.lock().unwrap(), expected);
    let mut reached = methods.clone();
    reached.push("api_stats");
    assert_eq!(probe.calls(), reached, "each call reached the backend once");
}

#[tokio::test]
async fn calls_name_the_operation_the_backend_method_performs() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let refusing = Recording {
        name: "L",
        log,
        refuse: true,
    };
    let probe = Arc::new(Probe::default());
    for (method, op, result) in call_every_method(&refusing.over(probe.clone()), "churn").await {
        let err = result.expect_err(method);
        assert_eq!(err.operation(), op, "{method}");
    }
    assert!(probe.calls().is_empty(), "a refusal stops every call");
}

#[tokio::test]
async fn stacked_layers_run_as_an_onion_and_a_refusal_skips_what_is_below() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let layer = |name, refuse| Recording {
        name,
        log: log.clone(),
        refuse,
    };
    let probe = Arc::new(Probe::default());
    let b = layer("outer", false).over(Arc::new(layer("inner", false).over(probe.clone())));
    b.list_endpoints().await.unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [
            "outer before list_endpoints",
            "inner before list_endpoints",
            "inner after list_endpoints ok",
            "outer after list_endpoints ok",
        ]
    );
    assert_eq!(probe.calls(), ["list_endpoints"]);

    log.lock().unwrap().clear();
    let b = layer("outer", false).over(Arc::new(layer("inner", true).over(probe.clone())));
    let err = b.list_quotas().await.unwrap_err();
    assert_eq!(err.to_string(), "ListServiceQuotas: refused by inner");
    assert_eq!(
        *log.lock().unwrap(),
        [
            "outer before list_quotas",
            "inner before list_quotas",
            "outer after list_quotas ListServiceQuotas: refused by inner",
        ]
    );
    assert_eq!(
        probe.calls(),
        ["list_endpoints"],
        "the backend was not called"
    );
}

/// Replaces successful endpoint lists by a throttle, and empties metric answers' typed result.
struct Rewrite;

#[async_trait]
impl Layer for Rewrite {
    type Carry = ();

    async fn before(&self, _: &Call<'_>) -> BackendResult<()> {
        Ok(())
    }

    async fn after(&self, call: &Call<'_>, _: (), mut reply: Reply<'_>) {
        match reply {
            Reply::Endpoints(_) => reply.fail(BackendError::Throttled {
                operation: call.operation(),
                message: "Rate exceeded".into(),
            }),
            Reply::Identity(Ok(id)) => id.arn = "replaced".into(),
            _ => {}
        }
    }
}

#[tokio::test]
async fn after_can_replace_a_result_or_edit_it() {
    let b = Rewrite.over(Arc::new(Probe::default()));
    assert!(matches!(
        b.list_endpoints().await,
        Err(BackendError::Throttled {
            operation: Operation::ListEndpoints,
            ..
        })
    ));
    assert_eq!(b.identity().await.unwrap().arn, "replaced");
    assert!(b.list_quotas().await.is_ok(), "other calls are left alone");
}

/// Holds writes until released, one release per write.
struct Gate(Arc<tokio::sync::Semaphore>);

#[async_trait]
impl Layer for Gate {
    type Carry = ();

    async fn before(&self, call: &Call<'_>) -> BackendResult<()> {
        if call.is_write() {
            self.0.acquire().await.expect("gate open").forget();
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_gate_holds_a_call_until_released() {
    let permits = Arc::new(tokio::sync::Semaphore::new(0));
    let probe = Arc::new(Probe::default());
    let b = Arc::new(Gate(permits.clone()).over(probe.clone()));
    let held = {
        let b = b.clone();
        tokio::spawn(async move { b.register_scalable_target("churn", "VariantB", 1, 4).await })
    };
    b.list_endpoints().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert!(!held.is_finished(), "the write is held");
    assert_eq!(probe.calls(), ["list_endpoints"], "reads pass the gate");
    permits.add_permits(1);
    held.await.unwrap().unwrap();
    assert_eq!(
        probe.calls(),
        ["list_endpoints", "register_scalable_target"]
    );
}
