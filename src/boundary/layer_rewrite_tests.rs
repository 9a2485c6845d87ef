//! Tests of `Layer::rewrite`: a rewritten argument is what the layer's own hooks and
//! everything below it see, the layers above keep the call as they made it, and a layer that
//! does not rewrite hands every argument down borrowed (nothing is copied per call).

use std::borrow::Cow;
use std::sync::Mutex;

use super::tests::{Probe, call_every_method};
use super::*;

/// Every reference argument of `call` is still the caller's (`Cow::Borrowed`). Lists every
/// call, so a new method's arguments are checked too.
fn borrowed(call: &Call<'_>) -> bool {
    macro_rules! b {
        ($arg:expr) => {
            matches!($arg, Cow::Borrowed(_))
        };
    }
    match call {
        Call::Identity
        | Call::ListEndpoints
        | Call::DescribeFleetAutoscaling
        | Call::ListQuotas
        | Call::ListEndpointConfigs
        | Call::ListAlarmNames => true,
        Call::DescribeEndpoint { name } => b!(name),
        Call::DescribeAutoscaling { endpoint }
        | Call::ScalingActivities { endpoint, .. }
        | Call::ListLogStreams { endpoint }
        | Call::DescribeDeployment { endpoint } => b!(endpoint),
        Call::UpdateWeightsAndCapacities { endpoint, changes } => b!(endpoint) && b!(changes),
        Call::RegisterScalableTarget {
            endpoint, variant, ..
        } => b!(endpoint) && b!(variant),
        Call::GetMetrics { query } => b!(query),
        Call::LookupEvents { query } => b!(query),
        Call::Invoke { request } => b!(request),
        Call::FilterLogEvents { query } => b!(query),
        Call::DescribeHosting { endpoint, .. } => b!(endpoint),
        Call::UpdateComponentCopies { change } => b!(change),
        Call::UpdateEndpoint { request } => b!(request),
        Call::DescribeComponentAutoscaling { components } => b!(components),
    }
}

/// What one layer's hooks saw: "NAME before|after METHOD RESOURCE (borrowed|owned)".
#[derive(Clone)]
struct Seen {
    name: &'static str,
    log: Arc<Mutex<Vec<String>>>,
}

impl Seen {
    fn note(&self, hook: &str, call: &Call<'_>) {
        let kept = if borrowed(call) { "borrowed" } else { "owned" };
        self.log.lock().unwrap().push(format!(
            "{} {hook} {} {} {kept}",
            self.name,
            call.method(),
            call.resource().unwrap_or("-"),
        ));
    }
}

#[async_trait]
impl Layer for Seen {
    type Carry = ();

    async fn before(&self, call: &Call<'_>) -> BackendResult<()> {
        self.note("before", call);
        Ok(())
    }

    async fn after(&self, call: &Call<'_>, _: (), _: Reply<'_>) {
        self.note("after", call);
    }
}

/// Sends a read and a write for endpoint `from` to endpoint `to`, and notes what its own
/// hooks see.
struct Rename {
    seen: Seen,
}

impl Rename {
    const FROM: &str = "churn";
    const TO: &str = "churn-v2";
}

#[async_trait]
impl Layer for Rename {
    type Carry = ();

    fn rewrite(&self, call: &mut Call<'_>) {
        match call {
            Call::DescribeEndpoint { name } if name == Rename::FROM => {
                *name = Cow::Owned(Rename::TO.to_string());
            }
            Call::UpdateEndpoint { request } if request.endpoint == Rename::FROM => {
                request.to_mut().endpoint = Rename::TO.into();
            }
            _ => {}
        }
    }

    async fn before(&self, call: &Call<'_>) -> BackendResult<()> {
        self.seen.before(call).await
    }

    async fn after(&self, call: &Call<'_>, _: (), reply: Reply<'_>) {
        self.seen.after(call, (), reply).await
    }
}

fn deploy(endpoint: &str) -> DeploymentRequest {
    DeploymentRequest {
        endpoint: endpoint.into(),
        config_name: "churn-config-2".into(),
        strategy: DeploymentStrategy::BlueGreen {
            routing: TrafficRouting::AllAtOnce,
            wait_interval_s: 0,
            termination_wait_s: 0,
            max_execution_timeout_s: None,
        },
        rollback_alarms: Vec::new(),
    }
}

#[tokio::test]
async fn a_rewrite_is_what_the_layer_and_everything_below_see() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = |name| Seen {
        name,
        log: log.clone(),
    };
    let probe = Arc::new(Probe::default());
    let b = seen("outer").over(Arc::new(
        Rename {
            seen: seen("rename"),
        }
        .over(Arc::new(seen("inner").over(probe.clone()))),
    ));

    let read = b.describe_endpoint("churn").await.unwrap();
    assert_eq!(read.name, "churn-v2", "the backend described the new name");
    let request = deploy("churn");
    b.update_endpoint(&request).await.unwrap();
    assert_eq!(
        request.endpoint, "churn",
        "the caller's request is left as it was"
    );
    b.describe_endpoint("fraud").await.unwrap();

    assert_eq!(
        *log.lock().unwrap(),
        [
            "outer before describe_endpoint churn borrowed",
            "rename before describe_endpoint churn-v2 owned",
            "inner before describe_endpoint churn-v2 borrowed",
            "inner after describe_endpoint churn-v2 borrowed",
            "rename after describe_endpoint churn-v2 owned",
            "outer after describe_endpoint churn borrowed",
            "outer before update_endpoint churn borrowed",
            "rename before update_endpoint churn-v2 owned",
            "inner before update_endpoint churn-v2 borrowed",
            "inner after update_endpoint churn-v2 borrowed",
            "rename after update_endpoint churn-v2 owned",
            "outer after update_endpoint churn borrowed",
            "outer before describe_endpoint fraud borrowed",
            "rename before describe_endpoint fraud borrowed",
            "inner before describe_endpoint fraud borrowed",
            "inner after describe_endpoint fraud borrowed",
            "rename after describe_endpoint fraud borrowed",
            "outer after describe_endpoint fraud borrowed",
        ]
    );
    assert_eq!(
        probe.calls(),
        ["describe_endpoint", "update_endpoint", "describe_endpoint"]
    );
}

#[tokio::test]
async fn a_layer_that_does_not_rewrite_hands_every_argument_down_borrowed() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let b = Seen {
        name: "L",
        log: log.clone(),
    }
    .over(Arc::new(Probe::default()));
    let results = call_every_method(&b, "churn").await;
    assert_eq!(results.len(), 21);
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 42, "{log:?}");
    assert!(
        log.iter().all(|line| line.ends_with(" borrowed")),
        "{log:?}"
    );
}
