//! Tests of endpoint keys across contexts: keys split at the first `@`, the `Qualify` layer
//! hands every endpoint name down plain and every endpoint name up keyed (a table over every
//! `Backend` method says which take and return one), and an unconnected context answers with
//! its credentials error.

use std::sync::Mutex;

use super::*;
use crate::boundary::BackendError;
use crate::boundary::layer::tests::{PROBE_ENDPOINT, Probe, call_every_method};

const LABEL: &str = "prod/us-east-1";

#[test]
fn keys_split_at_the_first_separator() {
    let k = qualify("ranker", "prod@corp/eu-west-1");
    assert_eq!(k, "ranker@prod@corp/eu-west-1");
    assert_eq!(plain(&k), "ranker");
    assert_eq!(context_of(&k), Some("prod@corp/eu-west-1"));
    assert_eq!(plain("ranker"), "ranker");
    assert_eq!(context_of("ranker"), None);
}

/// Every `Backend` method: (method, takes an endpoint name, answers with one).
const NAMES: [(&str, bool, bool); 21] = [
    ("identity", false, false),
    ("list_endpoints", false, true),
    ("describe_endpoint", true, true),
    ("describe_autoscaling", true, true),
    ("describe_fleet_autoscaling", false, true),
    ("describe_component_autoscaling", false, false),
    ("scaling_activities", true, true),
    ("get_metrics", true, true),
    ("lookup_events", true, false),
    ("list_quotas", false, false),
    ("update_weights_and_capacities", true, false),
    ("register_scalable_target", true, false),
    ("invoke", true, false),
    ("list_log_streams", true, false),
    ("filter_log_events", true, false),
    ("describe_hosting", true, true),
    ("update_component_copies", false, false),
    ("describe_deployment", true, true),
    ("list_endpoint_configs", false, false),
    ("list_alarm_names", false, false),
    ("update_endpoint", true, false),
];

/// Notes each call and each answer as `Debug` prints them: (method, call, answer).
#[derive(Default)]
struct Capture(Mutex<Vec<(&'static str, String, String)>>);

impl Capture {
    fn seen(&self) -> Vec<(&'static str, String, String)> {
        self.0.lock().unwrap().clone()
    }
}

#[async_trait]
impl Layer for Capture {
    type Carry = ();

    async fn before(&self, _: &Call<'_>) -> BackendResult<()> {
        Ok(())
    }

    async fn after(&self, call: &Call<'_>, _: (), reply: Reply<'_>) {
        let answer = format!("{reply:?}");
        let call_text = format!("{call:?}");
        self.0
            .lock()
            .unwrap()
            .push((call.method(), call_text, answer));
    }
}

#[tokio::test]
async fn every_name_goes_down_plain_and_comes_back_keyed() {
    let key = qualify(PROBE_ENDPOINT, LABEL);
    let above = Arc::new(Capture::default());
    let below = Arc::new(Capture::default());
    let b = above.clone().over(Arc::new(qualified(
        LABEL,
        Arc::new(below.clone().over(Arc::new(Probe::default()))),
    )));
    for (method, _, result) in call_every_method(&b, &key).await {
        assert_eq!(result, Ok(()), "{method}");
    }
    let (above, below) = (above.seen(), below.seen());
    let methods: Vec<&str> = NAMES.iter().map(|(m, _, _)| *m).collect();
    let called: Vec<&str> = above.iter().map(|(m, _, _)| *m).collect();
    assert_eq!(called, methods, "the table lists every Backend method");
    assert_eq!(below.len(), NAMES.len());

    let plain_name = format!("{PROBE_ENDPOINT:?}");
    let key_name = format!("{key:?}");
    for (((method, takes, answers), up), down) in NAMES.iter().zip(&above).zip(&below) {
        let (_, call_up, answer_up) = up;
        let (_, call_down, answer_down) = down;
        assert_eq!(
            call_up.contains(&key),
            *takes,
            "{method} takes a name: {call_up}"
        );
        assert!(
            !call_down.contains(SEP),
            "{method} reached AWS keyed: {call_down}"
        );
        assert_eq!(
            answer_down.contains(&plain_name),
            *answers,
            "{method} answers with a name: {answer_down}"
        );
        assert!(
            !answer_up.contains(&plain_name),
            "{method} answered a plain name: {answer_up}"
        );
        assert_eq!(
            answer_up.contains(&key_name),
            *answers,
            "{method}: {answer_up}"
        );
    }
}

#[tokio::test]
async fn a_read_and_a_write_reach_the_account_by_its_own_name() {
    let below = Arc::new(Capture::default());
    let b = qualified(
        LABEL,
        Arc::new(below.clone().over(Arc::new(Probe::default()))),
    );
    let key = qualify("churn", LABEL);

    let endpoint = b.describe_endpoint(&key).await.unwrap();
    assert_eq!(endpoint.name, key, "the caller reads the key");
    assert_eq!(endpoint.config_name, "churn-config", "only names are keyed");
    let changes = [VariantChange {
        variant: "AllTraffic".into(),
        desired_weight: None,
        desired_instance_count: Some(3),
    }];
    b.update_weights_and_capacities(&key, &changes)
        .await
        .unwrap();
    let request = DeploymentRequest {
        endpoint: key.clone(),
        config_name: "churn-config-2".into(),
        strategy: DeploymentStrategy::BlueGreen {
            routing: TrafficRouting::AllAtOnce,
            wait_interval_s: 0,
            termination_wait_s: 0,
            max_execution_timeout_s: None,
        },
        rollback_alarms: vec!["churn-5xx".into()],
    };
    b.update_endpoint(&request).await.unwrap();
    assert_eq!(
        request.endpoint, key,
        "the caller's request is left as it was"
    );

    let seen: Vec<(&str, String)> = below
        .seen()
        .into_iter()
        .map(|(m, call, _)| (m, call))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "describe_endpoint",
                r#"DescribeEndpoint { name: "churn" }"#.to_string()
            ),
            (
                "update_weights_and_capacities",
                format!(
                    r#"UpdateWeightsAndCapacities {{ endpoint: "churn", changes: {changes:?} }}"#
                )
            ),
            (
                "update_endpoint",
                format!(
                    "UpdateEndpoint {{ request: {:?} }}",
                    DeploymentRequest {
                        endpoint: "churn".into(),
                        ..request.clone()
                    }
                )
            ),
        ]
    );
}

#[test]
fn a_name_argument_is_stripped_without_a_copy() {
    let key = qualify("churn", LABEL);
    let mut call = Call::DescribeEndpoint {
        name: Cow::Borrowed(&key),
    };
    Qualify::new(LABEL).rewrite(&mut call);
    assert!(
        matches!(&call, Call::DescribeEndpoint { name: Cow::Borrowed(n) } if *n == "churn"),
        "{call:?}"
    );
}

#[tokio::test]
async fn unconnected_answers_every_call_with_its_credentials_error() {
    let b = Unconnected {
        profile: Some("staging".into()),
        message: "the SSO session has expired".into(),
    };
    let err = b.list_endpoints().await.unwrap_err();
    assert!(matches!(err, BackendError::Credentials { .. }));
    assert!(err.to_string().contains("SSO session has expired"), "{err}");
}
