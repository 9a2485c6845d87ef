//! The endpoints poller against a flaky account: a throttled DescribeEndpoint keeps the
//! endpoint's last good description (its variants), so its figures keep being polled, and the
//! row is marked with the error. Pollers run on paused tokio time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use sagetop::app::{Action, Panel, PanelData};
use sagetop::boundary::{
    BackendError, BackendResult, Call, Layer, Layered, Operation, SharedBackend,
};
use sagetop::clock::{Clock, fixture_epoch};
use sagetop::domain::*;
use sagetop::poll::{PollIntervals, Pollers};
use sagetop::sim::SimAccount;
use tokio::sync::mpsc;

struct TokioClock {
    origin: Timestamp,
    started: tokio::time::Instant,
}

impl Clock for TokioClock {
    fn now(&self) -> Timestamp {
        self.origin + chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default()
    }
}

/// Throttles DescribeEndpoint of one endpoint when set.
struct Flaky {
    throttled: Mutex<Option<String>>,
}

#[async_trait]
impl Layer for Flaky {
    type Carry = ();

    async fn before(&self, call: &Call<'_>) -> BackendResult<()> {
        if let Call::DescribeEndpoint { name } = call
            && self.throttled.lock().unwrap().as_deref() == Some(&**name)
        {
            return Err(BackendError::Throttled {
                operation: Operation::DescribeEndpoint,
                message: "Rate exceeded".into(),
            });
        }
        Ok(())
    }
}

const EP: &str = "fraud-detection-xgb";

#[tokio::test(start_paused = true)]
async fn a_throttled_describe_keeps_the_variants_and_the_figures() {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock {
        origin: fixture_epoch(),
        started: tokio::time::Instant::now(),
    });
    let sim = Arc::new(SimAccount::new(7, clock.clone()));
    let flaky: Arc<Layered<Flaky, SimAccount>> = Arc::new(
        Flaky {
            throttled: Mutex::new(None),
        }
        .over(sim),
    );
    let backend: SharedBackend = flaky.clone();
    let (tx, mut rx) = mpsc::channel::<Action>(256);
    let pollers = Pollers::spawn(backend, clock.clone(), PollIntervals::aws(), tx, 7);
    // The detail of EP is open: it is described every cycle.
    pollers.watch(Some(EP.into()));
    let mut throttled_at = None;
    let mut failed_seen = false;
    let mut metrics_after_failure = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    while let Ok(Some(action)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        let Action::Polled(p) = action else { continue };
        match (p.panel, p.result) {
            (Panel::Endpoints, Ok(PanelData::Endpoints(d))) => {
                let e = d.endpoints.iter().find(|e| e.name == EP).expect("listed");
                if throttled_at.is_none() && !e.variants.is_empty() {
                    *flaky.layer().throttled.lock().unwrap() = Some(EP.into());
                    throttled_at = Some(clock.now());
                } else if throttled_at.is_some() && d.failed.contains_key(EP) {
                    assert!(!e.variants.is_empty(), "last good variants kept: {e:?}");
                    assert!(matches!(d.failed[EP], BackendError::Throttled { .. }));
                    failed_seen = true;
                }
            }
            (Panel::Metrics, Ok(PanelData::Metrics(m))) if failed_seen => {
                assert!(
                    m.latest.keys().any(|(e, _)| e == EP),
                    "figures of {EP} still polled while its describe is throttled"
                );
                metrics_after_failure = true;
                break;
            }
            _ => {}
        }
    }
    pollers.shutdown().await;
    assert!(failed_seen, "the throttled describe was reported");
    assert!(metrics_after_failure, "a metrics poll followed");
}

/// The autoscaling poller reads the inference components' copy-count autoscaling along with
/// their hosting: the LLM endpoint's components arrive with their registered ranges and
/// policies (the copies dialog bounds a count by them), the reranker without a target.
#[tokio::test(start_paused = true)]
async fn the_autoscaling_poll_carries_the_components_copy_ranges() {
    const LLM: &str = "llm-chat-components";
    let clock: Arc<dyn Clock> = Arc::new(TokioClock {
        origin: fixture_epoch(),
        started: tokio::time::Instant::now(),
    });
    let backend: SharedBackend = Arc::new(SimAccount::new(7, clock.clone()));
    let (tx, mut rx) = mpsc::channel::<Action>(256);
    let pollers = Pollers::spawn(backend, clock.clone(), PollIntervals::aws(), tx, 7);
    pollers.watch(Some(LLM.into()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    let mut seen = None;
    while let Ok(Some(action)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        let Action::Polled(p) = action else { continue };
        if let (Panel::Autoscaling, Ok(PanelData::Autoscaling(d))) = (p.panel, p.result)
            && d.hosting.contains_key(LLM)
        {
            seen = Some(d);
            break;
        }
    }
    let d = seen.expect("an autoscaling poll with the LLM endpoint's hosting");
    let llama = &d.components["llama-3-8b-chat"];
    assert_eq!(llama.range, Some((1, 8)));
    assert_eq!(llama.policies.len(), 1);
    assert_eq!(llama.policies[0].metric, INVOCATIONS_PER_COPY_METRIC);
    assert_eq!(d.components["mistral-7b-summarize"].range, Some((1, 4)));
    assert_eq!(d.components["bge-reranker"].range, None);
    pollers.shutdown().await;
}
