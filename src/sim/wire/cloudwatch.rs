//! Owns CloudWatch `GetMetricData` on the wire (rpcv2Cbor and awsJson1_0, the same handler):
//! the documented limits (500 queries, ids matching `^[a-z][a-zA-Z0-9_]*$`, unique ids,
//! StartTime before EndTime, periods of 1/5/10/30 s or a multiple of 60), MaxDatapoints paging
//! (default and ceiling 100,800) with PartialData and a NextToken bound to the request, and a
//! per-series StatusCode (Complete | PartialData | InternalError | Forbidden) with Messages.
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html>
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html>

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::model::Svc;
use super::protocol::WireError;
use super::{bad_token, ms_of, secs, token};
use crate::domain::*;
use crate::sim::SimAccount;
use crate::sim::ids;

/// Most queries in one call.
pub(crate) const MAX_QUERIES: usize = 500;
/// Most datapoints one call returns (and MaxDatapoints' default).
pub(crate) const MAX_DATAPOINTS: usize = 100_800;

fn invalid(message: impl Into<String>) -> WireError {
    WireError::validation(Svc::CloudWatch, message)
}

fn valid_id(id: &str) -> bool {
    let mut c = id.chars();
    c.next().is_some_and(|f| f.is_ascii_lowercase())
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// The series a query asks for, when it names one the account publishes.
fn series_of(q: &Value) -> Option<(SeriesKey, u64)> {
    let stat = q.get("MetricStat")?;
    let metric = stat.get("Metric")?;
    let name = MetricName::parse(metric.get("MetricName")?.as_str()?)?;
    if metric.get("Namespace")?.as_str()? != name.namespace().as_str() {
        return None;
    }
    let dims = metric.get("Dimensions")?.as_array()?;
    let dim = |k: &str| {
        dims.iter()
            .find(|d| d.get("Name").and_then(Value::as_str) == Some(k))
            .and_then(|d| d.get("Value")?.as_str())
    };
    // Components by InferenceComponentName alone, async backlogs by EndpointName alone:
    // https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html
    let one = dims.len() == 1;
    if !one && dims.len() != 2 {
        return None;
    }
    let statistic = match stat.get("Stat")?.as_str()? {
        "Sum" => Statistic::Sum,
        "Average" => Statistic::Average,
        "Maximum" => Statistic::Maximum,
        "Minimum" => Statistic::Minimum,
        "SampleCount" => Statistic::SampleCount,
        "p99" => Statistic::P99,
        _ => return None,
    };
    let period = stat.get("Period")?.as_u64()?;
    let key = match (one, dim("InferenceComponentName")) {
        (true, Some(c)) => SeriesKey::component("", c, name, statistic),
        (true, None) => SeriesKey::new(dim("EndpointName")?, "", name, statistic),
        (false, _) => SeriesKey::new(dim("EndpointName")?, dim("VariantName")?, name, statistic),
    };
    Some((key, period))
}

pub(super) fn call(sim: &SimAccount, op: &str, input: &Value) -> Result<Value, WireError> {
    if op == "DescribeAlarms" {
        return super::deployments::describe_alarms(sim, input);
    }
    if op != "GetMetricData" {
        return Err(WireError::new(400, "UnknownOperationException", op));
    }
    let queries = input
        .get("MetricDataQueries")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if queries.len() > MAX_QUERIES {
        return Err(invalid(format!(
            "The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}."
        )));
    }
    let start = ms_of(input.get("StartTime")).unwrap_or_default();
    let end = ms_of(input.get("EndTime")).unwrap_or_default();
    if start >= end {
        return Err(invalid(
            "The parameter StartTime must be less than the parameter EndTime.",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, q) in queries.iter().enumerate() {
        let id = q.get("Id").and_then(Value::as_str).unwrap_or_default();
        if !valid_id(id) {
            return Err(invalid(format!(
                "The value {id} for parameter MetricDataQueries.member.{}.Id is not valid: it must match ^[a-z][a-zA-Z0-9_]*$.",
                i + 1
            )));
        }
        if !seen.insert(id) {
            return Err(invalid(format!(
                "The values for parameter id in MetricDataQueries are not unique: {id}."
            )));
        }
        let has_stat = q.get("MetricStat").is_some_and(|v| !v.is_null());
        let has_expr = q.get("Expression").is_some_and(|v| !v.is_null());
        if has_stat == has_expr {
            return Err(invalid(format!(
                "Exactly one of MetricStat and Expression must be given in MetricDataQueries.member.{}.",
                i + 1
            )));
        }
        if let Some(p) = q.pointer("/MetricStat/Period").and_then(Value::as_u64)
            && ![1, 5, 10, 30].contains(&p)
            && !p.is_multiple_of(60)
        {
            return Err(invalid(format!(
                "The parameter MetricDataQueries.member.{}.MetricStat.Period must be 1, 5, 10, 30 or a multiple of 60.",
                i + 1
            )));
        }
    }
    let max_points = input
        .get("MaxDatapoints")
        .and_then(Value::as_u64)
        .map_or(MAX_DATAPOINTS, |n| (n as usize).clamp(1, MAX_DATAPOINTS));
    let ascending = input.get("ScanBy").and_then(Value::as_str) == Some("TimestampAscending");
    let offset = match token::cursor(input).map_err(|_| bad_token(Svc::CloudWatch))? {
        None => 0,
        Some(c) => c.parse::<usize>().map_err(|_| bad_token(Svc::CloudWatch))?,
    };

    // Series grouped by period, answered from the account.
    let returned: Vec<&Value> = queries
        .iter()
        .filter(|q| q.get("ReturnData").and_then(Value::as_bool) != Some(false))
        .collect();
    let keys: Vec<Option<(SeriesKey, u64)>> = returned.iter().map(|q| series_of(q)).collect();
    let mut by_period: BTreeMap<u64, Vec<SeriesKey>> = BTreeMap::new();
    for (k, p) in keys.iter().flatten() {
        if p.is_multiple_of(60) {
            by_period.entry(*p).or_default().push(k.clone());
        }
    }
    let mut answers: BTreeMap<(SeriesKey, u64), MetricSeries> = BTreeMap::new();
    {
        let w = sim.world();
        for (period, series) in by_period {
            let q = MetricQuery {
                series,
                start: ids::from_ms(start),
                end: ids::from_ms(end),
                period: Duration::from_secs(period),
            };
            let got =
                crate::sim::metrics::get_metrics(&w, &q).map_err(|e| invalid(e.to_string()))?;
            for s in got {
                answers.insert((s.key.clone(), period), s);
            }
        }
    }

    let mut results = Vec::new();
    let mut pos = 0usize;
    let page_end = offset.saturating_add(max_points);
    let mut more = false;
    for (q, key) in returned.iter().zip(&keys) {
        let id = q.get("Id").and_then(Value::as_str).unwrap_or_default();
        let series = key.as_ref().and_then(|k| answers.get(k));
        let label = q
            .get("Label")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                q.pointer("/MetricStat/Metric/MetricName")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| id.to_string());
        let mut r = json!({ "Id": id, "Label": label });
        let mut points: Vec<Datapoint> = series.map(|s| s.points.clone()).unwrap_or_default();
        if !ascending {
            points.reverse();
        }
        // This page holds the points at global positions [offset, page_end).
        let from = offset.saturating_sub(pos).min(points.len());
        let to = page_end.saturating_sub(pos).min(points.len());
        let partial = to < points.len();
        more |= partial;
        pos += points.len();
        let slice = if from < to {
            &points[from..to]
        } else {
            &[][..]
        };
        r["Timestamps"] = json!(
            slice
                .iter()
                .map(|p| secs(p.at.timestamp_millis()))
                .collect::<Vec<_>>()
        );
        r["Values"] = json!(slice.iter().map(|p| p.value).collect::<Vec<_>>());
        match series.map(|s| &s.status) {
            Some(SeriesStatus::Failed { code, message }) => {
                r["StatusCode"] = json!(code);
                r["Messages"] = json!([{ "Code": code, "Value": message }]);
            }
            _ => r["StatusCode"] = json!(if partial { "PartialData" } else { "Complete" }),
        }
        results.push(r);
    }
    let mut out = json!({ "MetricDataResults": results, "Messages": [] });
    if more {
        out["NextToken"] = json!(token::encode(&page_end.to_string(), input));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_documented_pattern() {
        for ok in ["m0", "a", "cpu_util_1", "mX"] {
            assert!(valid_id(ok), "{ok}");
        }
        for bad in ["", "0m", "M0", "m-0", "m 0", "é"] {
            assert!(!valid_id(bad), "{bad}");
        }
    }
}
