//! CloudTrail: the bounded event store, realistic event documents, background read noise
//! and `LookupEvents` paging (newest first, opaque tokens).

use std::collections::VecDeque;

use rand::Rng;
use serde_json::{Value, json};

use super::ids::{self, ACCOUNT, REGION, chacha, tag};
use super::world::World;
use crate::boundary::{BackendError, BackendResult, Operation};
use crate::domain::*;

/// Who made a call.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub role: &'static str,
    pub session: &'static str,
    pub ip: &'static str,
    pub agent: &'static str,
    /// Calls made by an AWS service on the account's behalf.
    pub service: Option<&'static str>,
}

const CLI: &str = "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off";
const BOTO: &str = "Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.144";
const GO: &str = "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/sagemaker#1.150.0";
const AAS: &str = "application-autoscaling.amazonaws.com";

impl Caller {
    /// The person at the keyboard of sagetop.
    pub(crate) fn operator() -> Caller {
        Caller {
            role: "OnCallEngineer",
            session: "you",
            ip: "192.0.2.10",
            agent: "sagetop/0.1.0 aws-sdk-rust/1.3.9 os/linux lang/rust/1.88.0",
            service: None,
        }
    }
    pub(crate) fn autoscaling() -> Caller {
        Caller {
            role: "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
            session: "AutoScaling-UpdateEndpoint",
            ip: AAS,
            agent: AAS,
            service: Some(AAS),
        }
    }
    pub(crate) fn ci() -> Caller {
        Caller {
            role: "ci-deploy",
            session: "github-actions",
            ip: "140.82.112.21",
            agent: BOTO,
            service: None,
        }
    }
    pub(crate) fn admin() -> Caller {
        Caller {
            role: "MLPlatformAdmin",
            session: "dana.kim",
            ip: "198.51.100.12",
            agent: CLI,
            service: None,
        }
    }
    fn readers() -> [Caller; 5] {
        [
            Caller {
                role: "grafana-cloudwatch-reader",
                session: "grafana-7f3c2a",
                ip: "34.228.19.101",
                agent: GO,
                service: None,
            },
            Caller {
                role: "DataScientist",
                session: "maria.garcia",
                ip: "203.0.113.24",
                agent: CLI,
                service: None,
            },
            Caller::ci(),
            Caller {
                role: "AWSReservedSSO_ReadOnlyAccess_5c1e3f0a9b2d7e44",
                session: "sam.oduya",
                ip: "198.51.100.77",
                agent: "AWS Internal",
                service: None,
            },
            Caller::admin(),
        ]
    }

    pub(crate) fn arn(&self) -> String {
        format!(
            "arn:aws:sts::{ACCOUNT}:assumed-role/{}/{}",
            self.role, self.session
        )
    }

    /// What `TrailEvent.principal` shows.
    pub(crate) fn principal(&self) -> String {
        match self.service {
            Some(s) => s.to_string(),
            None => format!("{}/{}", self.role, self.session),
        }
    }

    fn identity(&self, seed: u64, time_ms: i64) -> Value {
        let role_id = format!("AROA{}", ids::hex_upper(&[ids::hash_str(self.role)], 16));
        let session_start = time_ms - time_ms.rem_euclid(3_600_000);
        let mut v = json!({
            "type": "AssumedRole",
            "principalId": format!("{role_id}:{}", self.session),
            "arn": self.arn(),
            "accountId": ACCOUNT,
            "accessKeyId": format!("ASIA{}", ids::hex_upper(&[seed, ids::hash_str(self.session), session_start as u64], 16)),
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": format!("arn:aws:iam::{ACCOUNT}:role/{}", self.role),
                    "accountId": ACCOUNT,
                    "userName": self.role
                },
                "attributes": { "creationDate": ids::iso(session_start), "mfaAuthenticated": "false" }
            }
        });
        if let (Some(s), Some(obj)) = (self.service, v.as_object_mut()) {
            obj.insert("invokedBy".into(), json!(s));
        }
        v
    }
}

/// One event to record.
pub(crate) struct Call<'a> {
    pub time_ms: i64,
    pub caller: &'a Caller,
    pub name: &'a str,
    pub read_only: bool,
    pub resources: Vec<String>,
    pub request: Value,
    pub response: Value,
    pub error: Option<(&'a str, &'a str)>,
    pub request_id: Option<&'a str>,
    pub salt: u64,
}

