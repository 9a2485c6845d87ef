//! Owns the `--demo-faults` grammar: `FaultSpec::parse` turns `throttle=0.3,deny=cloudtrail,…`
//! into typed rules, and says exactly what is wrong with a bad spec.
//!
//! ```text
//! SPEC    = FAULT *("," FAULT)
//! FAULT   = "throttle=" P [":" TARGETS] [WINDOW]       calls fail: ThrottlingException, Rate exceeded
//!         | "timeout=" P [":" TARGETS] [WINDOW]        calls get no response (stall, then timeout)
//!         | "deny=" TARGETS [WINDOW]                   AccessDeniedException naming the IAM action
//!         | "latency=" DUR [".." DUR] [":" TARGETS] [WINDOW]   every call takes this long first
//!         | "expire-credentials-after=" DUR [".." DUR] ExpiredTokenException from then (until)
//!         | "lost-write-response=" P [WINDOW]          a write applies, its response is lost
//!         | "lost-write-request=" P [WINDOW]           a write never arrives, no response
//!         | "invoke-5xx=" P [WINDOW]                   InvokeEndpoint answers InternalFailure (500)
//!         | "delete-endpoint=" NAME "@" DUR            someone deletes NAME at that time
//!         | "alarm=" ALARM [":" STATE] "@" DUR          a CloudWatch alarm goes to STATE then
//!         | "panic-after=" DUR                         sagetop panics (terminal-safety tests)
//! P       = a number in [0, 1] or a percentage: 0.3, 30%
//! DUR     = sagetop's duration grammar (crate::units): 250ms, 2s, 1.5m, 1m30s, 1h; a bare
//!           number is seconds; at most 30 days
//! STATE   = "ALARM" (the default) | "OK" | "INSUFFICIENT_DATA"; ALARM is an alarm name
//! TARGETS = NAME *("+" NAME); a service (sagemaker, sagemaker-runtime, autoscaling, cloudwatch,
//!           cloudtrail, quotas, sts), an operation (DescribeEndpoint), or an IAM action
//!           (cloudtrail:LookupEvents, in deny only)
//! WINDOW  = "@" [DUR] ".." [DUR]   time since start on the demo clock (simulated time)
//! ```

use std::time::Duration;

use crate::boundary::{Operation, Service};

/// Every operation the boundary performs (for target names).
pub const OPERATIONS: [Operation; 15] = [
    Operation::GetCallerIdentity,
    Operation::ListEndpoints,
    Operation::DescribeEndpoint,
    Operation::DescribeEndpointConfig,
    Operation::DescribeScalableTargets,
    Operation::DescribeScalingPolicies,
    Operation::DescribeScalingActivities,
    Operation::GetMetricData,
    Operation::LookupEvents,
    Operation::ListServiceQuotas,
    Operation::UpdateEndpointWeightsAndCapacities,
    Operation::RegisterScalableTarget,
    Operation::InvokeEndpoint,
    Operation::DescribeLogStreams,
    Operation::FilterLogEvents,
];

/// Longest duration a spec may name (keeps clock arithmetic far from overflow).
const MAX_DURATION: Duration = Duration::from_secs(30 * 86_400);

const KEYS: &str = "throttle, timeout, deny, latency, expire-credentials-after, \
                    lost-write-response, lost-write-request, invoke-5xx, delete-endpoint, alarm, \
                    panic-after";

/// A bad `--demo-faults` spec: which item, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", item.as_ref().map(|i| format!(" (in `{i}`)")).unwrap_or_default())]
pub struct FaultSpecError {
    pub item: Option<String>,
    pub message: String,
}

fn bad(item: &str, message: impl Into<String>) -> FaultSpecError {
    FaultSpecError {
        item: Some(item.to_string()),
        message: message.into(),
    }
}

/// Which calls a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Service(Service),
    Operation(Operation),
}

impl Target {
    pub fn matches(self, op: Operation) -> bool {
        match self {
            Target::Service(s) => op.service() == s,
            Target::Operation(o) => op == o,
        }
    }
}

/// When a rule is on, as time since start on the demo clock: `[from, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    pub from: Duration,
    pub until: Option<Duration>,
}

impl Window {
    pub fn contains(&self, elapsed: Duration) -> bool {
        elapsed >= self.from && self.until.is_none_or(|u| elapsed < u)
    }
}

