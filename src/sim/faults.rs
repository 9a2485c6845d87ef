//! Owns the seam between the simulated account and fault injection (`--demo-faults`): the
//! account is the world faults act on (endpoints deleted by someone else, alarms that fire,
//! the caller named in denials), and the account behind a spec, checked against it.

use std::sync::Arc;

use crate::boundary::{Layer, SharedBackend};
use crate::clock::SharedClock;
use crate::domain::AlarmStateValue;
use crate::faults::{FaultSpec, Faults, World};
use crate::sim::SimAccount;

impl World for SimAccount {
    fn delete_endpoint(&self, name: &str) -> bool {
        SimAccount::delete_endpoint(self, name)
    }

    fn caller_arn(&self) -> String {
        crate::sim::OPERATOR_ARN.to_string()
    }

    fn set_alarm_state(&self, alarm: &str, state: AlarmStateValue, reason: &str) -> bool {
        if !self.alarm_names().iter().any(|a| a == alarm) {
            return false;
        }
        SimAccount::set_alarm_state(self, alarm, state, reason);
        true
    }
}

/// The fault layer of `spec` acting on `sim`.
pub fn faults_on(sim: &Arc<SimAccount>, spec: FaultSpec, clock: SharedClock, seed: u64) -> Faults {
    let world: Arc<dyn World> = sim.clone();
    Faults::new(spec, clock, seed).with_world(world)
}

/// The simulated account behind `--demo-faults SPEC`; an endpoint the spec deletes must exist.
pub fn demo_backend(
    sim: Arc<SimAccount>,
    spec: &FaultSpec,
    clock: SharedClock,
    seed: u64,
    profile: Option<String>,
) -> Result<SharedBackend, String> {
    check_spec(&sim, spec)?;
    tracing::info!(spec = %spec, seed, "fault injection on");
    let faults = faults_on(&sim, spec.clone(), clock, seed).with_profile(profile);
    Ok(Arc::new(faults.over(sim)))
}

/// Checks a `--demo-faults` spec against the simulated account it will act on: an endpoint
/// the spec deletes, and an alarm it sets, must exist.
pub fn check_spec(sim: &SimAccount, spec: &FaultSpec) -> Result<(), String> {
    let alarms = sim.alarm_names();
    for a in &spec.alarms {
        if !alarms.contains(&a.alarm) {
            return Err(format!(
                "--demo-faults: alarm names `{}`, which the simulated account does not have (it has {})",
                a.alarm,
                alarms.join(", ")
            ));
        }
    }
    let names = sim.endpoint_names();
    for d in &spec.deletions {
        if !names.contains(&d.endpoint) {
            let shown: Vec<&str> = names.iter().take(12).map(String::as_str).collect();
            let more = if names.len() > shown.len() {
                ", …"
            } else {
                ""
            };
            return Err(format!(
                "--demo-faults: delete-endpoint names `{}`, which the simulated account does not have (it has {}{more})",
                d.endpoint,
                shown.join(", ")
            ));
        }
    }
    Ok(())
}
