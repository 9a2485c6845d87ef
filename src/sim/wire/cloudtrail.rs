//! Owns CloudTrail `LookupEvents` on the wire (awsJson1_1): the account's management events,
//! newest first, filtered by time and by one lookup attribute, in pages of at most 50 whose
//! NextToken is bound to the request's parameters.
//! <https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html>

use serde_json::{Value, json};

use super::model::Svc;
use super::protocol::WireError;
use super::{bad_token, ms_of, secs, token};
use crate::domain::*;
use crate::sim::SimAccount;
use crate::sim::ids;
use crate::sim::trail;

fn err(code: &str, message: &str) -> WireError {
    WireError::new(400, code, message)
}

pub(super) fn call(sim: &SimAccount, op: &str, input: &Value) -> Result<Value, WireError> {
    if op != "LookupEvents" {
        return Err(err("UnknownOperationException", op));
    }
    let attrs = input
        .get("LookupAttributes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // "You can specify only one lookup attribute" (API reference, LookupAttributes).
    if attrs.len() > 1 {
        return Err(err(
            "InvalidLookupAttributesException",
            "You can only specify one lookup attribute.",
        ));
    }
    let attr = attrs.first().map(|a| {
        (
            a.get("AttributeKey")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            a.get("AttributeValue")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        )
    });
    let start = ms_of(input.get("StartTime"));
    let end = ms_of(input.get("EndTime"));
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(err(
            "InvalidTimeRangeException",
            "Start time must be before end time.",
        ));
    }
    if input.get("EventCategory").and_then(Value::as_str) == Some("insight") {
        return Ok(json!({ "Events": [] }));
    }
    let max = input
        .get("MaxResults")
        .and_then(Value::as_u64)
        .unwrap_or(50)
        .clamp(1, 50) as usize;
    let after = match token::cursor(input).map_err(|_| bad_token(Svc::CloudTrail))? {
        None => None,
        Some(c) => Some(trail::parse_cursor(&c).ok_or_else(|| bad_token(Svc::CloudTrail))?),
    };
    let w = sim.world();
    let keep = |ev: &TrailEvent| match &attr {
        None => true,
        Some((k, v)) => matches(ev, k, v),
    };
    let (events, last) = w.trail.page(
        start.map(ids::from_ms),
        end.map(ids::from_ms),
        after,
        max,
        keep,
    );
    let events: Vec<Value> = events.iter().map(wire_event).collect();
    let mut out = json!({ "Events": events });
    if let Some(c) = last {
        out["NextToken"] = json!(token::encode(&trail::cursor_text(c), input));
    }
    Ok(out)
}

fn doc_str<'a>(doc: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = doc;
    for p in path {
        cur = cur.get(*p)?;
    }
    cur.as_str()
}

/// CloudTrail's `Username`: the IAM user, the role session name, or the calling service.
fn username(doc: &Value) -> Option<String> {
    if let Some(s) = doc_str(doc, &["userIdentity", "invokedBy"]) {
        return Some(s.to_string());
    }
    let arn = doc_str(doc, &["userIdentity", "arn"])?;
    arn.rsplit('/').next().map(str::to_string)
}

fn matches(ev: &TrailEvent, key: &str, value: &str) -> bool {
    let doc: Value = serde_json::from_str(&ev.raw).unwrap_or(Value::Null);
    match key {
        "EventId" => ev.id == value,
        "EventName" => ev.name == value,
        "ReadOnly" => ev.read_only.to_string() == value.to_ascii_lowercase(),
        "Username" => username(&doc).as_deref() == Some(value),
        "ResourceType" => value == "AWS::SageMaker::Endpoint" && !ev.resources.is_empty(),
        "ResourceName" => ev.touches(value),
        "EventSource" => doc_str(&doc, &["eventSource"]) == Some(value),
        "AccessKeyId" => doc_str(&doc, &["userIdentity", "accessKeyId"]) == Some(value),
        _ => false,
    }
}

/// One `Event` of the response.
fn wire_event(ev: &TrailEvent) -> Value {
    let doc: Value = serde_json::from_str(&ev.raw).unwrap_or(Value::Null);
    let resources: Vec<Value> = ev
        .resources
        .iter()
        .map(|r| json!({ "ResourceType": "AWS::SageMaker::Endpoint", "ResourceName": r }))
        .collect();
    let mut o = json!({
        "EventId": ev.id,
        "EventName": ev.name,
        "ReadOnly": ev.read_only.to_string(),
        "EventTime": secs(ev.time.timestamp_millis()),
        "EventSource": doc_str(&doc, &["eventSource"]).unwrap_or(SAGEMAKER_EVENT_SOURCE),
        "Resources": resources,
        "CloudTrailEvent": ev.raw,
    });
    if let Some(k) = doc_str(&doc, &["userIdentity", "accessKeyId"]) {
        o["AccessKeyId"] = json!(k);
    }
    if let Some(u) = username(&doc) {
        o["Username"] = json!(u);
    }
    o
}
