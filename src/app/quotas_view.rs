//! The quotas view's figures: every "<instance type> for endpoint usage" quota with its usage
//! (current instances of that type over all endpoints), percent and level (80% warning, 100%
//! exceeded), instance types in use without quota flagged, the other SageMaker quotas, and
//! the rows the endpoint detail shows inline.

use std::collections::{BTreeMap, BTreeSet};

use super::action::Command;
use super::contexts::Ctx;
use super::state::{AppState, View};
use crate::boundary::context::{context_of, plain};
use crate::domain::*;

/// State of the quotas view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuotasView {
    /// Selected row over both tables (endpoint quotas first).
    pub selected: usize,
    pub back_to: Option<View>,
}

/// Used / limit in percent; `None` for a zero (or negative) limit.
pub fn percent(used: f64, limit: f64) -> Option<f64> {
    (limit > 0.0).then(|| used / limit * 100.0)
}

/// One "<instance type> for endpoint usage" row.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointQuotaRow {
    pub instance_type: String,
    /// `None` when Service Quotas lists no quota for a type in use.
    pub limit: Option<f64>,
    /// Current instances of the type over all endpoints.
    pub used: u32,
    /// Desired instances (differs while endpoints update or scale).
    pub desired: u32,
    /// Endpoints whose variants use the type (whatever their status).
    pub endpoints: Vec<String>,
    pub percent: Option<f64>,
    pub level: QuotaLevel,
    /// Why the row needs attention beyond its percent ("in use, quota 0", …).
    pub flag: Option<String>,
}

impl EndpointQuotaRow {
    /// Quota 0 (or none listed) for a type an endpoint is configured with: that endpoint
    /// cannot get instances.
    pub fn blocked(&self) -> bool {
        !self.endpoints.is_empty() && self.limit.is_none_or(|l| l <= 0.0)
    }
}

/// Every endpoint-usage quota plus types in use that have none; worst first, then by name
/// (the session's quotas over every endpoint: one account and region).
pub fn endpoint_rows(state: &AppState) -> Vec<EndpointQuotaRow> {
    let all: Vec<&Endpoint> = state.endpoints.iter().collect();
    endpoint_rows_of(&state.quotas, &all)
}

/// The endpoint-usage rows of `quotas`, with usage counted from `endpoints` (one context's).
pub fn endpoint_rows_of(quotas: &[ServiceQuota], endpoints: &[&Endpoint]) -> Vec<EndpointQuotaRow> {
    let mut used: BTreeMap<String, (u32, u32, BTreeSet<String>)> = BTreeMap::new();
    for e in endpoints {
        // Shadow variants and a blue/green deployment's new fleet hold instances too.
        for v in e.instance_fleets() {
            let Some(t) = &v.instance_type else { continue };
            let slot = used.entry(t.clone()).or_default();
            slot.0 += v.current_instance_count.unwrap_or(0);
            slot.1 += v
                .desired_instance_count
                .or(v.current_instance_count)
                .unwrap_or(0);
            slot.2.insert(plain(&e.name).to_string());
        }
    }
    let mut limits: BTreeMap<String, f64> = BTreeMap::new();
    for q in quotas {
        if let Some(t) = q.endpoint_instance_type() {
            limits.insert(t.to_string(), q.value);
        }
    }
    let types: BTreeSet<String> = limits.keys().chain(used.keys()).cloned().collect();
    let mut rows: Vec<EndpointQuotaRow> = types
        .into_iter()
        .map(|t| {
            let (u, d, eps) = used.remove(&t).unwrap_or_default();
            let limit = limits.get(&t).copied();
            let lim = limit.unwrap_or(0.0);
            let mut row = EndpointQuotaRow {
                percent: percent(f64::from(u), lim).filter(|_| limit.is_some()),
                level: quota_level(f64::from(u), lim),
                instance_type: t,
                limit,
                used: u,
                desired: d,
                endpoints: eps.into_iter().collect(),
                flag: None,
            };
            row.flag = flag(&row);
            if row.blocked() {
                row.level = QuotaLevel::Exceeded;
            }
            row
        })
        .collect();
    rows.sort_by(worst_first);
    rows
}

/// The sections' rows as one list, worst first over every context (so the account nearest
/// a limit is on the first screen), each with its context.
pub fn merged_endpoint_rows<'a>(
    sections: &[QuotaSection<'a>],
) -> Vec<(Option<&'a Ctx>, EndpointQuotaRow)> {
    let mut rows: Vec<(Option<&Ctx>, EndpointQuotaRow)> = sections
        .iter()
        .flat_map(|s| s.endpoint_rows.iter().map(|r| (s.context, r.clone())))
        .collect();
    // Stable: equal rows keep the order the contexts were opened in.
    rows.sort_by(|a, b| worst_first(&a.1, &b.1));
    rows
}

