//! Owns CloudWatch Logs on the wire (awsJson1_1, `X-Amz-Target: Logs_20140328.*`):
//! `DescribeLogStreams` (pages of at most 50, ordered by name or by last event time) and
//! `FilterLogEvents` (time range, stream names or prefix, filter pattern, `limit`, paged by a
//! `nextToken` bound to the request's other parameters) over the simulated account's
//! endpoint logs.
//! <https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogStreams.html>
//! <https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html>

use serde_json::{Value, json};

use super::protocol::WireError;
use super::token;
use crate::domain::StreamChoice;
use crate::sim::SimAccount;
use crate::sim::logs::{self, LogsError};

const GROUP_PREFIX: &str = "/aws/sagemaker/Endpoints/";

fn invalid(message: impl Into<String>) -> WireError {
    WireError::new(400, "InvalidParameterException", message)
}

fn not_found() -> WireError {
    WireError::new(
        400,
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
}

fn bad_token() -> WireError {
    invalid(
        "The specified nextToken is invalid: it must be passed with the same parameters as the call that returned it.",
    )
}

/// The endpoint a group belongs to: `logGroupName`, or `logGroupIdentifier` (a name or an
/// ARN); exactly one of them ("You must include one of these two parameters, but you can't
/// include both").
fn endpoint_of(input: &Value) -> Result<Option<String>, WireError> {
    let name = input.get("logGroupName").and_then(Value::as_str);
    let ident = input.get("logGroupIdentifier").and_then(Value::as_str);
    let group = match (name, ident) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "LogGroupName and LogGroupIdentifier are mutually exclusive parameters.",
            ));
        }
        (None, None) => {
            return Err(invalid(
                "Either LogGroupName or LogGroupIdentifier is required.",
            ));
        }
        (Some(n), None) => n,
        (None, Some(i)) => i.rsplit(":log-group:").next().unwrap_or(i),
    };
    Ok(group.strip_prefix(GROUP_PREFIX).map(str::to_string))
}

fn map(e: LogsError) -> WireError {
    match e {
        LogsError::NoGroup(_) => not_found(),
        LogsError::Pattern(m) => invalid(m),
    }
}

pub(super) fn call(sim: &SimAccount, op: &str, input: &Value) -> Result<Value, WireError> {
    match op {
        "DescribeLogStreams" => describe_log_streams(sim, input),
        "FilterLogEvents" => filter_log_events(sim, input),
        _ => Err(WireError::new(400, "UnknownOperationException", op)),
    }
}

fn describe_log_streams(sim: &SimAccount, input: &Value) -> Result<Value, WireError> {
    let endpoint = endpoint_of(input)?.ok_or_else(not_found)?;
    let by_time = input.get("orderBy").and_then(Value::as_str) == Some("LastEventTime");
    let prefix = input.get("logStreamNamePrefix").and_then(Value::as_str);
    // "If you order the results by event time, you cannot specify the logStreamNamePrefix
    // parameter."
    if by_time && prefix.is_some() {
        return Err(invalid(
            "Cannot order by LastEventTime with a logStreamNamePrefix.",
        ));
    }
    let descending = input
        .get("descending")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let limit = input.get("limit").and_then(Value::as_u64).unwrap_or(50) as usize;
    let w = sim.world();
    let ep = w
        .endpoints
        .get(&endpoint)
        .filter(|ep| logs::group_exists(&w, ep))
        .ok_or_else(not_found)?;
    let mut streams = logs::streams(&w, ep);
    streams.retain(|(n, _)| prefix.is_none_or(|p| n.starts_with(p)));
    if by_time {
        streams.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    } else {
        streams.sort_by(|a, b| a.0.cmp(&b.0));
    }
    if descending {
        streams.reverse();
    }
    let (page, next) = token::page(streams, &token_input(input), limit).map_err(|_| bad_token())?;
    let region = crate::sim::ids::REGION;
    let account = crate::sim::ids::ACCOUNT;
    let group = format!("{GROUP_PREFIX}{endpoint}");
    let items: Vec<Value> = page
        .iter()
        .map(|(name, last)| {
            let mut o = json!({
                "logStreamName": name,
                "creationTime": ep.creation_ms,
                "arn": format!("arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{name}"),
                "storedBytes": 0,
            });
            if let Some(t) = last {
                o["lastEventTimestamp"] = json!(t);
                o["lastIngestionTime"] = json!(t + 200);
            }
            o
        })
        .collect();
    let mut out = json!({ "logStreams": items });
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

/// The request with `nextToken` renamed to what `token::page` reads.
fn token_input(input: &Value) -> Value {
    let mut v = input.clone();
    if let Some(t) = v.get("nextToken").cloned()
        && let Some(o) = v.as_object_mut()
    {
        o.remove("nextToken");
        o.insert("NextToken".into(), t);
    }
    v
}

fn filter_log_events(sim: &SimAccount, input: &Value) -> Result<Value, WireError> {
    let endpoint = endpoint_of(input)?.ok_or_else(not_found)?;
    let names: Option<Vec<String>> =
        input
            .get("logStreamNames")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            });
    let prefix = input.get("logStreamNamePrefix").and_then(Value::as_str);
    // "If you specify a value for both logStreamNamePrefix and logStreamNames, the action
    // returns an InvalidParameterException error."
    if names.is_some() && prefix.is_some() {
        return Err(invalid(
            "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.",
        ));
    }
    let start = input.get("startTime").and_then(Value::as_i64).unwrap_or(0);
    let end = input
        .get("endTime")
        .and_then(Value::as_i64)
        .unwrap_or(i64::MAX);
    if start > end {
        return Err(invalid("startTime must be less than or equal to endTime."));
    }
    let limit = input.get("limit").and_then(Value::as_u64).unwrap_or(10_000) as usize;
    let pattern = input.get("filterPattern").and_then(Value::as_str);
    let after = match input.get("nextToken").and_then(Value::as_str) {
        None => None,
        Some(t) => {
            let c = token::decode(t, input).ok_or_else(bad_token)?;
            let (ms, id) = c.split_once('|').ok_or_else(bad_token)?;
            Some((ms.parse::<i64>().map_err(|_| bad_token())?, id.to_string()))
        }
    };
    let w = sim.world();
    let mut lines =
        logs::select(&w, &endpoint, &StreamChoice::All, pattern, start, end).map_err(map)?;
    lines.retain(|l| match (&names, prefix) {
        (Some(n), _) => n.contains(&l.stream),
        (None, Some(p)) => l.stream.starts_with(p),
        (None, None) => true,
    });
    if let Some((ms, id)) = &after {
        lines.retain(|l| (l.ms, &l.id) > (*ms, id));
    }
    let more = lines.len() > limit;
    lines.truncate(limit);
    let events: Vec<Value> = lines
        .iter()
        .map(|l| {
            json!({
                "logStreamName": l.stream,
                "timestamp": l.ms,
                "message": l.message,
                "ingestionTime": l.ms + 200,
                "eventId": l.id,
            })
        })
        .collect();
    let mut out = json!({ "events": events });
    if more && let Some(last) = lines.last() {
        out["nextToken"] = json!(token::encode(&format!("{}|{}", last.ms, last.id), input));
    }
    Ok(out)
}
