//! Owns CloudTrail `LookupEvents` for SageMaker management events: pages of up to 50, every
//! call behind the shared 2-calls-a-second limiter, and the parsing of each `CloudTrailEvent`
//! JSON document into principal, source IP, resources, error and read-only flag.

use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use serde_json::Value;

use super::{AwsBackend, from_time, to_time};
use crate::boundary::{BackendError, BackendResult, Operation};
use crate::domain::*;

/// Request parameters that name a SageMaker resource.
const RESOURCE_PARAMETERS: &[&str] = &["endpointName", "endpointConfigName", "modelName"];

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    cur.as_str().filter(|s| !s.is_empty())
}

/// "arn:aws:sts::123456789012:assumed-role/Deployer/alice" → "Deployer/alice".
fn assumed_role_session(arn: &str) -> Option<String> {
    let rest = arn.split_once(":assumed-role/")?.1;
    Some(rest.to_string())
}

/// Who made the call: a user name, `role/session` for an assumed role, or the AWS service.
fn principal(doc: &Value) -> Option<String> {
    let ui = doc.get("userIdentity")?;
    let kind = str_at(ui, &["type"]).unwrap_or_default();
    let arn = str_at(ui, &["arn"]);
    let found = match kind {
        "IAMUser" => str_at(ui, &["userName"]).map(str::to_string),
        // An AWS service acting through its service-linked role (Application Auto Scaling
        // changing a variant's capacity: AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint,
        // invokedBy application-autoscaling.amazonaws.com) is that service, not a person.
        // https://docs.aws.amazon.com/autoscaling/application/userguide/logging-cloudtrail.html
        "AssumedRole"
            if str_at(ui, &["invokedBy"]).is_some()
                && arn
                    .and_then(assumed_role_session)
                    .is_some_and(|s| s.starts_with("AWSServiceRoleFor")) =>
        {
            str_at(ui, &["invokedBy"]).map(str::to_string)
        }
        "AssumedRole" => {
            let session = arn.and_then(assumed_role_session);
            let role = str_at(ui, &["sessionContext", "sessionIssuer", "userName"]);
            match (role, session) {
                (Some(role), Some(s)) => {
                    let session_name = s.rsplit('/').next().unwrap_or_default().to_string();
                    Some(format!("{role}/{session_name}"))
                }
                (None, Some(s)) => Some(s),
                (Some(role), None) => Some(role.to_string()),
                (None, None) => None,
            }
        }
        "AWSService" => str_at(ui, &["invokedBy"]).map(str::to_string),
        "Root" => Some("root".to_string()),
        "FederatedUser" => str_at(ui, &["sessionContext", "sessionIssuer", "userName"])
            .map(str::to_string)
            .or_else(|| arn.and_then(|a| a.rsplit('/').next()).map(str::to_string)),
        _ => None,
    };
    found
        .or_else(|| str_at(ui, &["userName"]).map(str::to_string))
        .or_else(|| str_at(ui, &["invokedBy"]).map(str::to_string))
        .or_else(|| str_at(ui, &["principalId"]).map(str::to_string))
}

fn push_unique(out: &mut Vec<String>, s: &str) {
    if !s.is_empty() && !out.iter().any(|r| r == s) {
        out.push(s.to_string());
    }
}

/// Parses one `CloudTrailEvent` JSON document. `None` when it is not JSON at all.
pub fn parse_cloudtrail_event(raw: &str) -> Option<TrailEvent> {
    let doc: Value = serde_json::from_str(raw).ok()?;
    let time = str_at(&doc, &["eventTime"])
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default();
    let mut resources = Vec::new();
    if let Some(list) = doc.get("resources").and_then(Value::as_array) {
        for r in list {
            if let Some(arn) = str_at(r, &["ARN"]) {
                push_unique(&mut resources, arn);
            }
        }
    }
    for key in RESOURCE_PARAMETERS {
        if let Some(name) = str_at(&doc, &["requestParameters", key]) {
            push_unique(&mut resources, name);
        }
    }
    // Application Auto Scaling names a variant "endpoint/<endpoint>/variant/<variant>".
    if let Some(id) = str_at(&doc, &["requestParameters", "resourceId"])
        && let Some(endpoint) = id
            .strip_prefix("endpoint/")
            .and_then(|r| r.split('/').next())
    {
        push_unique(&mut resources, endpoint);
    }
    let read_only = match doc.get("readOnly") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    Some(TrailEvent {
        id: str_at(&doc, &["eventID"]).unwrap_or_default().to_string(),
        time,
        name: str_at(&doc, &["eventName"]).unwrap_or_default().to_string(),
        principal: principal(&doc).unwrap_or_else(|| "unknown".into()),
        source_ip: str_at(&doc, &["sourceIPAddress"]).map(str::to_string),
        resources,
        error_code: str_at(&doc, &["errorCode"]).map(str::to_string),
        error_message: str_at(&doc, &["errorMessage"]).map(str::to_string),
        read_only,
        raw: raw.to_string(),
    })
}