pub(crate) fn event(seed: u64, c: Call<'_>) -> TrailEvent {
    let time_s = c.time_ms.div_euclid(1000) * 1000;
    let parts = [
        seed,
        tag::ID,
        c.time_ms as u64,
        ids::hash_str(c.name),
        c.salt,
    ];
    let event_id = ids::uuid(&parts);
    let request_id = c.request_id.map_or_else(
        || ids::uuid(&[parts[0], parts[1], parts[2], parts[3], parts[4], 1]),
        str::to_string,
    );
    let mut doc = json!({
        "eventVersion": "1.09",
        "userIdentity": c.caller.identity(seed, c.time_ms),
        "eventTime": ids::iso(time_s),
        "eventSource": SAGEMAKER_EVENT_SOURCE,
        "eventName": c.name,
        "awsRegion": REGION,
        "sourceIPAddress": c.caller.ip,
        "userAgent": c.caller.agent,
        "requestParameters": c.request,
        "responseElements": if c.error.is_some() { Value::Null } else { c.response },
        "requestID": request_id,
        "eventID": event_id,
        "readOnly": c.read_only,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": format!("api.sagemaker.{REGION}.amazonaws.com")
        }
    });
    if let (Some((code, msg)), Some(obj)) = (c.error, doc.as_object_mut()) {
        obj.insert("errorCode".into(), json!(code));
        obj.insert("errorMessage".into(), json!(msg));
    }
    TrailEvent {
        id: event_id,
        time: ids::from_ms(time_s),
        name: c.name.to_string(),
        principal: c.caller.principal(),
        source_ip: Some(c.caller.ip.to_string()),
        resources: c.resources,
        error_code: c.error.map(|e| e.0.to_string()),
        error_message: c.error.map(|e| e.1.to_string()),
        read_only: c.read_only,
        raw: doc.to_string(),
    }
}

/// An `UpdateEndpointWeightsAndCapacities` event (accepted or refused).
#[allow(clippy::too_many_arguments)]
pub(crate) fn update_event(
    seed: u64,
    time_ms: i64,
    caller: &Caller,
    endpoint: &str,
    arn: &str,
    changes: &[VariantChange],
    request_id: &str,
    error: Option<(&str, &str)>,
) -> TrailEvent {
    let desired: Vec<Value> = changes
        .iter()
        .map(|c| {
            let mut o = json!({ "variantName": c.variant });
            if let Some(obj) = o.as_object_mut() {
                if let Some(w) = c.desired_weight.filter(|w| w.is_finite()) {
                    obj.insert("desiredWeight".into(), json!(w));
                }
                if let Some(n) = c.desired_instance_count {
                    obj.insert("desiredInstanceCount".into(), json!(n));
                }
            }
            o
        })
        .collect();
    event(
        seed,
        Call {
            time_ms,
            caller,
            name: "UpdateEndpointWeightsAndCapacities",
            read_only: false,
            resources: vec![endpoint.to_string()],
            request: json!({ "endpointName": endpoint, "desiredWeightsAndCapacities": desired }),
            response: json!({ "endpointArn": arn }),
            error,
            request_id: Some(request_id),
            salt: ids::hash_str(request_id),
        },
    )
}

/// Events kept (about 1.5 KB each; the oldest read-only calls are dropped first).
const CAPACITY: usize = 6_000;

#[derive(Debug, Default)]
pub(crate) struct Trail {
    items: VecDeque<(i64, u64, TrailEvent)>,
    seq: u64,
}

