//! The CloudWatch cost governor: `GetMetricData` is billed per metric requested, so each
//! metrics cycle asks for the endpoint on screen and the visible rows first (every cycle),
//! then the rest of the fleet round-robin, as many as the hourly budget
//! (`[refresh] metrics_budget_usd_per_hour`) leaves after the charts' own queries.
//! Pricing: https://aws.amazon.com/cloudwatch/pricing/ (see `api_stats::USD_PER_METRIC_REQUESTED`).

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::boundary::api_stats::USD_PER_METRIC_REQUESTED;
use crate::domain::*;
use crate::poll::fleet::variant_series;
use crate::poll::fleet_sync::OnScreen;

/// Default spend on metric polling: $0.50 an hour (about $360 a month if left running).
pub const DEFAULT_BUDGET_USD_PER_HOUR: f64 = 0.50;

/// What the governor chose, for `:api`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BudgetReport {
    pub budget_usd_per_hour: f64,
    /// What this cycle's choice costs per hour if every cycle were like it (charts included).
    pub planned_usd_per_hour: f64,
    /// Charts' share of that (queries of the endpoint on screen over the chart window).
    pub charts_usd_per_hour: f64,
    /// Endpoints polled every cycle (on screen).
    pub every_cycle: usize,
    /// Endpoints polled in turn, and how long a full turn takes: how stale the slowest rows
    /// are allowed to get. `None` when nothing is left for them.
    pub round_robin: usize,
    pub slowest_every: Option<Duration>,
}

/// One cycle's choice: endpoints to query and why.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPlan {
    pub endpoints: Vec<String>,
    pub report: BudgetReport,
}

/// State kept between metrics cycles: where the round-robin is.
#[derive(Debug, Clone)]
pub struct MetricGovernor {
    budget_usd_per_hour: f64,
    /// The last endpoint the round-robin reached; the next cycle goes on after it.
    cursor: Option<String>,
}

fn series_count(e: &Endpoint) -> usize {
    e.variants
        .iter()
        .map(|v| variant_series(&e.name, v).len())
        .sum()
}

impl MetricGovernor {
    pub fn new(budget_usd_per_hour: f64) -> Self {
        MetricGovernor {
            budget_usd_per_hour: budget_usd_per_hour.max(0.0),
            cursor: None,
        }
    }

