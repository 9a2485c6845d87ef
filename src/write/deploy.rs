//! Owns the deploy write's words: `UpdateEndpoint` with its `DeploymentConfig` as the API
//! takes it (for the confirm dialog and the audit line), and how a describe shows it applied.
//! https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html

use serde_json::{Value, json};

use crate::domain::*;

fn capacity(c: CapacitySize) -> Value {
    match c {
        CapacitySize::InstanceCount(n) => json!({ "Type": "INSTANCE_COUNT", "Value": n }),
        CapacitySize::CapacityPercent(n) => json!({ "Type": "CAPACITY_PERCENT", "Value": n }),
    }
}

fn capacity_text(c: CapacitySize) -> String {
    match c {
        CapacitySize::InstanceCount(n) => format!("{{Type=INSTANCE_COUNT, Value={n}}}"),
        CapacitySize::CapacityPercent(n) => format!("{{Type=CAPACITY_PERCENT, Value={n}}}"),
    }
}

/// The request body, as the audit log records it.
pub fn api_json(r: &DeploymentRequest) -> Value {
    let mut config = match r.strategy {
        DeploymentStrategy::BlueGreen {
            routing,
            wait_interval_s,
            termination_wait_s,
            max_execution_timeout_s,
        } => {
            let mut t = json!({ "WaitIntervalInSeconds": wait_interval_s });
            match routing {
                TrafficRouting::AllAtOnce => t["Type"] = json!("ALL_AT_ONCE"),
                TrafficRouting::Canary(c) => {
                    t["Type"] = json!("CANARY");
                    t["CanarySize"] = capacity(c);
                }
                TrafficRouting::Linear(c) => {
                    t["Type"] = json!("LINEAR");
                    t["LinearStepSize"] = capacity(c);
                }
            }
            let mut p = json!({
                "TrafficRoutingConfiguration": t,
                "TerminationWaitInSeconds": termination_wait_s,
            });
            if let Some(m) = max_execution_timeout_s {
                p["MaximumExecutionTimeoutInSeconds"] = json!(m);
            }
            json!({ "BlueGreenUpdatePolicy": p })
        }
        DeploymentStrategy::Rolling {
            batch,
            wait_interval_s,
            rollback_batch,
            max_execution_timeout_s,
        } => {
            let mut p = json!({
                "MaximumBatchSize": capacity(batch),
                "WaitIntervalInSeconds": wait_interval_s,
            });
            if let Some(b) = rollback_batch {
                p["RollbackMaximumBatchSize"] = capacity(b);
            }
            if let Some(m) = max_execution_timeout_s {
                p["MaximumExecutionTimeoutInSeconds"] = json!(m);
            }
            json!({ "RollingUpdatePolicy": p })
        }
    };
    if !r.rollback_alarms.is_empty() {
        let alarms: Vec<Value> = r
            .rollback_alarms
            .iter()
            .map(|a| json!({ "AlarmName": a }))
            .collect();
        config["AutoRollbackConfiguration"] = json!({ "Alarms": alarms });
    }
    json!({
        "EndpointName": r.endpoint,
        "EndpointConfigName": r.config_name,
        "DeploymentConfig": config,
    })
}

/// The call, one argument per line (the confirm dialog shows it).
pub fn api_lines(r: &DeploymentRequest) -> Vec<String> {
    let mut out = vec![
        "UpdateEndpoint(".to_string(),
        format!("  EndpointName={},", r.endpoint),
        format!("  EndpointConfigName={},", r.config_name),
        "  DeploymentConfig={".into(),
    ];
    match r.strategy {
        DeploymentStrategy::BlueGreen {
            routing,
            wait_interval_s,
            termination_wait_s,
            ..
        } => {
            let t = match routing {
                TrafficRouting::AllAtOnce => "Type=ALL_AT_ONCE".to_string(),
                TrafficRouting::Canary(c) => format!("Type=CANARY, CanarySize={}", capacity_text(c)),
                TrafficRouting::Linear(c) => {
                    format!("Type=LINEAR, LinearStepSize={}", capacity_text(c))
                }
            };
            out.push(format!(
                "    BlueGreenUpdatePolicy={{TrafficRoutingConfiguration={{{t}, WaitIntervalInSeconds={wait_interval_s}}},"
            ));
            out.push(format!(
                "      TerminationWaitInSeconds={termination_wait_s}}},"
            ));
        }
        DeploymentStrategy::Rolling {
            batch,
            wait_interval_s,
            ..
        } => out.push(format!(
            "    RollingUpdatePolicy={{MaximumBatchSize={}, WaitIntervalInSeconds={wait_interval_s}}},",
            capacity_text(batch)
        )),
    }
    if !r.rollback_alarms.is_empty() {
        out.push(format!(
            "    AutoRollbackConfiguration={{Alarms=[{}]}}",
            r.rollback_alarms
                .iter()
                .map(|a| format!("{{AlarmName={a}}}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out.push("  })".into());
    out
}

/// A describe shows this deployment under way (the new config pending) or done.
pub fn deploying_or_done(r: &DeploymentRequest, e: &Endpoint) -> bool {
    e.config_name == r.config_name
        || e.pending
            .as_ref()
            .is_some_and(|p| p.config_name == r.config_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_names_the_strategy_and_alarms_as_the_api_does() {
        let r = DeploymentRequest {
            endpoint: "ep".into(),
            config_name: "ep-v2".into(),
            strategy: DeploymentStrategy::BlueGreen {
                routing: TrafficRouting::Linear(CapacitySize::CapacityPercent(20)),
                wait_interval_s: 300,
                termination_wait_s: 120,
                max_execution_timeout_s: None,
            },
            rollback_alarms: vec!["ep-5xx".into()],
        };
        let j = api_json(&r);
        let t = &j["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"];
        assert_eq!(t["Type"], "LINEAR");
        assert_eq!(t["LinearStepSize"]["Value"], 20);
        assert_eq!(
            j["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"][0]["AlarmName"],
            "ep-5xx"
        );
        let lines = api_lines(&r).join("\n");
        assert!(lines.contains("EndpointConfigName=ep-v2"), "{lines}");
        assert!(lines.contains("Type=LINEAR"), "{lines}");
        assert!(lines.contains("TerminationWaitInSeconds=120"), "{lines}");
    }
}
