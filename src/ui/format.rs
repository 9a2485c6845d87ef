//! Text helpers for views: number formats, ages, widths and truncation with "…".

use ratatui::text::Span;

use crate::app::{AppState, Panel};
use crate::boundary::BackendError;
use crate::domain::Timestamp;
use crate::units::format_age;

/// Shown where a figure is missing (no datapoint, no traffic, not applicable).
pub const MISSING: &str = "-";

/// Display width of a string in terminal cells.
pub fn width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        Span::raw(s).width()
    }
}

/// Cuts `s` to at most `max` cells, ending with "…" when something was cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::with_capacity(max + 3);
    let mut used = 0;
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let w = if c.is_ascii() {
            1
        } else {
            Span::raw(&*c.encode_utf8(&mut buf)).width()
        };
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Invocations per minute (or any rate): "0", "4.5", "812", "12.3k", "1.2M".
pub fn rate(v: f64) -> String {
    if !v.is_finite() {
        return MISSING.into();
    }
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a < 10.0 && v.fract() != 0.0 {
        format!("{v:.1}")
    } else if a < 10_000.0 {
        format!("{v:.0}")
    } else if a < 1_000_000.0 {
        format!("{:.1}k", v / 1_000.0)
    } else {
        format!("{:.1}M", v / 1_000_000.0)
    }
}

/// Milliseconds: "0.85", "4.2", "38", "1240".
pub fn ms(v: f64) -> String {
    if !v.is_finite() {
        return MISSING.into();
    }
    let a = v.abs();
    if a < 1.0 {
        format!("{v:.2}")
    } else if a < 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// A 0..=1 share as a percentage with enough digits for error rates: "0.00", "2.50", "12.5", "100".
pub fn share_pct(share: f64) -> String {
    if !share.is_finite() {
        return MISSING.into();
    }
    let p = share * 100.0;
    if p < 10.0 {
        format!("{p:.2}")
    } else if p < 100.0 {
        format!("{p:.1}")
    } else {
        format!("{p:.0}")
    }
}

/// A utilization percentage (may exceed 100 when summed over cores): "7", "45", "312".
pub fn util(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.0}")
    } else {
        MISSING.into()
    }
}

/// A count (errors): "0", "17", "12.3k".
pub fn count(v: f64) -> String {
    rate(v.round())
}

/// Formats an optional figure, or the missing mark.
pub fn opt(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map_or_else(|| MISSING.to_string(), f)
}

/// "12s", "4m", "3h" since `t`.
pub fn age(now: Timestamp, t: Timestamp) -> String {
    format_age((now - t).num_seconds())
}

