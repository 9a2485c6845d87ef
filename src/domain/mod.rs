//! Domain types sagetop speaks in: ours, serde-serializable, never SDK types.

pub mod autoscaling;
pub mod deployment;
pub mod endpoint;
pub mod events;
pub mod hosting;
pub mod logs;
pub mod metrics;
pub mod quotas;

pub use autoscaling::*;
pub use deployment::*;
pub use endpoint::*;
pub use events::*;
pub use hosting::*;
pub use logs::*;
pub use metrics::*;
pub use quotas::*;

use serde::{Deserialize, Serialize};

/// Point in time used throughout sagetop (UTC).
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// Who the console is talking to, shown in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// 12-digit AWS account id (or the simulated account's id).
    pub account: String,
    /// Caller ARN (user, assumed-role session, …).
    pub arn: String,
    /// Named profile in use, if any.
    pub profile: Option<String>,
    pub region: String,
    /// True on the simulated account.
    pub demo: bool,
}

/// Payload of an `InvokeEndpoint` call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvokeRequest {
    pub endpoint: String,
    pub body: Vec<u8>,
    pub content_type: String,
    pub accept: Option<String>,
    /// Sent as `X-Amzn-SageMaker-Target-Variant` when set.
    pub target_variant: Option<String>,
}

/// Result of an `InvokeEndpoint` call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvokeResponse {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    /// From `x-Amzn-Invoked-Production-Variant`.
    pub invoked_variant: Option<String>,
    /// Client-side round trip.
    #[serde(with = "crate::domain::duration_ms")]
    pub latency: std::time::Duration,
}

/// Acknowledgement of an accepted write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteReceipt {
    pub request_id: String,
    pub at: Timestamp,
}

/// Serializes a `Duration` as fractional milliseconds.
pub mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64() * 1000.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let ms = f64::deserialize(d)?;
        if !ms.is_finite() || ms < 0.0 {
            return Err(serde::de::Error::custom(
                "duration must be a finite, non-negative number of milliseconds",
            ));
        }
        Ok(Duration::from_secs_f64(ms / 1000.0))
    }
}

/// Serializes an optional `Duration` as whole seconds.
pub mod opt_duration_secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_secs))
    }
}
