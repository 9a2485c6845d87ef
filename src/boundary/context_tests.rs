//! Tests of endpoint keys across contexts: keys split at the first `@`, the `Qualify` layer
//! hands every endpoint name down plain and every endpoint name up keyed (a table over every
//! `Backend` method says which take and return one), and an unconnected context answers with
//! its credentials error.

use std::sync::Mutex;

use super::*;
use crate::boundary::BackendError;
use crate::boundary::layer::tests::{PROBE_ENDPOINT, Probe, call_every_method};
use crate::clock::{ManualClock, SharedClock, fixture_epoch};
use crate::sim::SimAccount;

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
const NAMES: [(&str, bool, bool); 20] = [
    ("identity", false, false),
    ("list_endpoints", false, true),
    ("describe_endpoint", true, true),
    ("describe_autoscaling", true, true),
    ("describe_fleet_autoscaling", false, true),
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
        self.0.lock().unwrap().push((call.method(), call_text, answer));
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
        assert_eq!(call_up.contains(&key), *takes, "{method} takes a name: {call_up}");
        assert!(!call_down.contains(SEP), "{method} reached AWS keyed: {call_down}");
        assert_eq!(
            answer_down.contains(&plain_name),
            *answers,
            "{method} answers with a name: {answer_down}"
        );
        assert!(
            !answer_up.contains(&plain_name),
            "{method} answered a plain name: {answer_up}"
        );
        assert_eq!(answer_up.contains(&key_name), *answers, "{method}: {answer_up}");
    }
}

#[tokio::test]
async fn a_read_and_a_write_reach_the_account_by_its_own_name() {
    let clock: SharedClock = Arc::new(ManualClock::new(fixture_epoch()));
    let sim = Arc::new(SimAccount::new(7, clock));
    let below = Arc::new(Capture::default());
    let b = qualified(LABEL, Arc::new(below.clone().over(sim.clone())));
    let key = qualify("churn-predictor", LABEL);

    let endpoint = b.describe_endpoint(&key).await.unwrap();
    assert_eq!(endpoint.name, key, "the caller reads the key");
    let variant = endpoint.variants[0].name.clone();
    b.register_scalable_target(&key, &variant, 2, 7)
        .await
        .unwrap();
    let targets = b.describe_autoscaling(&key).await.unwrap();
    let target = targets
        .iter()
        .find_map(|a| a.target.as_ref().filter(|t| t.variant == variant))
        .expect("the new target");
    assert_eq!(
        (target.endpoint.as_str(), target.min_capacity, target.max_capacity),
        (key.as_str(), 2, 7)
    );
    let direct = sim.describe_autoscaling("churn-predictor").await.unwrap();
    assert!(
        direct
            .iter()
            .filter_map(|a| a.target.as_ref())
            .any(|t| t.endpoint == "churn-predictor" && t.max_capacity == 7),
        "the account has the write under its own name: {direct:?}"
    );
    let seen: Vec<(&str, String)> = below
        .seen()
        .into_iter()
        .map(|(m, call, _)| (m, call))
        .collect();
    assert_eq!(seen.len(), 3);
    for (method, call) in seen {
        assert!(call.contains("\"churn-predictor\""), "{method}: {call}");
        assert!(!call.contains(SEP), "{method}: {call}");
    }
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
