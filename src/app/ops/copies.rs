//! Copy counts of inference components from the console: opening the copies dialog (`c` in
//! the detail), the facts and checks a count passes before review, and the tracking of an
//! accepted `UpdateInferenceComponentRuntimeConfig` until the component is InService with the
//! new count (hosting polls advance it; the endpoint's own status does not move).

use super::tracking::{NOT_SEEN_SECS, TrackPhase, TrackedWrite, finish};
use super::{focused, notice, updatable, writable};
use crate::app::action::Command;
use crate::app::dialogs::{CopiesDialog, Dialog};
use crate::app::state::{AppState, NoticeLevel};
use crate::domain::*;
use crate::write::{Origin, WriteRequest};

/// What the state says about the component being scaled.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyFacts {
    pub endpoint: String,
    pub endpoint_status: EndpointStatus,
    pub component: String,
    pub model: Option<String>,
    pub status: Option<ComponentStatus>,
    pub current: u32,
    pub desired: Option<u32>,
    /// Registered autoscaling of the copy count (min, max).
    pub range: Option<(u32, u32)>,
    pub has_policy: bool,
}

/// Facts about `component` of `endpoint` from the polled state.
pub fn facts(state: &AppState, endpoint: &str, component: &str) -> Option<CopyFacts> {
    let e = state.endpoint(endpoint)?;
    let ic = state
        .autoscaling
        .hosting
        .get(endpoint)?
        .component(component)?;
    let scaling = state.autoscaling.components.get(component);
    Some(CopyFacts {
        endpoint: endpoint.to_string(),
        endpoint_status: e.status,
        component: component.to_string(),
        model: ic.model.clone(),
        status: ic.status,
        current: ic.current_copies.unwrap_or(0),
        desired: ic.desired_copies,
        range: scaling.and_then(|s| s.range),
        has_policy: scaling.is_some_and(|s| !s.policies.is_empty()),
    })
}

/// The endpoint's hosting, as last read, lists inference components (it has copies to scale).
pub fn hosts_components(state: &AppState, endpoint: &str) -> bool {
    state
        .autoscaling
        .hosting
        .get(endpoint)
        .is_some_and(|h| !h.components.is_empty())
}

/// A copy count: a whole number ≥ 0 (`CopyCount` has a minimum of 0 and no documented
/// maximum:
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentRuntimeConfig.html).
pub fn parse_copies(text: &str) -> Result<u32, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("enter a copy count (a whole number, 0 or more)".into());
    }
    if let Ok(n) = t.parse::<u64>() {
        return u32::try_from(n).map_err(|_| format!("`{t}` is too many copies"));
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_nan() => Err(format!("`{t}` is not a number")),
        Ok(v) if v < 0.0 => Err(format!("`{t}` is negative: a copy count is 0 or more")),
        Ok(v) if v.is_infinite() || v > f64::from(u32::MAX) => {
            Err(format!("`{t}` is too many copies"))
        }
        Ok(_) => Err(format!("`{t}` is not a whole number of copies")),
        Err(_) => Err(format!("`{t}` is not a whole number")),
    }
}

/// The count to send, or why not.
pub fn check(f: &CopyFacts, text: &str) -> Result<u32, String> {
    let n = parse_copies(text)?;
    if !f.endpoint_status.accepts_updates() {
        return Err(format!(
            "{} is {}: only an InService endpoint accepts changes; wait until it is InService",
            f.endpoint, f.endpoint_status
        ));
    }
    // AWS refuses a change while the component is still changing:
    // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponentRuntimeConfig.html
    if f.status != Some(ComponentStatus::InService) {
        return Err(format!(
            "{} is {}: only an InService component accepts a new copy count; wait until it is InService",
            f.component,
            f.status
                .map_or("in an unknown state", ComponentStatus::as_str)
        ));
    }
    if n == f.current && f.desired.is_none_or(|d| d == n) {
        return Err(format!(
            "{} already runs {n} copies: nothing to change",
            f.component
        ));
    }
    if let Some((min, max)) = f.range
        && (n < min || n > max)
    {
        return Err(format!(
            "{n} is outside the autoscaling range {min}–{max} of {}: autoscaling would move it back; change the range first (RegisterScalableTarget on inference-component/{})",
            f.component, f.component
        ));
    }
    Ok(n)
}