/// Our event from the SDK's, the JSON document first and the summary fields as fallback.
fn trail_event(e: &aws_sdk_cloudtrail::types::Event) -> TrailEvent {
    let raw = e.cloud_trail_event().unwrap_or_default();
    let mut ev = parse_cloudtrail_event(raw).unwrap_or_else(|| TrailEvent {
        id: String::new(),
        time: Timestamp::default(),
        name: String::new(),
        principal: "unknown".into(),
        source_ip: None,
        resources: Vec::new(),
        error_code: None,
        error_message: None,
        read_only: false,
        raw: raw.to_string(),
    });
    if let Some(id) = e.event_id() {
        ev.id = id.to_string();
    }
    if let Some(t) = e.event_time() {
        ev.time = to_time(t);
    }
    if let Some(n) = e.event_name() {
        ev.name = n.to_string();
    }
    if ev.principal == "unknown"
        && let Some(u) = e.username()
    {
        ev.principal = u.to_string();
    }
    if let Some(r) = e.read_only() {
        ev.read_only = r.eq_ignore_ascii_case("true");
    }
    for r in e.resources() {
        if let Some(n) = r.resource_name() {
            push_unique(&mut ev.resources, n);
        }
    }
    ev
}

/// Whether an event of a `ReadOnly=false` lookup (writes of every service) is about SageMaker
/// endpoints: SageMaker's own, or Application Auto Scaling's on the `sagemaker` namespace.
fn is_sagemaker_write(e: &aws_sdk_cloudtrail::types::Event) -> bool {
    match e.event_source() {
        Some(SAGEMAKER_EVENT_SOURCE) => true,
        Some(AUTOSCALING_EVENT_SOURCE) => e
            .cloud_trail_event()
            .and_then(|raw| serde_json::from_str::<Value>(raw).ok())
            .is_some_and(|doc| {
                str_at(&doc, &["requestParameters", "serviceNamespace"]) == Some("sagemaker")
            }),
        _ => false,
    }
}