/// What a rule does to a call it applies to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultKind {
    Throttle(f64),
    Timeout(f64),
    Deny,
    Latency { min: Duration, max: Duration },
    ExpiredCredentials,
    LostWriteResponse(f64),
    LostWriteRequest(f64),
    Invoke5xx(f64),
}

impl FaultKind {
    /// The key it is written with.
    pub fn key(&self) -> &'static str {
        match self {
            FaultKind::Throttle(_) => "throttle",
            FaultKind::Timeout(_) => "timeout",
            FaultKind::Deny => "deny",
            FaultKind::Latency { .. } => "latency",
            FaultKind::ExpiredCredentials => "expire-credentials-after",
            FaultKind::LostWriteResponse(_) => "lost-write-response",
            FaultKind::LostWriteRequest(_) => "lost-write-request",
            FaultKind::Invoke5xx(_) => "invoke-5xx",
        }
    }
}

/// One fault: what, on which calls (none listed: every call), and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub kind: FaultKind,
    pub targets: Vec<Target>,
    pub window: Window,
}

impl Rule {
    pub fn applies(&self, op: Operation, elapsed: Duration) -> bool {
        (self.targets.is_empty() || self.targets.iter().any(|t| t.matches(op)))
            && self.window.contains(elapsed)
    }
}

/// `delete-endpoint=NAME@DUR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    pub endpoint: String,
    pub at: Duration,
}

/// `alarm=NAME[:STATE]@DUR`: the CloudWatch alarm goes to `state` at `at` (a deployment
/// watching it for auto-rollback rolls back when it is ALARM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmChange {
    pub alarm: String,
    pub state: crate::domain::AlarmStateValue,
    pub at: Duration,
}

/// A parsed `--demo-faults` spec.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaultSpec {
    pub rules: Vec<Rule>,
    pub deletions: Vec<Deletion>,
    pub alarms: Vec<AlarmChange>,
    pub panic_after: Option<Duration>,
    /// The spec as given (for the log).
    pub text: String,
}

impl std::fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for FaultSpec {
    type Err = FaultSpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FaultSpec::parse(s)
    }
}

impl FaultSpec {
    /// Parses a whole spec; the first bad item is reported.
    pub fn parse(text: &str) -> Result<FaultSpec, FaultSpecError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(FaultSpecError {
                item: None,
                message: "empty fault spec; e.g. throttle=0.3,deny=cloudtrail".into(),
            });
        }
        let mut spec = FaultSpec {
            text: text.to_string(),
            ..FaultSpec::default()
        };
        let mut credentials_seen = false;
        for item in text.split(',').map(str::trim) {
            if item.is_empty() {
                return Err(FaultSpecError {
                    item: None,
                    message: "empty item between commas".into(),
                });
            }
            let Some((key, value)) = item.split_once('=') else {
                return Err(bad(item, format!("expected KEY=VALUE; keys: {KEYS}")));
            };
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
            if value.is_empty() {
                return Err(bad(item, format!("`{key}` needs a value")));
            }
            match key.as_str() {
                "delete-endpoint" => spec.deletions.push(parse_deletion(item, value)?),
                "alarm" => spec.alarms.push(parse_alarm(item, value)?),
                "panic-after" => {
                    if spec.panic_after.is_some() {
                        return Err(bad(item, "panic-after is given twice"));
                    }
                    spec.panic_after = Some(spec_duration(item, value)?);
                }
                "expire-credentials-after" => {
                    if credentials_seen {
                        return Err(bad(item, "expire-credentials-after is given twice"));
                    }
                    credentials_seen = true;
                    let window = match value.split_once("..") {
                        Some((from, until)) => window_of(item, from, until)?,
                        None => Window {
                            from: spec_duration(item, value)?,
                            until: None,
                        },
                    };
                    spec.rules.push(Rule {
                        kind: FaultKind::ExpiredCredentials,
                        targets: Vec::new(),
                        window,
                    });
                }
                "throttle"
                | "timeout"
                | "deny"
                | "latency"
                | "lost-write-response"
                | "lost-write-request"
                | "invoke-5xx" => {
                    spec.rules.push(parse_rule(item, &key, value)?);
                }
                other => {
                    return Err(bad(item, format!("unknown fault `{other}`; known: {KEYS}")));
                }
            }
        }
        Ok(spec)
    }

    /// For clap's `value_parser`: the message of a bad spec.
    pub fn parse_arg(text: &str) -> Result<FaultSpec, String> {
        FaultSpec::parse(text).map_err(|e| e.to_string())
    }

    /// Whether nothing at all would be injected.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
            && self.deletions.is_empty()
            && self.alarms.is_empty()
            && self.panic_after.is_none()
    }
}