/// The sections' other quotas as one list, by name, then in the contexts' order.
pub fn merged_other_rows<'a>(
    sections: &[QuotaSection<'a>],
) -> Vec<(Option<&'a Ctx>, OtherQuotaRow)> {
    let mut rows: Vec<(Option<&Ctx>, OtherQuotaRow)> = sections
        .iter()
        .flat_map(|s| s.other_rows.iter().map(|r| (s.context, r.clone())))
        .collect();
    rows.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    rows
}

/// Worst level first, then the highest percent, the most used, the type's name.
pub fn worst_first(a: &EndpointQuotaRow, b: &EndpointQuotaRow) -> std::cmp::Ordering {
    rank(b.level)
        .cmp(&rank(a.level))
        .then(
            b.percent
                .unwrap_or(0.0)
                .total_cmp(&a.percent.unwrap_or(0.0)),
        )
        .then(b.used.cmp(&a.used))
        .then(a.instance_type.cmp(&b.instance_type))
}

fn rank(l: QuotaLevel) -> u8 {
    match l {
        QuotaLevel::Ok => 0,
        QuotaLevel::Warning => 1,
        QuotaLevel::Exceeded => 2,
    }
}

fn flag(row: &EndpointQuotaRow) -> Option<String> {
    let who = match row.endpoints.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} +{}", rest.len()),
    };
    match row.limit {
        None if !row.endpoints.is_empty() => Some(format!("no quota listed; used by {who}")),
        Some(l) if l <= 0.0 && !row.endpoints.is_empty() => {
            Some(format!("quota 0: {who} cannot get instances"))
        }
        Some(l) if f64::from(row.desired) > l => {
            Some(format!("desired {} exceeds the limit", row.desired))
        }
        _ => match row.level {
            QuotaLevel::Exceeded => Some("at the limit: scale-out will fail".into()),
            QuotaLevel::Warning => Some("80% or more used".into()),
            QuotaLevel::Ok => None,
        },
    }
}

/// A quota that is not per instance type.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherQuotaRow {
    pub name: String,
    pub limit: f64,
    pub unit: String,
    /// Usage where sagetop can count it from the endpoints it sees.
    pub used: Option<f64>,
    pub percent: Option<f64>,
    pub level: QuotaLevel,
}

/// The other SageMaker quotas, by name; usage counted for instances across all endpoints,
/// variants per endpoint and serverless concurrency (one account and region).
pub fn other_rows(state: &AppState) -> Vec<OtherQuotaRow> {
    let all: Vec<&Endpoint> = state.endpoints.iter().collect();
    other_rows_of(&state.quotas, &all)
}