impl Trail {
    pub(crate) fn push(&mut self, ev: TrailEvent) {
        let t = ev.time.timestamp();
        self.seq += 1;
        let pos = self.items.partition_point(|(it, _, _)| *it <= t);
        self.items.insert(pos, (t, self.seq, ev));
        while self.items.len() > CAPACITY {
            // Drop the oldest read-only call first, so deploys and scaling stay longer.
            match self
                .items
                .iter()
                .take(1_000)
                .position(|(_, _, e)| e.read_only)
            {
                Some(i) => self.items.remove(i),
                None => self.items.pop_front(),
            };
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// One page, newest first; the token names the last event returned.
    pub(crate) fn lookup(&self, q: &EventQuery) -> BackendResult<EventPage> {
        let max = q.max_results.clamp(1, MAX_EVENTS_PER_PAGE);
        let after = match q.next_token.as_deref() {
            Some(tok) => Some(decode_token(tok).ok_or_else(|| BackendError::Validation {
                operation: Operation::LookupEvents,
                message: "InvalidNextTokenException: Invalid NextToken.".into(),
            })?),
            None => None,
        };
        let mut events = Vec::new();
        let mut last = None;
        let mut more = false;
        for (t, seq, ev) in self.items.iter().rev() {
            if after.is_some_and(|a| (*t, *seq) >= a) {
                continue;
            }
            if q.start.is_some_and(|s| ev.time < s) {
                break;
            }
            if q.end.is_some_and(|e| ev.time > e) {
                continue;
            }
            if q.resource.as_deref().is_some_and(|r| !ev.touches(r)) {
                continue;
            }
            if q.writes_only && ev.read_only {
                continue;
            }
            if events.len() == max {
                more = true;
                break;
            }
            events.push(ev.clone());
            last = Some((*t, *seq));
        }
        let next_token = if more { last.map(encode_token) } else { None };
        let reached = events.last().map(|e: &TrailEvent| e.time);
        Ok(EventPage {
            events,
            next_token,
            reached,
        })
    }
}

impl Trail {
    /// One page for the wire's `LookupEvents`: newest first, events in `[start, end]` that
    /// `keep` accepts, after the `after` cursor; the cursor of the last event when more follow.
    pub(crate) fn page(
        &self,
        start: Option<Timestamp>,
        end: Option<Timestamp>,
        after: Option<(i64, u64)>,
        max: usize,
        keep: impl Fn(&TrailEvent) -> bool,
    ) -> (Vec<TrailEvent>, Option<(i64, u64)>) {
        let mut events = Vec::new();
        let mut last = None;
        for (t, seq, ev) in self.items.iter().rev() {
            if after.is_some_and(|a| (*t, *seq) >= a) {
                continue;
            }
            if start.is_some_and(|s| ev.time < s) {
                break;
            }
            if end.is_some_and(|e| ev.time > e) || !keep(ev) {
                continue;
            }
            if events.len() == max {
                return (events, last);
            }
            events.push(ev.clone());
            last = Some((*t, *seq));
        }
        (events, None)
    }
}

/// The cursor of a page, as text (inside the wire's NextToken).
pub(crate) fn cursor_text(c: (i64, u64)) -> String {
    encode_token(c)
}

/// The cursor back from [`cursor_text`]; `None` for anything else.
pub(crate) fn parse_cursor(s: &str) -> Option<(i64, u64)> {
    decode_token(s)
}

const K1: u64 = 0x5a17_c0de_9e37_79b9;
const K2: u64 = 0x0ddb_a11c_afe5_7a3e;

fn encode_token((t, seq): (i64, u64)) -> String {
    format!("{:016x}{:016x}", (t as u64) ^ K1, seq ^ K2)
}

fn decode_token(s: &str) -> Option<(i64, u64)> {
    if s.len() != 32 || !s.is_ascii() {
        return None;
    }
    let t = u64::from_str_radix(&s[..16], 16).ok()? ^ K1;
    let seq = u64::from_str_radix(&s[16..], 16).ok()? ^ K2;
    Some((t as i64, seq))
}

/// Read-only calls other people and tools make during minute `m` (0–3 per minute).
pub(crate) fn background_minute(w: &mut World, m: i64) {
    let seed = w.seed;
    let mut r = chacha(&[seed, tag::NOISE, m as u64]);
    let u: f64 = r.random();
    let n = if u < 0.55 {
        0
    } else if u < 0.85 {
        1
    } else if u < 0.97 {
        2
    } else {
        3
    };
    let readers = Caller::readers();
    for i in 0..n {
        let time_ms = m * ids::MINUTE_MS + r.random_range(0..ids::MINUTE_MS);
        let caller = &readers[r.random_range(0..readers.len())];
        let kind: f64 = r.random();
        let std_only = r.random_bool(0.8);
        let pick: f64 = r.random();
        let throttled = caller.role == "grafana-cloudwatch-reader" && r.random_bool(0.05);
        let eligible = |e: &&super::world::EndpointState| {
            e.creation_ms <= time_ms && (!std_only || e.idx < w.std_count)
        };
        let count = w.endpoints.values().filter(eligible).count();
        let target = w
            .endpoints
            .values()
            .filter(eligible)
            .nth((pick * count as f64) as usize);
        let error = throttled.then_some(("ThrottlingException", "Rate exceeded"));
        let (name, resources, request) = match target {
            Some(ep) if kind < 0.55 => (
                "DescribeEndpoint",
                vec![ep.name.clone()],
                json!({ "endpointName": ep.name }),
            ),
            Some(ep) if kind < 0.7 => (
                "DescribeEndpointConfig",
                vec![ep.config_name.clone(), ep.name.clone()],
                json!({ "endpointConfigName": ep.config_name }),
            ),
            _ => (
                "ListEndpoints",
                vec![],
                json!({ "sortBy": "Name", "sortOrder": "Ascending", "maxResults": 100 }),
            ),
        };
        let ev = event(
            seed,
            Call {
                time_ms,
                caller,
                name,
                read_only: true,
                resources,
                request,
                response: Value::Null,
                error,
                request_id: None,
                salt: (m as u64).wrapping_mul(8).wrapping_add(i),
            },
        );
        w.trail.push(ev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let t = encode_token((1_772_460_000, 42));
        assert_eq!(decode_token(&t), Some((1_772_460_000, 42)));
        assert_eq!(decode_token("nope"), None);
        assert_eq!(decode_token("ééééééééééééééééé"), None);
    }
}
