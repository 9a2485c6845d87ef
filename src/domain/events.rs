//! CloudTrail SageMaker management events.

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// Event source of SageMaker's management events.
pub const SAGEMAKER_EVENT_SOURCE: &str = "sagemaker.amazonaws.com";

/// Event source of Application Auto Scaling (scalable targets and policies of variants).
pub const AUTOSCALING_EVENT_SOURCE: &str = "application-autoscaling.amazonaws.com";

/// Largest page `LookupEvents` returns.
pub const MAX_EVENTS_PER_PAGE: usize = 50;

/// One CloudTrail event, already picked apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailEvent {
    pub id: String,
    pub time: Timestamp,
    /// e.g. `UpdateEndpointWeightsAndCapacities`.
    pub name: String,
    /// User name, role session (`role/session`) or service principal.
    pub principal: String,
    pub source_ip: Option<String>,
    /// Resource names the event touched (endpoint names, config names, ARNs).
    pub resources: Vec<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// CloudTrail's `readOnly` flag (Describe/List calls).
    pub read_only: bool,
    /// The whole `CloudTrailEvent` JSON document.
    pub raw: String,
}

impl TrailEvent {
    /// Whether the event names `endpoint` among its resources.
    pub fn touches(&self, endpoint: &str) -> bool {
        self.resources
            .iter()
            .any(|r| r == endpoint || r.ends_with(&format!("/{endpoint}")))
    }
}

/// One `LookupEvents` request (EventSource = sagemaker.amazonaws.com, newest first).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventQuery {
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    /// Restrict to one resource name (CloudTrail allows one lookup attribute per call).
    pub resource: Option<String>,
    pub next_token: Option<String>,
    /// 1..=50; larger values are clamped.
    pub max_results: usize,
    /// Writes only: without `resource`, CloudTrail's `ReadOnly=false` lookup (writes of every
    /// service, filtered to SageMaker's and its autoscaling's); with `resource`, reads are
    /// dropped from the page.
    #[serde(default)]
    pub writes_only: bool,
}

/// One page of events, newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventPage {
    pub events: Vec<TrailEvent>,
    pub next_token: Option<String>,
    /// Oldest event time on the page as CloudTrail sent it, before events of other services
    /// were filtered out: how far back the lookup has got.
    #[serde(default)]
    pub reached: Option<Timestamp>,
}