/// The other rows of `quotas`, with usage counted from `endpoints` (one context's).
pub fn other_rows_of(quotas: &[ServiceQuota], endpoints: &[&Endpoint]) -> Vec<OtherQuotaRow> {
    let total: u32 = endpoints.iter().filter_map(|e| e.current_instances()).sum();
    let max_variants = endpoints
        .iter()
        .map(|e| e.variants.len())
        .max()
        .unwrap_or(0);
    let concurrency: u32 = endpoints
        .iter()
        .flat_map(|e| e.variants.iter())
        .filter_map(|v| v.serverless.map(|s| s.max_concurrency))
        .sum();
    let mut rows: Vec<OtherQuotaRow> = quotas
        .iter()
        .filter(|q| q.endpoint_instance_type().is_none())
        .map(|q| {
            let n = q.name.to_lowercase();
            let used = if n.contains("instances across") && n.contains("endpoint") {
                Some(f64::from(total))
            } else if n.contains("variants per endpoint") {
                Some(max_variants as f64)
            } else if n.contains("serverless") && n.contains("concurrency") {
                Some(f64::from(concurrency))
            } else {
                None
            };
            OtherQuotaRow {
                name: q.name.clone(),
                limit: q.value,
                unit: q.unit.clone(),
                used,
                percent: used.and_then(|u| percent(u, q.value)),
                level: used.map_or(QuotaLevel::Ok, |u| quota_level(u, q.value)),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    rows
}

/// One account and region's quotas, with usage counted from its own endpoints only.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaSection<'a> {
    /// The context (`None` with one account and region open).
    pub context: Option<&'a Ctx>,
    pub endpoint_rows: Vec<EndpointQuotaRow>,
    pub other_rows: Vec<OtherQuotaRow>,
}

impl QuotaSection<'_> {
    pub fn len(&self) -> usize {
        self.endpoint_rows.len() + self.other_rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The quotas and endpoints of context `label` (the session's with one context open).
fn source<'a>(state: &'a AppState, label: Option<&str>) -> (&'a [ServiceQuota], Vec<&'a Endpoint>) {
    match label.and_then(|l| state.contexts.get(l)) {
        Some(c) if state.contexts.multi() => (
            &c.quotas,
            state
                .endpoints
                .iter()
                .filter(|e| context_of(&e.name) == Some(c.label.as_str()))
                .collect(),
        ),
        _ => (&state.quotas, state.endpoints.iter().collect()),
    }
}

/// What the quotas view shows: the one account's quotas, or each shown context's in turn
/// (the one `:ctx` selects, else every one, in the order they were opened).
pub fn sections(state: &AppState) -> Vec<QuotaSection<'_>> {
    if !state.contexts.multi() {
        let (q, eps) = source(state, None);
        return vec![QuotaSection {
            context: None,
            endpoint_rows: endpoint_rows_of(q, &eps),
            other_rows: other_rows_of(q, &eps),
        }];
    }
    super::ctx_views::shown(state)
        .into_iter()
        .map(|c| {
            let (q, eps) = source(state, Some(&c.label));
            QuotaSection {
                context: Some(c),
                endpoint_rows: endpoint_rows_of(q, &eps),
                other_rows: other_rows_of(q, &eps),
            }
        })
        .collect()
}

/// The endpoint-usage rows of `key`'s context (the quota that endpoint's account and region
/// has, the usage of that context's endpoints).
pub fn context_rows(state: &AppState, key: &str) -> Vec<EndpointQuotaRow> {
    let (q, eps) = source(state, context_of(key));
    endpoint_rows_of(q, &eps)
}

/// The endpoint-usage rows of the instance types an endpoint uses, in its own context.
pub fn rows_for_endpoint(state: &AppState, endpoint: &Endpoint) -> Vec<EndpointQuotaRow> {
    let types: BTreeSet<&str> = endpoint
        .variants
        .iter()
        .filter_map(|v| v.instance_type.as_deref())
        .collect();
    context_rows(state, &endpoint.name)
        .into_iter()
        .filter(|r| types.contains(r.instance_type.as_str()))
        .collect()
}

/// Instances autoscaling could still add on `instance_type` for `endpoint` (up to each
/// registered variant's max) — compare with the quota's room.
pub fn scale_out_potential(state: &AppState, endpoint: &Endpoint, instance_type: &str) -> u32 {
    let Some(config) = state.autoscaling.config.get(&endpoint.name) else {
        return 0;
    };
    endpoint
        .variants
        .iter()
        .filter(|v| v.instance_type.as_deref() == Some(instance_type))
        .filter_map(|v| {
            let t = config
                .iter()
                .find(|c| c.variant == v.name)?
                .target
                .as_ref()?;
            Some(
                t.max_capacity
                    .saturating_sub(v.current_instance_count.unwrap_or(0)),
            )
        })
        .sum()
}

/// Opens the quotas view; `esc` returns to the current view.
pub fn open(state: &mut AppState) -> Vec<Command> {
    let back = match &state.view {
        View::Quotas => state.quotas_view.back_to.clone(),
        View::Events | View::EventJson => state.events_view.back_to.clone(),
        other => Some(other.clone()),
    };
    state.quotas_view = QuotasView {
        selected: 0,
        back_to: back,
    };
    state.view = View::Quotas;
    vec![Command::Refresh(Some(super::action::Panel::Quotas))]
}

/// Number of selectable rows (over every section shown).
pub fn row_count(state: &AppState) -> usize {
    sections(state).iter().map(QuotaSection::len).sum()
}

pub fn move_by(state: &mut AppState, delta: i64) {
    let n = row_count(state) as i64;
    if n == 0 {
        return;
    }
    state.quotas_view.selected = (state.quotas_view.selected as i64)
        .saturating_add(delta)
        .clamp(0, n - 1) as usize;
}

pub fn back(state: &mut AppState) -> Vec<Command> {
    let to = state.quotas_view.back_to.take().unwrap_or(View::Endpoints);
    let leaving_detail = !matches!(to, View::Detail { .. });
    state.view = to;
    if leaving_detail {
        vec![Command::Watch(None)]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::SessionInfo;
    use crate::clock::fixture_epoch;

    fn quota(name: &str, value: f64) -> ServiceQuota {
        ServiceQuota {
            name: name.into(),
            code: "L-1".into(),
            value,
            unit: "None".into(),
            adjustable: true,
        }
    }

    fn endpoint(name: &str, itype: &str, n: Option<u32>) -> Endpoint {
        Endpoint {
            name: name.into(),
            arn: String::new(),
            status: EndpointStatus::InService,
            failure_reason: None,
            creation_time: fixture_epoch(),
            last_modified_time: fixture_epoch(),
            config_name: String::new(),
            shadow_variants: Vec::new(),
            pending: None,
            variants: vec![Variant {
                name: "AllTraffic".into(),
                model_name: None,
                instance_type: Some(itype.into()),
                current_instance_count: n,
                desired_instance_count: n,
                current_weight: Some(1.0),
                desired_weight: Some(1.0),
                serverless: None,
                statuses: Vec::new(),
            }],
        }
    }

    #[test]
    fn percent_and_levels_at_the_thresholds() {
        assert_eq!(percent(799.0, 1000.0), Some(79.9));
        assert_eq!(quota_level(799.0, 1000.0), QuotaLevel::Ok);
        assert_eq!(percent(8.0, 10.0), Some(80.0));
        assert_eq!(quota_level(8.0, 10.0), QuotaLevel::Warning);
        assert_eq!(percent(10.0, 10.0), Some(100.0));
        assert_eq!(quota_level(10.0, 10.0), QuotaLevel::Exceeded);
        assert_eq!(percent(0.0, 0.0), None);
    }

    #[test]
    fn rows_count_usage_flag_zero_quotas_and_sort_worst_first() {
        let mut s = AppState::new(SessionInfo::default(), fixture_epoch());
        s.endpoints = vec![
            endpoint("a", "ml.m5.large", Some(8)),
            endpoint("b", "ml.m5.large", Some(2)),
            endpoint("c", "ml.c5.xlarge", Some(799)),
            endpoint("llm", "ml.p4d.24xlarge", None),
            endpoint("gpu", "ml.g5.xlarge", Some(1)),
        ];
        s.quotas = vec![
            quota("ml.m5.large for endpoint usage", 10.0),
            quota("ml.c5.xlarge for endpoint usage", 1000.0),
            quota("ml.p4d.24xlarge for endpoint usage", 0.0),
            quota("ml.t2.medium for endpoint usage", 4.0),
            quota("Number of instances across all endpoints", 1000.0),
        ];
        let rows = endpoint_rows(&s);
        let order: Vec<&str> = rows.iter().map(|r| r.instance_type.as_str()).collect();
        assert_eq!(
            order,
            [
                "ml.m5.large",
                "ml.g5.xlarge",
                "ml.p4d.24xlarge",
                "ml.c5.xlarge",
                "ml.t2.medium"
            ]
        );
        assert_eq!(rows[0].used, 10);
        assert_eq!(rows[0].level, QuotaLevel::Exceeded);
        assert_eq!(rows[3].percent, Some(79.9));
        assert_eq!(rows[3].level, QuotaLevel::Ok);
        let p4d = &rows[2];
        assert!(p4d.blocked());
        assert_eq!(p4d.percent, None);
        assert!(p4d.flag.as_deref().unwrap().contains("quota 0: llm"));
        assert!(rows[1].flag.as_deref().unwrap().contains("no quota listed"));
        let others = other_rows(&s);
        assert_eq!(others.len(), 1);
        assert_eq!(others[0].used, Some(810.0));
        assert_eq!(others[0].level, QuotaLevel::Warning);
    }

    #[test]
    fn a_blue_green_deployments_new_fleet_counts_against_the_quota() {
        let mut s = AppState::new(SessionInfo::default(), fixture_epoch());
        let mut e = endpoint("bg", "ml.g5.xlarge", Some(2));
        let mut new_fleet = e.variants[0].clone();
        new_fleet.current_instance_count = Some(2);
        new_fleet.desired_instance_count = Some(4);
        new_fleet.statuses = vec![VariantStatusEntry {
            status: "Baking".into(),
            message: None,
            start_time: None,
        }];
        let mut shadow = e.variants[0].clone();
        shadow.name = "shadow".into();
        shadow.current_instance_count = Some(1);
        shadow.desired_instance_count = Some(1);
        e.shadow_variants = vec![shadow];
        e.pending = Some(PendingDeployment {
            config_name: "bg-v2".into(),
            start_time: None,
            variants: vec![new_fleet],
            shadow_variants: Vec::new(),
        });
        s.endpoints = vec![e];
        s.quotas = vec![quota("ml.g5.xlarge for endpoint usage", 8.0)];
        let rows = endpoint_rows(&s);
        let g5 = rows
            .iter()
            .find(|r| r.instance_type == "ml.g5.xlarge")
            .unwrap();
        // 2 old + 2 new (of 4 wanted) + 1 shadow.
        assert_eq!(g5.used, 5);
        assert_eq!(
            crate::app::figures::instance_usage(&s.endpoints)["ml.g5.xlarge"],
            5
        );
    }
}