/// `VALUE[:TARGETS][@WINDOW]` of a rule.
fn parse_rule(item: &str, key: &str, value: &str) -> Result<Rule, FaultSpecError> {
    let (rest, window) = match value.split_once('@') {
        Some((rest, w)) => {
            let Some((from, until)) = w.split_once("..") else {
                return Err(bad(
                    item,
                    "a window reads @FROM..UNTIL, e.g. @30s..2m, @1m.. or @..90s",
                ));
            };
            (rest, window_of(item, from, until)?)
        }
        None => (value, Window::default()),
    };
    let (head, targets) = match key {
        "deny" => ("", parse_targets(item, rest, true)?),
        _ => match rest.split_once(':') {
            Some((h, t)) => (h, parse_targets(item, t, false)?),
            None => (rest, Vec::new()),
        },
    };
    let kind = match key {
        "throttle" => FaultKind::Throttle(parse_probability(item, head)?),
        "timeout" => FaultKind::Timeout(parse_probability(item, head)?),
        "deny" => FaultKind::Deny,
        "latency" => {
            let (min, max) = match head.split_once("..") {
                Some((a, b)) => (spec_duration(item, a)?, spec_duration(item, b)?),
                None => {
                    let d = spec_duration(item, head)?;
                    (d, d)
                }
            };
            if max < min {
                return Err(bad(item, "a latency range reads LOW..HIGH, e.g. 1s..3s"));
            }
            FaultKind::Latency { min, max }
        }
        "lost-write-response" => FaultKind::LostWriteResponse(parse_probability(item, head)?),
        "lost-write-request" => FaultKind::LostWriteRequest(parse_probability(item, head)?),
        _ => FaultKind::Invoke5xx(parse_probability(item, head)?),
    };
    let writes_only = matches!(
        kind,
        FaultKind::LostWriteResponse(_) | FaultKind::LostWriteRequest(_) | FaultKind::Invoke5xx(_)
    );
    if writes_only && !targets.is_empty() {
        return Err(bad(item, format!("`{key}` takes no targets")));
    }
    Ok(Rule {
        kind,
        targets,
        window,
    })
}

fn window_of(item: &str, from: &str, until: &str) -> Result<Window, FaultSpecError> {
    let from = if from.trim().is_empty() {
        Duration::ZERO
    } else {
        spec_duration(item, from)?
    };
    let until = if until.trim().is_empty() {
        None
    } else {
        Some(spec_duration(item, until)?)
    };
    if until.is_some_and(|u| u <= from) {
        return Err(bad(item, "the window ends before it starts"));
    }
    Ok(Window { from, until })
}

/// `NAME@DUR`.
fn parse_deletion(item: &str, value: &str) -> Result<Deletion, FaultSpecError> {
    let Some((name, at)) = value.rsplit_once('@') else {
        return Err(bad(
            item,
            "delete-endpoint reads NAME@TIME, e.g. delete-endpoint=churn-predictor@90s",
        ));
    };
    let name = name.trim();
    if !valid_endpoint_name(name) {
        return Err(bad(
            item,
            format!(
                "`{name}` is not an endpoint name (letters, digits and inner hyphens, at most 63)"
            ),
        ));
    }
    Ok(Deletion {
        endpoint: name.to_string(),
        at: spec_duration(item, at)?,
    })
}