impl AwsBackend {
    /// One page. CloudTrail takes one lookup attribute per call: ResourceName for one endpoint;
    /// `ReadOnly=false` for writes of the whole account (an EventSource lookup is mostly reads,
    /// sagetop's own DescribeEndpoint polling included, so other people's writes fall off its
    /// newest pages); EventSource=sagemaker.amazonaws.com when reads are wanted too.
    /// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
    /// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupAttribute.html
    pub(crate) async fn lookup_events_impl(&self, q: &EventQuery) -> BackendResult<EventPage> {
        let op = Operation::LookupEvents;
        let (key, value) = match &q.resource {
            Some(r) => (LookupAttributeKey::ResourceName, r.as_str()),
            None if q.writes_only => (LookupAttributeKey::ReadOnly, "false"),
            None => (LookupAttributeKey::EventSource, SAGEMAKER_EVENT_SOURCE),
        };
        let attribute = LookupAttribute::builder()
            .attribute_key(key)
            .attribute_value(value)
            .build()
            .map_err(|e| BackendError::Validation {
                operation: op,
                message: e.to_string(),
            })?;
        let max = if q.max_results == 0 {
            MAX_EVENTS_PER_PAGE
        } else {
            q.max_results.min(MAX_EVENTS_PER_PAGE)
        };
        let req = self
            .clients
            .cloudtrail
            .lookup_events()
            .lookup_attributes(attribute)
            .max_results(max as i32)
            .set_start_time(q.start.map(from_time))
            .set_end_time(q.end.map(from_time))
            .set_next_token(q.next_token.clone());
        self.shared.limiter.acquire().await;
        let out = self.call(op, q.resource.as_deref(), req.send()).await?;
        let account_writes = q.resource.is_none() && q.writes_only;
        let mut events: Vec<TrailEvent> = out
            .events()
            .iter()
            .filter(|e| {
                if account_writes {
                    is_sagemaker_write(e)
                } else {
                    e.event_source().is_none_or(|s| s == SAGEMAKER_EVENT_SOURCE)
                }
            })
            .map(trail_event)
            .filter(|e| !(q.writes_only && e.read_only))
            .collect();
        events.sort_by_key(|e| std::cmp::Reverse(e.time));
        Ok(EventPage {
            events,
            next_token: out
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            reached: out
                .events()
                .iter()
                .filter_map(|e| e.event_time())
                .map(to_time)
                .min(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assumed_role_principal_is_role_slash_session() {
        let raw = r#"{"eventVersion":"1.09","eventTime":"2026-03-02T10:15:00Z","eventName":"UpdateEndpointWeightsAndCapacities",
            "eventID":"e1","readOnly":false,"sourceIPAddress":"10.0.3.7",
            "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/Deployer/alice",
              "sessionContext":{"sessionIssuer":{"type":"Role","userName":"Deployer"}}},
            "requestParameters":{"endpointName":"fraud-xgb"},
            "errorCode":"ValidationException","errorMessage":"bad"}"#;
        let e = parse_cloudtrail_event(raw).unwrap();
        assert_eq!(e.principal, "Deployer/alice");
        assert_eq!(e.source_ip.as_deref(), Some("10.0.3.7"));
        assert_eq!(e.resources, vec!["fraud-xgb".to_string()]);
        assert_eq!(e.error_code.as_deref(), Some("ValidationException"));
        assert!(!e.read_only);
        assert_eq!(e.time.to_rfc3339(), "2026-03-02T10:15:00+00:00");
    }

    #[test]
    fn autoscaling_through_its_service_linked_role_is_autoscaling() {
        let raw = r#"{"eventTime":"2026-03-02T10:15:00Z","eventName":"UpdateEndpointWeightsAndCapacities",
            "eventSource":"sagemaker.amazonaws.com","readOnly":false,
            "userIdentity":{"type":"AssumedRole","invokedBy":"application-autoscaling.amazonaws.com",
              "arn":"arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint/AutoScaling",
              "sessionContext":{"sessionIssuer":{"type":"Role","userName":"AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"}}},
            "requestParameters":{"endpointName":"fraud"}}"#;
        let e = parse_cloudtrail_event(raw).unwrap();
        assert_eq!(e.principal, "application-autoscaling.amazonaws.com");
        // A person's role that a service used on their behalf stays the person's.
        let cfn = raw
            .replace(
                "application-autoscaling.amazonaws.com",
                "cloudformation.amazonaws.com",
            )
            .replace(
                "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
                "Deployer",
            );
        assert_eq!(
            parse_cloudtrail_event(&cfn).unwrap().principal,
            "Deployer/AutoScaling"
        );
    }

    #[test]
    fn users_services_and_root() {
        let p = |ui: &str| {
            parse_cloudtrail_event(&format!(r#"{{"userIdentity":{ui}}}"#))
                .unwrap()
                .principal
        };
        assert_eq!(p(r#"{"type":"IAMUser","userName":"bob"}"#), "bob");
        assert_eq!(
            p(r#"{"type":"AWSService","invokedBy":"autoscaling.amazonaws.com"}"#),
            "autoscaling.amazonaws.com"
        );
        assert_eq!(p(r#"{"type":"Root","arn":"arn:aws:iam::1:root"}"#), "root");
        assert_eq!(p(r#"{"type":"Strange","principalId":"AIDX"}"#), "AIDX");
        assert!(parse_cloudtrail_event("not json").is_none());
    }
}
