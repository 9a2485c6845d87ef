//! The write commands `:weights`, `:scale` and `:shift`: parsed, checked against the state
//! and turned into the same dialogs the keys open (nothing is sent without confirming).

use super::{notice, updatable, writable};
use crate::app::action::Command;
use crate::app::dialogs::field::{parse_count, validate_weights};
use crate::app::dialogs::{Dialog, ScaleDialog, confirm, scale};
use crate::app::state::{AppState, NoticeLevel};
use crate::domain::{Endpoint, Timestamp};
use crate::rollout::{self, args, guard::MinuteFigures};
use crate::write::request::{keep_weight, scale_request, weights_request};

/// Runs a write command; `None` when the line is not one.
pub fn run(state: &mut AppState, line: &str, now: Timestamp) -> Option<Vec<Command>> {
    let line = line.trim().trim_start_matches(':').trim();
    let mut words = line.split_whitespace();
    let head = words.next()?;
    let rest: Vec<&str> = words.collect();
    if matches!(head, "q" | "quit" | "exit") && rest.is_empty() {
        // `:q!` quits at once; `:q` asks first while a shift runs.
        return super::confirm_quit(state);
    }
    use crate::app::command_registry::{CommandId, find};
    let id = find(head).map(|c| c.id)?;
    if !matches!(id, CommandId::Weights | CommandId::Scale | CommandId::Shift) {
        return None;
    }
    state.dirty = true;
    if state.session.read_only {
        notice(
            state,
            NoticeLevel::Error,
            format!("read-only mode: :{head} is off (restart without --read-only)"),
            now,
        );
        return Some(Vec::new());
    }
    let result = match id {
        CommandId::Weights => weights(state, &rest),
        CommandId::Scale => scale_cmd(state, &rest),
        _ => shift(state, &rest),
    };
    if let Err(msg) = result {
        notice(state, NoticeLevel::Error, msg, now);
    }
    Some(Vec::new())
}