/// `NAME[:STATE]@DUR`; the state is ALARM when not given.
fn parse_alarm(item: &str, value: &str) -> Result<AlarmChange, FaultSpecError> {
    use crate::domain::AlarmStateValue;
    let Some((head, at)) = value.rsplit_once('@') else {
        return Err(bad(
            item,
            "alarm reads NAME[:STATE]@TIME, e.g. alarm=fraud-detection-xgb-5xx-rate:ALARM@30s",
        ));
    };
    let (name, state) = match head.rsplit_once(':') {
        Some((name, state)) => {
            let state =
                AlarmStateValue::parse(&state.trim().to_ascii_uppercase()).ok_or_else(|| {
                    bad(
                        item,
                        format!(
                            "`{}` is not an alarm state: ALARM, OK or INSUFFICIENT_DATA",
                            state.trim()
                        ),
                    )
                })?;
            (name.trim(), state)
        }
        None => (head.trim(), AlarmStateValue::Alarm),
    };
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
    // AlarmName: 1 to 255 characters.
    if name.is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
        return Err(bad(
            item,
            format!("`{name}` is not an alarm name (1 to 255 printable characters)"),
        ));
    }
    Ok(AlarmChange {
        alarm: name.to_string(),
        state,
        at: spec_duration(item, at)?,
    })
}

/// SageMaker's `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`.
pub fn valid_endpoint_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// `0.3` or `30%`, in [0, 1].
pub fn parse_probability(item: &str, s: &str) -> Result<f64, FaultSpecError> {
    let s = s.trim();
    let (num, scale) = match s.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (s, 1.0),
    };
    let p = num
        .parse::<f64>()
        .ok()
        .filter(|p| p.is_finite())
        .map(|p| p / scale)
        .ok_or_else(|| {
            bad(
                item,
                format!(
                    "`{s}` is not a probability (a number from 0 to 1, or a percentage like 30%)"
                ),
            )
        })?;
    if !(0.0..=1.0).contains(&p) {
        return Err(bad(
            item,
            format!("probability `{s}` is outside 0..1 (0% to 100%)"),
        ));
    }
    Ok(p)
}

/// A time in a fault spec, in sagetop's one duration grammar (`crate::units`), within 30 days.
fn spec_duration(item: &str, s: &str) -> Result<Duration, FaultSpecError> {
    let d = crate::units::parse_duration(s).map_err(|e| bad(item, e.to_string()))?;
    if d > MAX_DURATION {
        return Err(bad(item, format!("`{}` is longer than 30 days", s.trim())));
    }
    Ok(d)
}

/// `cloudtrail+GetMetricData`; IAM actions (`cloudtrail:LookupEvents`) when `iam` is set.
fn parse_targets(item: &str, s: &str, iam: bool) -> Result<Vec<Target>, FaultSpecError> {
    let mut out = Vec::new();
    for name in s.split('+').map(str::trim) {
        if name.is_empty() {
            return Err(bad(
                item,
                "empty target; name services or operations joined by +, e.g. cloudtrail+cloudwatch",
            ));
        }
        out.push(parse_target(item, name, iam)?);
    }
    Ok(out)
}

fn parse_target(item: &str, name: &str, iam: bool) -> Result<Target, FaultSpecError> {
    let lower = name.to_ascii_lowercase();
    if iam && lower.contains(':') {
        return OPERATIONS
            .into_iter()
            .find(|op| op.iam_action().eq_ignore_ascii_case(name))
            .map(Target::Operation)
            .ok_or_else(|| {
                bad(
                    item,
                    format!(
                        "`{name}` is not an IAM action sagetop uses (e.g. cloudtrail:LookupEvents)"
                    ),
                )
            });
    }
    let service = match lower.as_str() {
        "sagemaker" => Some(Service::SageMaker),
        "sagemaker-runtime" | "runtime" => Some(Service::SageMakerRuntime),
        "application-autoscaling" | "autoscaling" => Some(Service::ApplicationAutoScaling),
        "cloudwatch" => Some(Service::CloudWatch),
        "cloudtrail" => Some(Service::CloudTrail),
        "servicequotas" | "service-quotas" | "quotas" => Some(Service::ServiceQuotas),
        "sts" => Some(Service::Sts),
        "logs" => Some(Service::Logs),
        _ => None,
    };
    if let Some(s) = service {
        return Ok(Target::Service(s));
    }
    OPERATIONS
        .into_iter()
        .find(|op| op.as_str().eq_ignore_ascii_case(name))
        .map(Target::Operation)
        .ok_or_else(|| {
            bad(
                item,
                format!(
                    "unknown target `{name}`: a service (sagemaker, sagemaker-runtime, autoscaling, \
                     cloudwatch, cloudtrail, quotas, sts) or an operation (e.g. DescribeEndpoint)"
                ),
            )
        })
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