/// `c`: the copies dialog of the focused endpoint (it must host inference components).
pub fn open(state: &mut AppState, now: Timestamp) -> Vec<Command> {
    let Some(e) = focused(state, now) else {
        return Vec::new();
    };
    if let Err(why) = writable(state, &e) {
        notice(state, NoticeLevel::Error, why, now);
        return Vec::new();
    }
    let components: Vec<(String, u32)> = state
        .autoscaling
        .hosting
        .get(&e.name)
        .map(|h| {
            h.components
                .iter()
                .map(|c| (c.name.clone(), c.current_copies.unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    let Some(mut d) = CopiesDialog::open(&e.name, components) else {
        notice(
            state,
            NoticeLevel::Error,
            format!(
                "{} hosts no inference components (none read yet): it has no copies to scale",
                e.name
            ),
            now,
        );
        return Vec::new();
    };
    if let Err(why) = updatable(state, &e) {
        d.message = Some(why);
    }
    state.ops.dialog = Some(Dialog::Copies(d));
    Vec::new()
}

/// Shows the accepted change on the component until a poll reports it: AWS sets Updating
/// and the desired count as soon as it accepts the call.
pub fn show_pending(state: &mut AppState, request: &WriteRequest) {
    let Some(change) = request.copy_change() else {
        return;
    };
    if let Some(ic) = state
        .autoscaling
        .hosting
        .get_mut(request.endpoint())
        .and_then(|h| h.components.iter_mut().find(|c| c.name == change.component))
    {
        ic.status = Some(ComponentStatus::Updating);
        ic.desired_copies = Some(change.desired_copies);
    }
}

/// After a hosting read: advance every accepted copy change by what it shows.
pub fn on_hosting(state: &mut AppState, at: Timestamp) {
    let applying: Vec<(String, TrackedWrite)> = state
        .ops
        .writes
        .iter()
        .filter(|(_, w)| matches!(w.phase, TrackPhase::Applying { .. }))
        .filter(|(_, w)| matches!(w.request, WriteRequest::Copies { .. }))
        .map(|(k, w)| (k.clone(), w.clone()))
        .collect();
    for (name, mut w) in applying {
        let TrackPhase::Applying { accepted_at } = w.phase else {
            continue;
        };
        let Some(change) = w.request.copy_change() else {
            continue;
        };
        let ic = state
            .autoscaling
            .hosting
            .get(&name)
            .and_then(|h| h.component(&change.component))
            .cloned();
        let result = match ic {
            None => Some((
                NoticeLevel::Warning,
                format!(
                    "{} is no longer listed on {name}; its copy change could not be followed",
                    change.component
                ),
            )),
            Some(ic) if ic.status.is_some_and(ComponentStatus::is_transitional) => {
                w.seen_updating = true;
                state.ops.writes.insert(name.clone(), w.clone());
                None
            }
            Some(_)
                if w.request
                    .copies_current_in(&state.autoscaling.hosting[&name]) =>
            {
                Some((
                    NoticeLevel::Info,
                    format!(
                        "{} on {name} is InService with {} copies",
                        change.component, change.desired_copies
                    ),
                ))
            }
            Some(ic) if ic.status == Some(ComponentStatus::Failed) => Some((
                NoticeLevel::Error,
                format!(
                    "{} on {name} is Failed{}",
                    change.component,
                    ic.failure_reason
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
            )),
            Some(ic) if w.seen_updating => Some((
                NoticeLevel::Warning,
                format!(
                    "{} on {name} is InService again with {} copies, not {}: the change did not take effect (autoscaling or another change?)",
                    change.component,
                    ic.current_copies.map_or("?".into(), |n| n.to_string()),
                    change.desired_copies
                ),
            )),
            Some(_) if (at - accepted_at).num_seconds() > NOT_SEEN_SECS => Some((
                NoticeLevel::Warning,
                format!(
                    "{} on {name} still shows no copy change {}s after it was accepted; check the component",
                    change.component,
                    (at - accepted_at).num_seconds()
                ),
            )),
            Some(_) => {
                // An older read: keep showing the pending change.
                show_pending(state, &w.request);
                None
            }
        };
        if let Some((level, text)) = result {
            finish(&mut state.ops, &name, &w, level, text.clone(), at);
            if w.origin == Origin::User || level != NoticeLevel::Info {
                notice(state, level, text, at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f() -> CopyFacts {
        CopyFacts {
            endpoint: "llm".into(),
            endpoint_status: EndpointStatus::InService,
            component: "chat".into(),
            model: None,
            status: Some(ComponentStatus::InService),
            current: 3,
            desired: Some(3),
            range: Some((2, 6)),
            has_policy: true,
        }
    }

    #[test]
    fn counts_are_checked_against_status_and_the_autoscaling_range() {
        assert_eq!(check(&f(), "5"), Ok(5));
        assert!(
            check(&f(), "0")
                .unwrap_err()
                .contains("outside the autoscaling range 2–6")
        );
        assert!(
            check(&f(), "7")
                .unwrap_err()
                .contains("RegisterScalableTarget on inference-component/chat")
        );
        assert!(
            check(&f(), "3")
                .unwrap_err()
                .contains("already runs 3 copies")
        );
        let mut no_range = f();
        no_range.range = None;
        assert_eq!(check(&no_range, "0"), Ok(0), "CopyCount's minimum is 0");
        let mut updating = f();
        updating.status = Some(ComponentStatus::Updating);
        assert!(
            check(&updating, "4")
                .unwrap_err()
                .contains("chat is Updating")
        );
        let mut ep = f();
        ep.endpoint_status = EndpointStatus::Updating;
        assert!(check(&ep, "4").unwrap_err().contains("llm is Updating"));
        assert!(
            parse_copies("4294967296")
                .unwrap_err()
                .contains("too many copies")
        );
    }
}
