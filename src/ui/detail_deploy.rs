//! Owns the endpoint detail's deployment lines: a blue/green deployment's new fleet
//! (`PendingDeploymentSummary`: counts, instance type, VariantStatus), shadow variants, and the
//! VariantStatus of production variants while a change is under way.

use crate::domain::{Endpoint, Timestamp, Variant, VariantStatusEntry};

use super::format;

fn count(n: Option<u32>) -> String {
    n.map_or_else(|| format::MISSING.to_string(), |n| n.to_string())
}

fn fleet(v: &Variant) -> String {
    let ty = v.instance_type.as_deref().unwrap_or("serverless");
    format!(
        "{}/{} {ty}",
        count(v.current_instance_count),
        count(v.desired_instance_count)
    )
}

fn status_text(list: &[VariantStatusEntry], now: Timestamp) -> String {
    list.iter()
        .map(|s| {
            let mut t = s.status.clone();
            if let Some(start) = s.start_time {
                t.push_str(&format!(" {}", format::age(now, start)));
            }
            if let Some(m) = s.message.as_deref().filter(|m| !m.is_empty()) {
                t.push_str(&format!(" ({m})"));
            }
            t
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// One line per fact, most important first: (text, whether it is a change under way).
pub fn lines(e: &Endpoint, now: Timestamp) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    if let Some(p) = &e.pending {
        for v in p.variants.iter().chain(&p.shadow_variants) {
            let mut t = format!("Blue/green: new fleet {} {}", v.name, fleet(v));
            let st = status_text(&v.statuses, now);
            if !st.is_empty() {
                t.push_str(&format!(" · {st}"));
            }
            t.push_str(&format!(" · config {}", p.config_name));
            if let Some(start) = p.start_time {
                t.push_str(&format!(" · started {} ago", format::age(now, start)));
            }
            out.push((t, true));
        }
    }
    for v in &e.variants {
        let st = status_text(&v.statuses, now);
        if !st.is_empty() {
            out.push((format!("{}: {st}", v.name), true));
        }
    }
    for v in &e.shadow_variants {
        let mut t = format!(
            "Shadow {} {} (gets a copy of the traffic, answers no one)",
            v.name,
            fleet(v)
        );
        let st = status_text(&v.statuses, now);
        if !st.is_empty() {
            t.push_str(&format!(" · {st}"));
        }
        out.push((t, false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EndpointStatus, PendingDeployment};

    fn v(name: &str, cur: u32, des: u32) -> Variant {
        Variant {
            name: name.into(),
            model_name: None,
            instance_type: Some("ml.g5.xlarge".into()),
            current_instance_count: Some(cur),
            desired_instance_count: Some(des),
            current_weight: Some(1.0),
            desired_weight: Some(1.0),
            serverless: None,
            statuses: Vec::new(),
        }
    }

    #[test]
    fn blue_green_new_fleet_and_shadow_variants_are_spelled_out() {
        let now = crate::clock::fixture_epoch();
        let mut new = v("AllTraffic", 2, 4);
        new.statuses = vec![VariantStatusEntry {
            status: "Baking".into(),
            message: Some("waiting for alarms".into()),
            start_time: Some(now - chrono::Duration::minutes(3)),
        }];
        let e = Endpoint {
            name: "bg".into(),
            arn: String::new(),
            status: EndpointStatus::Updating,
            failure_reason: None,
            creation_time: now,
            last_modified_time: now,
            config_name: "bg-v1".into(),
            shadow_variants: vec![v("shadow", 1, 1)],
            pending: Some(PendingDeployment {
                config_name: "bg-v2".into(),
                start_time: Some(now - chrono::Duration::minutes(5)),
                variants: vec![new],
                shadow_variants: Vec::new(),
            }),
            variants: vec![v("AllTraffic", 4, 4)],
        };
        let l = lines(&e, now);
        assert_eq!(l.len(), 2, "{l:?}");
        assert!(
            l[0].0
                .starts_with("Blue/green: new fleet AllTraffic 2/4 ml.g5.xlarge · Baking"),
            "{}",
            l[0].0
        );
        assert!(l[0].0.contains("waiting for alarms") && l[0].0.contains("config bg-v2"));
        assert!(
            l[1].0.starts_with("Shadow shadow 1/1 ml.g5.xlarge"),
            "{}",
            l[1].0
        );
    }
}
