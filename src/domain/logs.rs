//! Owns the endpoint log types: the CloudWatch Logs group of an endpoint, its streams (one per
//! variant and instance), the events read from them, and the query the logs view sends.
//!
//! SageMaker writes an endpoint's container logs to the group `/aws/sagemaker/Endpoints/NAME`,
//! one stream per instance named `VARIANT/INSTANCE-ID`:
//! <https://docs.aws.amazon.com/sagemaker/latest/dg/logging-cloudwatch.html>

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// The log group SageMaker writes an endpoint's container logs to.
pub fn endpoint_log_group(endpoint: &str) -> String {
    format!("/aws/sagemaker/Endpoints/{endpoint}")
}

/// Variant and instance of a stream named `VARIANT/INSTANCE-ID` (the whole name is the
/// instance when it has no `/`).
pub fn split_stream_name(name: &str) -> (String, String) {
    match name.split_once('/') {
        Some((v, i)) => (v.to_string(), i.to_string()),
        None => (String::new(), name.to_string()),
    }
}

/// One log stream of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogStream {
    pub name: String,
    pub variant: String,
    pub instance: String,
    /// Time of the newest event written to it (CloudWatch updates it within an hour).
    pub last_event: Option<Timestamp>,
}

impl LogStream {
    pub fn new(name: &str, last_event: Option<Timestamp>) -> LogStream {
        let (variant, instance) = split_stream_name(name);
        LogStream {
            name: name.to_string(),
            variant,
            instance,
            last_event,
        }
    }
}

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEvent {
    pub time: Timestamp,
    pub stream: String,
    pub variant: String,
    pub instance: String,
    pub message: String,
    /// CloudWatch's event id (unique within the group; used to drop events read twice).
    pub id: String,
}

impl LogEvent {
    pub fn new(time: Timestamp, stream: &str, message: &str, id: &str) -> LogEvent {
        let (variant, instance) = split_stream_name(stream);
        LogEvent {
            time,
            stream: stream.to_string(),
            variant,
            instance,
            message: message.trim_end_matches(['\n', '\r']).to_string(),
            id: id.to_string(),
        }
    }
}

/// Which streams a read covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum StreamChoice {
    /// Every stream of the group.
    #[default]
    All,
    /// The streams of one variant (`logStreamNamePrefix = VARIANT/`).
    Variant(String),
    /// One instance's stream (`logStreamNames = [name]`).
    Stream(String),
}

impl StreamChoice {
    /// Short label for the view's title.
    pub fn label(&self) -> String {
        match self {
            StreamChoice::All => "all streams".into(),
            StreamChoice::Variant(v) => format!("variant {v}"),
            StreamChoice::Stream(s) => {
                let (v, i) = split_stream_name(s);
                format!("instance {i} ({v})")
            }
        }
    }
}

/// A read of an endpoint's log events from `start` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogQuery {
    pub endpoint: String,
    pub streams: StreamChoice,
    /// A CloudWatch Logs filter pattern, applied by the service; `None` reads every event.
    pub filter_pattern: Option<String>,
    /// Events at or after this time.
    pub start: Timestamp,
    /// At most this many events over all pages; the rest is left for the next read.
    pub max_events: usize,
}

/// What a read returned, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPage {
    pub events: Vec<LogEvent>,
    /// More events matched than `max_events` (the next read goes on from the newest one).
    pub truncated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_give_variant_and_instance() {
        assert_eq!(
            split_stream_name("AllTraffic/i-0abc123"),
            ("AllTraffic".to_string(), "i-0abc123".to_string())
        );
        assert_eq!(
            split_stream_name("i-0abc"),
            (String::new(), "i-0abc".to_string())
        );
        assert_eq!(endpoint_log_group("x"), "/aws/sagemaker/Endpoints/x");
        let e = LogEvent::new(chrono::DateTime::UNIX_EPOCH, "A/i-1", "hello\n", "1");
        assert_eq!((e.variant.as_str(), e.instance.as_str()), ("A", "i-1"));
        assert_eq!(e.message, "hello");
    }
}