/// "2026-03-02 13:50" (UTC).
pub fn date_time(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// "13:50:07" (UTC).
pub fn clock_time(t: Timestamp) -> String {
    t.format("%H:%M:%S").to_string()
}

/// Freshness of a panel for a section title: "45s ago", or "throttled, retry in 8s (data 3m old)".
/// The bool says whether the panel is failing (style it `stale`/`danger`).
pub fn panel_freshness(state: &AppState, panel: Panel) -> (String, bool) {
    // In an endpoint's detail with several accounts or regions open, a panel's freshness is
    // that of the endpoint's own context (another context failing is not this one's news).
    let own = match &state.view {
        crate::app::View::Detail { endpoint } if state.contexts.multi() => state
            .contexts
            .of(endpoint)
            .and_then(|c| c.panels.get(&panel)),
        _ => None,
    };
    // The account-wide views on one `:ctx`-selected context show that context's freshness.
    let selected = match &state.view {
        crate::app::View::Quotas | crate::app::View::Events | crate::app::View::Api => {
            Some(crate::app::ctx_views::view_health(state, panel))
        }
        _ => None,
    };
    let h = own.or(selected).unwrap_or_else(|| state.health(panel));
    health_freshness(state, panel, h)
}

/// "12s ago", or the failure, retry time and age of the data in `h` (one panel's health).
pub fn health_freshness(
    state: &AppState,
    panel: Panel,
    h: &crate::app::PanelHealth,
) -> (String, bool) {
    let now = state.now;
    match &h.error {
        None => match h.last_ok {
            Some(t) => (format!("{} ago", age(now, t)), false),
            None if h.refreshing => ("loading…".into(), false),
            None => ("not loaded yet".into(), false),
        },
        Some(err) => {
            let mut s = format!("{}: {}", panel.label(), failure_text(err));
            let sep = if needs_person(err) { ";" } else { "," };
            if let Some(retry) = h.retry_at {
                let secs = (retry - now).num_seconds();
                if secs > 0 {
                    s.push_str(&format!("{sep} retry in {}", format_age(secs)));
                } else {
                    s.push_str(&format!("{sep} retrying"));
                }
            }
            match h.last_ok {
                Some(t) => s.push_str(&format!(" (data {} old)", age(now, t))),
                None => s.push_str(" (no data yet)"),
            }
            (s, true)
        }
    }
}

/// Errors only a person can fix: access denied, expired credentials.
fn needs_person(err: &BackendError) -> bool {
    matches!(
        err,
        BackendError::AccessDenied { .. } | BackendError::Credentials { .. }
    )
}

/// What failed; for errors a person must fix, also what to do
/// ("access denied — grant cloudtrail:LookupEvents to your role or user").
pub fn failure_text(err: &BackendError) -> String {
    if needs_person(err) {
        format!("{} — {}", err.short(), err.hint())
    } else {
        err.short().to_string()
    }
}

/// Short label of an autoscaling metric: drops the `SageMakerVariant` prefix.
pub fn metric_label(metric: &str) -> &str {
    metric.strip_prefix("SageMakerVariant").unwrap_or(metric)
}

/// Short label of a policy type: "target tracking", "step".
pub fn policy_label(policy_type: &str) -> String {
    match policy_type {
        "TargetTrackingScaling" => "target tracking".into(),
        "StepScaling" => "step scaling".into(),
        "PredictiveScaling" => "predictive".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("fraud-detector", 20), "fraud-detector");
        assert_eq!(truncate("fraud-detector", 6), "fraud…");
        assert_eq!(truncate("fraud", 1), "…");
        assert_eq!(truncate("fraud", 0), "");
        assert_eq!(width(&truncate("a→b→c→d", 4)), 4);
    }

    #[test]
    fn numbers_are_compact() {
        assert_eq!(rate(0.0), "0");
        assert_eq!(rate(4.5), "4.5");
        assert_eq!(rate(812.4), "812");
        assert_eq!(rate(12_345.0), "12.3k");
        assert_eq!(ms(0.85), "0.85");
        assert_eq!(ms(38.4), "38");
        assert_eq!(share_pct(0.0), "0.00");
        assert_eq!(share_pct(0.125), "12.5");
        assert_eq!(share_pct(1.0), "100");
        assert_eq!(util(312.4), "312");
    }
}

/// A region's short code for narrow columns: "us-east-1" → "use1", "ap-southeast-2" →
/// "apse2", "eu-central-1" → "euc1". Names of another shape come back unchanged.
pub fn region_code(region: &str) -> String {
    let parts: Vec<&str> = region.split('-').collect();
    let [area, direction, number] = parts.as_slice() else {
        return region.to_string();
    };
    let dir: String = match *direction {
        "northeast" => "ne".into(),
        "northwest" => "nw".into(),
        "southeast" => "se".into(),
        "southwest" => "sw".into(),
        d => d.chars().take(1).collect(),
    };
    format!("{area}{dir}{number}")
}

#[cfg(test)]
mod region_code_tests {
    #[test]
    fn region_codes_are_short_and_distinct() {
        use super::region_code as c;
        assert_eq!(c("us-east-1"), "use1");
        assert_eq!(c("eu-west-1"), "euw1");
        assert_eq!(c("ap-southeast-2"), "apse2");
        assert_eq!(c("ap-south-1"), "aps1");
        assert_eq!(c("eu-central-1"), "euc1");
        assert_eq!(c("local"), "local");
    }
}