/// The endpoint named exactly, or the one whose name contains `name`.
pub fn resolve(state: &AppState, name: &str) -> Result<Endpoint, String> {
    if let Some(e) = state.endpoint(name) {
        return Ok(e.clone());
    }
    let hits: Vec<&Endpoint> = state
        .endpoints
        .iter()
        .filter(|e| e.name.contains(name))
        .collect();
    match hits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!(
            "no endpoint named `{name}` (press r to refresh the list)"
        )),
        many => Err(format!(
            "`{name}` matches {} endpoints: {}",
            many.len(),
            many.iter()
                .map(|e| e.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn unknown_variant(e: &Endpoint, v: &str) -> String {
    format!(
        "{} has no variant `{v}`: its variants are {}",
        e.name,
        e.variants
            .iter()
            .map(|v| v.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// `:weights EP VARIANT=W [VARIANT=W …]` → the confirm dialog.
fn weights(state: &mut AppState, rest: &[&str]) -> Result<(), String> {
    const USAGE: &str = ":weights ENDPOINT VARIANT=WEIGHT [VARIANT=WEIGHT …]";
    let [name, pairs @ ..] = rest else {
        return Err(format!(
            "give the endpoint and at least one weight: {USAGE}"
        ));
    };
    if pairs.is_empty() {
        return Err(format!("give at least one VARIANT=WEIGHT: {USAGE}"));
    }
    let e = resolve(state, name)?;
    let mut given: Vec<(String, String)> = Vec::new();
    for p in pairs {
        let Some((v, w)) = p.split_once('=') else {
            return Err(format!(
                "`{p}` is not VARIANT=WEIGHT (e.g. Canary=10): {USAGE}"
            ));
        };
        if e.variant(v).is_none() {
            return Err(unknown_variant(&e, v));
        }
        if given.iter().any(|(g, _)| g == v) {
            return Err(format!("{v} is given twice"));
        }
        given.push((v.to_string(), w.to_string()));
    }
    // Every variant is checked, the ones left out with the weight they keep.
    let names: Vec<String> = e.variants.iter().map(|v| v.name.clone()).collect();
    let texts: Vec<String> = e
        .variants
        .iter()
        .map(|v| {
            given
                .iter()
                .find(|(g, _)| *g == v.name)
                .map_or_else(|| keep_weight(v).to_string(), |(_, w)| w.clone())
        })
        .collect();
    let ws = validate_weights(&names, &texts)?;
    updatable(state, &e)?;
    let request = weights_request(&e, &names.into_iter().zip(ws).collect::<Vec<_>>());
    if request.desired_in(&e) {
        return Err(format!(
            "{} already has these weights: nothing to change",
            e.name
        ));
    }
    state.ops.dialog = Some(Dialog::Confirm(confirm::for_weights(
        &e,
        request,
        state.production_for(&e.name),
    )));
    Ok(())
}

/// `:scale EP VARIANT COUNT` → the confirm dialog, or the scale dialog when the count is
/// outside the autoscaling range (it offers to change the range).
fn scale_cmd(state: &mut AppState, rest: &[&str]) -> Result<(), String> {
    let [name, variant, count] = rest else {
        return Err(":scale ENDPOINT VARIANT COUNT (e.g. :scale fraud AllTraffic 3)".into());
    };
    let e = resolve(state, name)?;
    let Some(v) = e.variant(variant) else {
        return Err(unknown_variant(&e, variant));
    };
    if v.serverless.is_some() {
        return Err(format!(
            "{variant} is serverless: it has no instance count to scale"
        ));
    }
    let n = parse_count(count)?;
    writable(state, &e)?;
    let f = scale::facts(state, &e.name, variant).ok_or_else(|| unknown_variant(&e, variant))?;
    match scale::check(&f, count) {
        Ok(n) => {
            let request = scale_request(&e, variant, n);
            let c = confirm::for_scale(&e, &f, n, request, state.production_for(&e.name));
            state.ops.dialog = Some(Dialog::Confirm(c));
            Ok(())
        }
        Err(scale::Refusal::Range { message, .. }) => {
            let mut d = ScaleDialog::open(&e, Some(variant), Some(n))
                .ok_or_else(|| format!("{variant} cannot be scaled"))?;
            d.message = Some(message);
            d.focus = scale::ScaleFocus::Range;
            state.ops.dialog = Some(Dialog::Scale(d));
            Ok(())
        }
        Err(r) => Err(r.message().to_string()),
    }
}

/// `:shift …` → the confirm dialog with the planned steps.
fn shift(state: &mut AppState, rest: &[&str]) -> Result<(), String> {
    let a = args::parse(rest)?;
    let e = resolve(state, &a.endpoint)?;
    updatable(state, &e)?;
    let guard = rollout::Guard {
        max_5xx_rate: a.max_5xx_rate.unwrap_or(state.ops.guard.max_5xx_rate),
        max_latency_ms: a.max_latency_ms.unwrap_or(state.ops.guard.max_latency_ms),
    };
    let plan = rollout::plan(&e, &a.from, &a.to, a.mode, a.wait, guard, 0)?;
    // A guard the current traffic already breaches would roll back at once: say so first.
    for v in [&a.from, &a.to] {
        if let Some(m) = state.variant_metrics(&e.name, v) {
            let fig = MinuteFigures {
                minute: m.at.unwrap_or(state.now),
                invocations: m.invocations_per_min.unwrap_or(0.0),
                errors_5xx: m.errors_5xx.unwrap_or(0.0),
                latency_ms: m.model_latency_ms,
            };
            if let Some(why) = rollout::guard::breach(&guard, v, &fig) {
                return Err(format!(
                    "the guard is already breached before the shift: {why}; set --max-5xx-rate or --max-latency-ms"
                ));
            }
        }
    }
    state.ops.dialog = Some(Dialog::Confirm(confirm::for_shift(
        &e,
        plan,
        state.production_for(&e.name),
    )));
    Ok(())
}