    /// Chooses this cycle's endpoints. `interval` is the time between cycles; `charts_per_hour`
    /// the metrics the charts poller is requesting per hour (counted against the budget).
    pub fn plan(
        &mut self,
        fleet: &[Endpoint],
        on_screen: &OnScreen,
        interval: Duration,
        charts_per_hour: f64,
    ) -> MetricPlan {
        let cycles_per_hour = 3600.0 / interval.as_secs_f64().max(1.0);
        let budget_metrics_per_hour = self.budget_usd_per_hour / USD_PER_METRIC_REQUESTED;
        let per_cycle = ((budget_metrics_per_hour - charts_per_hour).max(0.0)) / cycles_per_hour;
        let by_name = |n: &str| fleet.iter().find(|e| e.name == n);
        let mut chosen: Vec<String> = Vec::new();
        let mut taken: BTreeSet<&str> = BTreeSet::new();
        let mut used = 0usize;
        // The endpoint on screen always; visible rows while the budget lasts.
        let priority = on_screen
            .watched
            .iter()
            .chain(on_screen.visible.iter())
            .filter_map(|n| by_name(n));
        for (i, e) in priority.enumerate() {
            let n = series_count(e);
            if n == 0 || taken.contains(e.name.as_str()) {
                continue;
            }
            let first = i == 0 && on_screen.watched.is_some();
            if !first && (used + n) as f64 > per_cycle {
                break;
            }
            used += n;
            taken.insert(&e.name);
            chosen.push(e.name.clone());
        }
        let every_cycle = chosen.len();
        // The rest in name order, from after the cursor, while the budget lasts.
        let mut rest: Vec<&Endpoint> = fleet
            .iter()
            .filter(|e| !taken.contains(e.name.as_str()) && series_count(e) > 0)
            .collect();
        rest.sort_by(|a, b| a.name.cmp(&b.name));
        let rest_series: usize = rest.iter().map(|e| series_count(e)).sum();
        let start = self.cursor.as_ref().map_or(0, |c| {
            rest.partition_point(|e| e.name.as_str() <= c.as_str())
        });
        let room = (per_cycle - used as f64).max(0.0);
        let mut rr_used = 0usize;
        for k in 0..rest.len() {
            let e = rest[(start + k) % rest.len()];
            let n = series_count(e);
            if (rr_used + n) as f64 > room {
                break;
            }
            rr_used += n;
            chosen.push(e.name.clone());
            self.cursor = Some(e.name.clone());
        }
        let slowest_every = if rest.is_empty() {
            Some(interval)
        } else if room < 1.0 || rr_used == 0 {
            None
        } else {
            let turns = (rest_series as f64 / rr_used as f64).ceil().max(1.0);
            Some(interval.mul_f64(turns))
        };
        let planned = ((used + rr_used) as f64 * cycles_per_hour + charts_per_hour)
            * USD_PER_METRIC_REQUESTED;
        MetricPlan {
            endpoints: chosen,
            report: BudgetReport {
                budget_usd_per_hour: self.budget_usd_per_hour,
                planned_usd_per_hour: planned,
                charts_usd_per_hour: charts_per_hour * USD_PER_METRIC_REQUESTED,
                every_cycle,
                round_robin: rest.len(),
                slowest_every,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(name: &str, variants: usize) -> Endpoint {
        Endpoint {
            name: name.into(),
            arn: format!("arn:{name}"),
            status: EndpointStatus::InService,
            failure_reason: None,
            creation_time: crate::clock::fixture_epoch(),
            last_modified_time: crate::clock::fixture_epoch(),
            config_name: "c".into(),
            variants: (0..variants)
                .map(|i| Variant {
                    name: format!("v{i}"),
                    model_name: None,
                    instance_type: Some("ml.m5.large".into()),
                    current_instance_count: Some(1),
                    desired_instance_count: Some(1),
                    current_weight: Some(1.0),
                    desired_weight: Some(1.0),
                    serverless: None,
                    statuses: Vec::new(),
                })
                .collect(),
            shadow_variants: Vec::new(),
            pending: None,
        }
    }

    fn fleet(n: usize) -> Vec<Endpoint> {
        (0..n).map(|i| ep(&format!("ep-{i:04}"), 1)).collect()
    }

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn a_small_fleet_fits_whole_every_minute() {
        let f = fleet(20); // 20 × 10 series = 200 a minute = $0.12/h
        let mut g = MetricGovernor::new(0.5);
        let p = g.plan(&f, &OnScreen::default(), MIN, 0.0);
        assert_eq!(p.endpoints.len(), 20);
        assert_eq!(p.report.slowest_every, Some(MIN));
        assert!((p.report.planned_usd_per_hour - 0.12).abs() < 1e-9);
    }

    #[test]
    fn a_big_fleet_goes_round_robin_inside_the_budget_with_the_screen_first() {
        let f = fleet(1000); // 10,000 series
        let mut g = MetricGovernor::new(0.5); // 50,000 metrics/h = 833 a minute
        let on_screen = OnScreen {
            watched: None,
            visible: (500..540).map(|i| format!("ep-{i:04}")).collect(),
        };
        let mut seen = BTreeSet::new();
        let mut cycles = 0;
        while seen.len() < 1000 {
            let p = g.plan(&f, &on_screen, MIN, 0.0);
            assert!(
                p.report.planned_usd_per_hour <= 0.5 + 1e-9,
                "{}",
                p.report.planned_usd_per_hour
            );
            for v in &on_screen.visible {
                assert!(
                    p.endpoints.contains(v),
                    "visible row {v} polled every cycle"
                );
            }
            seen.extend(p.endpoints);
            cycles += 1;
            assert!(cycles < 100, "the round-robin reaches every endpoint");
        }
        // 400 a minute for the 40 visible, 433 → 43 others a minute: 960 / 43 ≈ 23 minutes.
        let p = g.plan(&f, &on_screen, MIN, 0.0);
        assert_eq!(p.report.every_cycle, 40);
        assert_eq!(p.report.slowest_every, Some(MIN * 23));
        assert!((21..=24).contains(&cycles), "{cycles}");
    }

    #[test]
    fn charts_are_paid_from_the_same_budget_and_the_detail_always_polls() {
        let f = fleet(100);
        let on_screen = OnScreen {
            watched: Some("ep-0042".into()),
            visible: vec![],
        };
        let mut g = MetricGovernor::new(0.5);
        let without = g.plan(&f, &on_screen, MIN, 0.0).endpoints.len();
        let mut g = MetricGovernor::new(0.5);
        // Charts take 40,000 metrics an hour of the 50,000.
        let p = g.plan(&f, &on_screen, MIN, 40_000.0);
        assert!(
            p.endpoints.len() < without,
            "{} vs {without}",
            p.endpoints.len()
        );
        assert_eq!(p.endpoints[0], "ep-0042");
        assert!(p.report.planned_usd_per_hour <= 0.5 + 1e-9);
        // A budget of zero still polls the endpoint on screen, and says the rest wait.
        let mut g = MetricGovernor::new(0.0);
        let p = g.plan(&f, &on_screen, MIN, 0.0);
        assert_eq!(p.endpoints, vec!["ep-0042".to_string()]);
        assert_eq!(p.report.slowest_every, None);
    }
}
