//! The confirm dialog every write goes through: the exact change (current → desired per
//! variant), the API call, Cancel focused; `y` confirms, Enter activates the focused button.
//! On a production profile the endpoint name must be typed instead.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::scale::ScaleFacts;
use crate::app::keymap::KeyAction;
use crate::app::ops::copies::CopyFacts;
use crate::domain::*;
use crate::rollout::ShiftPlan;
use crate::write::WriteRequest;
use crate::write::request::{keep_weight, weight_text};

/// What confirming starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Proposal {
    Write(WriteRequest),
    Shift(Box<ShiftPlan>),
}

/// One line of the change table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    pub variant: String,
    pub what: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmFocus {
    Cancel,
    Confirm,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmDialog {
    pub title: String,
    pub endpoint: String,
    pub proposal: Proposal,
    pub rows: Vec<ChangeRow>,
    /// Facts to read before confirming (quota headroom, autoscaling, guard, steps).
    pub notes: Vec<String>,
    /// The API call, one argument per line.
    pub api: Vec<String>,
    /// The endpoint name must be typed to confirm.
    pub production: bool,
    pub typed: String,
    pub focus: ConfirmFocus,
    pub message: Option<String>,
    /// Label of the confirm button.
    pub action: &'static str,
    /// Heading of the change table's first column ("VARIANT", "COMPONENT").
    pub subject: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Stay,
    Cancel,
    Confirm,
}

fn dialog(
    title: String,
    endpoint: &str,
    proposal: Proposal,
    rows: Vec<ChangeRow>,
    notes: Vec<String>,
    production: bool,
    action: &'static str,
) -> ConfirmDialog {
    ConfirmDialog {
        title,
        endpoint: endpoint.to_string(),
        proposal,
        rows,
        notes,
        api: Vec::new(),
        production,
        typed: String::new(),
        focus: ConfirmFocus::Cancel,
        message: None,
        action,
        subject: "VARIANT",
    }
}

fn pct(p: u32) -> String {
    format!("{p}%")
}

/// Weight and share rows of every variant: now → after the request.
fn weight_rows(e: &Endpoint, after: &[f64]) -> Vec<ChangeRow> {
    let before: Vec<f64> = e.variants.iter().map(keep_weight).collect();
    let (pb, pa) = (percentages(&before), percentages(after));
    e.variants
        .iter()
        .enumerate()
        .map(|(i, v)| ChangeRow {
            variant: v.name.clone(),
            what: "weight".into(),
            from: format!("{} ({})", weight_text(before[i]), pct(pb[i])),
            to: format!("{} ({})", weight_text(after[i]), pct(pa[i])),
        })
        .collect()
}

fn requested_weights(e: &Endpoint, request: &WriteRequest) -> Vec<f64> {
    let WriteRequest::Update { changes, .. } = request else {
        return e.variants.iter().map(keep_weight).collect();
    };
    e.variants
        .iter()
        .map(|v| {
            changes
                .iter()
                .find(|c| c.variant == v.name)
                .and_then(|c| c.desired_weight)
                .unwrap_or_else(|| keep_weight(v))
        })
        .collect()
}

pub fn for_weights(e: &Endpoint, request: WriteRequest, production: bool) -> ConfirmDialog {
    let rows = weight_rows(e, &requested_weights(e, &request));
    let notes = vec![format!(
        "every variant of {} is in the request; instance counts are left as they are",
        e.name
    )];
    let api = request.api_lines();
    dialog(
        format!("Change traffic weights of {}", e.name),
        &e.name,
        Proposal::Write(request),
        rows,
        notes,
        production,
        "Apply",
    )
    .with_api(api)
}

pub fn for_scale(
    e: &Endpoint,
    f: &ScaleFacts,
    count: u32,
    request: WriteRequest,
    production: bool,
) -> ConfirmDialog {
    let rows = vec![ChangeRow {
        variant: f.variant.clone(),
        what: "instances".into(),
        from: f.current.to_string(),
        to: count.to_string(),
    }];
    let mut notes = Vec::new();
    if let Some(h) = f.headroom() {
        let delta = i64::from(count) - i64::from(f.current);
        notes.push(if delta > 0 {
            format!(
                "{h}; {} after this change",
                i64::from(f.quota.map_or(0, |q| q.1)) + delta
            )
        } else {
            h
        });
    } else if let Some(t) = &f.instance_type {
        notes.push(format!(
            "{}: quota not known (quotas not loaded); AWS checks it",
            endpoint_quota_name(t)
        ));
    }
    match f.range {
        Some((min, max)) => notes.push(format!(
            "autoscaling range {min}–{max}{}",
            if f.has_policy {
                ": its policy may change the count again"
            } else {
                ""
            }
        )),
        None => notes.push("no autoscaling registered".into()),
    }
    notes.push("every variant is in the request with its weight unchanged".into());
    let api = request.api_lines();
    dialog(
        format!("Scale {} of {}", f.variant, e.name),
        &e.name,
        Proposal::Write(request),
        rows,
        notes,
        production,
        "Scale",
    )
    .with_api(api)
}

pub fn for_range(
    endpoint: &str,
    variant: &str,
    old: Option<(u32, u32)>,
    min: u32,
    max: u32,
    production: bool,
) -> ConfirmDialog {
    let request = WriteRequest::ScalingRange {
        endpoint: endpoint.to_string(),
        variant: variant.to_string(),
        min_capacity: min,
        max_capacity: max,
    };
    let from = old.map_or_else(|| "not registered".into(), |(a, b)| format!("{a}–{b}"));
    let rows = vec![ChangeRow {
        variant: variant.to_string(),
        what: "autoscaling min–max".into(),
        from,
        to: format!("{min}–{max}"),
    }];
    let notes = vec!["then scale again with s: the instance count itself is not changed".into()];
    let api = request.api_lines();
    dialog(
        format!("Change the autoscaling range of {variant}"),
        endpoint,
        Proposal::Write(request),
        rows,
        notes,
        production,
        "Apply",
    )
    .with_api(api)
}

/// `UpdateInferenceComponentRuntimeConfig` of one component: copies now → requested.
pub fn for_copies(f: &CopyFacts, copies: u32, production: bool) -> ConfirmDialog {
    let request = crate::write::request::copies_request(&f.endpoint, &f.component, copies);
    let rows = vec![ChangeRow {
        variant: f.component.clone(),
        what: "copies".into(),
        from: f.current.to_string(),
        to: copies.to_string(),
    }];
    let mut notes = vec![format!(
        "inference component {} on endpoint {}{}",
        f.component,
        f.endpoint,
        f.model
            .as_deref()
            .map(|m| format!(" (model {m})"))
            .unwrap_or_default()
    )];
    match f.range {
        Some((min, max)) => notes.push(format!(
            "autoscaling range {min}–{max} copies{}",
            if f.has_policy {
                ": its policy may change the count again"
            } else {
                ""
            }
        )),
        None => notes.push("no autoscaling registered for its copies".into()),
    }
    if copies == 0 {
        notes.push(format!(
            "0 copies: {} serves no requests until copies are added again",
            f.component
        ));
    }
    notes.push("instances are placed by managed instance scaling, if it is on".into());
    let api = request.api_lines();
    dialog(
        format!("Scale copies of {} on {}", f.component, f.endpoint),
        &f.endpoint,
        Proposal::Write(request),
        rows,
        notes,
        production,
        "Scale",
    )
    .with_api(api)
    .with_subject("COMPONENT")
}

pub fn for_shift(e: &Endpoint, plan: ShiftPlan, production: bool) -> ConfirmDialog {
    let last = plan.steps.last().cloned().unwrap_or_default();
    let after: Vec<f64> = last.iter().map(|(_, w)| *w).collect();
    let rows = weight_rows(e, &after);
    let steps: Vec<String> = plan
        .to_shares
        .iter()
        .map(|s| format!("{}%", weight_text((s * 1000.0).round() / 10.0)))
        .collect();
    let notes = vec![
        format!(
            "{} from {} to {}: {} of the traffic on {}, each step watched {}",
            plan.mode.label(),
            plan.from,
            plan.to,
            steps.join(" → "),
            plan.to,
            crate::units::format_duration(plan.wait)
        ),
        format!(
            "guard on {}: {} per minute; a breach rolls back to the starting weights at once",
            plan.to,
            plan.guard.label()
        ),
        "x or esc in the endpoint detail aborts (roll back or keep the current step)".into(),
    ];
    let first = plan.steps.first().cloned().unwrap_or_default();
    let request = crate::write::request::weights_request(e, &first);
    let mut api = vec![format!(
        "one call per step ({} in all); the first:",
        plan.steps.len()
    )];
    api.extend(request.api_lines());
    dialog(
        format!("Shift traffic of {}", e.name),
        &e.name.clone(),
        Proposal::Shift(Box::new(plan)),
        rows,
        notes,
        production,
        "Start",
    )
    .with_api(api)
}

impl ConfirmDialog {
    fn with_api(mut self, api: Vec<String>) -> ConfirmDialog {
        self.api = api;
        self
    }

    fn with_subject(mut self, subject: &'static str) -> ConfirmDialog {
        self.subject = subject;
        self
    }

    /// The typed name matches (always true off production profiles).
    pub fn armed(&self) -> bool {
        !self.production || self.typed == crate::boundary::context::plain(&self.endpoint)
    }

    fn toggle(&mut self) {
        self.focus = match self.focus {
            ConfirmFocus::Cancel => ConfirmFocus::Confirm,
            ConfirmFocus::Confirm => ConfirmFocus::Cancel,
        };
    }

    fn confirm(&mut self) -> ConfirmOutcome {
        if self.armed() {
            ConfirmOutcome::Confirm
        } else {
            self.message = Some(format!(
                "type the endpoint name {} to confirm (production profile)",
                crate::boundary::context::plain(&self.endpoint)
            ));
            ConfirmOutcome::Stay
        }
    }

    /// Handles one key: `action` is what the keymap binds it to (in the production scope,
    /// a character bound to nothing is typed into the name).
    pub fn on_key(&mut self, action: Option<KeyAction>, key: KeyEvent) -> ConfirmOutcome {
        use KeyAction as K;
        let plain = !key.modifiers.contains(KeyModifiers::CONTROL);
        match action {
            Some(K::Cancel) => return ConfirmOutcome::Cancel,
            Some(K::Next | K::Previous | K::Left | K::Right) => self.toggle(),
            Some(K::Submit) => {
                return match self.focus {
                    ConfirmFocus::Cancel => ConfirmOutcome::Cancel,
                    ConfirmFocus::Confirm => self.confirm(),
                };
            }
            Some(K::DeleteChar) if self.production => {
                self.typed.pop();
                self.rearm();
            }
            Some(K::Confirm) => return self.confirm(),
            Some(_) => {}
            None => {
                if let KeyCode::Char(c) = key.code
                    && self.production
                    && plain
                {
                    if !c.is_control() && self.typed.chars().count() < 128 {
                        self.typed.push(c);
                    }
                    self.rearm();
                }
            }
        }
        ConfirmOutcome::Stay
    }

    /// Typing the exact name moves the focus to the confirm button (Enter then confirms);
    /// any other text puts it back on Cancel.
    fn rearm(&mut self) {
        self.message = None;
        self.focus = if self.armed() {
            ConfirmFocus::Confirm
        } else {
            ConfirmFocus::Cancel
        };
    }
}
