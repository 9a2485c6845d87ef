//! The scale dialog: desired instance count of one variant, checked before review against
//! the endpoint status, the autoscaling range (with an offer to change it) and the
//! endpoint-usage quota of the instance type, in AWS's own words.

use crossterm::event::KeyEvent;

use super::field::{self, parse_count};
use crate::app::AppState;
use crate::app::keymap::KeyAction;
use crate::domain::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleFocus {
    Field,
    Cancel,
    /// Change the autoscaling range first (only offered when the count is outside it).
    Range,
    Review,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScaleDialog {
    pub endpoint: String,
    /// Instance-backed variants the dialog can scale.
    pub variants: Vec<String>,
    pub index: usize,
    pub text: String,
    pub focus: ScaleFocus,
    pub message: Option<String>,
    /// The field's text is selected: the next character typed replaces it.
    pub selected: bool,
}

/// What the state says about the variant being scaled.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleFacts {
    pub endpoint: String,
    pub variant: String,
    pub status: EndpointStatus,
    pub instance_type: Option<String>,
    pub current: u32,
    pub desired: Option<u32>,
    /// Registered autoscaling (min, max).
    pub range: Option<(u32, u32)>,
    pub has_policy: bool,
    /// Endpoint-usage quota of the instance type: (limit, instances in use), when known.
    pub quota: Option<(f64, u32)>,
}

impl ScaleFacts {
    /// "ml.g5.xlarge for endpoint usage: 3 of 4 used".
    pub fn headroom(&self) -> Option<String> {
        let t = self.instance_type.as_deref()?;
        let (limit, used) = self.quota?;
        Some(format!(
            "{}: {used} of {} used",
            endpoint_quota_name(t),
            limit as u64
        ))
    }
}

/// Why a count cannot be sent as it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    Invalid(String),
    NotInService(String),
    Unchanged(String),
    /// Outside the autoscaling range; `offer` is the range that would admit it.
    Range {
        message: String,
        offer: (u32, u32),
    },
    Quota(String),
}

impl Refusal {
    pub fn message(&self) -> &str {
        match self {
            Refusal::Invalid(m)
            | Refusal::NotInService(m)
            | Refusal::Unchanged(m)
            | Refusal::Quota(m) => m,
            Refusal::Range { message, .. } => message,
        }
    }
}

/// Facts about `variant` of `endpoint` from the polled state.
pub fn facts(state: &AppState, endpoint: &str, variant: &str) -> Option<ScaleFacts> {
    let e = state.endpoint(endpoint)?;
    let v = e.variant(variant)?;
    let scaling = state
        .autoscaling
        .config
        .get(endpoint)
        .and_then(|c| c.iter().find(|a| a.variant == variant));
    let range = scaling
        .and_then(|a| a.target.as_ref())
        .map(|t| (t.min_capacity, t.max_capacity));
    // Quotas are per account and region: the endpoint's own context's, with its usage.
    let quota = v.instance_type.as_deref().and_then(|t| {
        crate::app::quotas_view::context_rows(state, endpoint)
            .into_iter()
            .find(|r| r.instance_type == t)
            .and_then(|r| Some((r.limit?, r.used)))
    });
    Some(ScaleFacts {
        endpoint: endpoint.to_string(),
        variant: variant.to_string(),
        status: e.status,
        instance_type: v.instance_type.clone(),
        current: v.current_instance_count.unwrap_or(0),
        desired: v.desired_instance_count,
        range,
        has_policy: scaling.is_some_and(|a| !a.policies.is_empty()),
        quota,
    })
}

/// The count to send, or why not.
pub fn check(f: &ScaleFacts, text: &str) -> Result<u32, Refusal> {
    let n = parse_count(text).map_err(Refusal::Invalid)?;
    if !f.status.accepts_updates() {
        return Err(Refusal::NotInService(format!(
            "{} is {}: only an InService endpoint accepts changes; wait until it is InService",
            f.endpoint, f.status
        )));
    }
    if n == f.current && f.desired.is_none_or(|d| d == n) {
        return Err(Refusal::Unchanged(format!(
            "{} already has {n} instances: nothing to change",
            f.variant
        )));
    }
    if let Some((min, max)) = f.range
        && (n < min || n > max)
    {
        let offer = (min.min(n), max.max(n));
        return Err(Refusal::Range {
            message: format!(
                "{n} is outside the autoscaling range {min}–{max} of {}: change the range to {}–{} first (RegisterScalableTarget)",
                f.variant, offer.0, offer.1
            ),
            offer,
        });
    }
    if let (Some(t), Some((limit, used))) = (f.instance_type.as_deref(), f.quota) {
        let delta = i64::from(n) - i64::from(f.current);
        if delta > 0 && (i64::from(used) + delta) as f64 > limit {
            return Err(Refusal::Quota(quota_exceeded_message(
                t,
                limit,
                f64::from(used),
                delta as f64,
            )));
        }
    }
    Ok(n)
}

/// What a key asks of the dialog's owner.
#[derive(Debug, Clone, PartialEq)]
pub enum ScaleOutcome {
    Stay,
    Cancel,
    /// Review scaling `variant` to this count (already checked).
    Review {
        variant: String,
        count: u32,
    },
    /// Review changing the autoscaling range first.
    Range {
        variant: String,
        min: u32,
        max: u32,
    },
}

impl ScaleDialog {
    /// `None` when the endpoint has no instance-backed variant.
    pub fn open(e: &Endpoint, variant: Option<&str>, count: Option<u32>) -> Option<ScaleDialog> {
        let variants: Vec<String> = e
            .variants
            .iter()
            .filter(|v| v.serverless.is_none())
            .map(|v| v.name.clone())
            .collect();
        if variants.is_empty() {
            return None;
        }
        let index = variant
            .and_then(|n| variants.iter().position(|v| v == n))
            .unwrap_or(0);
        let current = e
            .variant(&variants[index])
            .and_then(|v| v.current_instance_count)
            .unwrap_or(0);
        Some(ScaleDialog {
            endpoint: e.name.clone(),
            variants,
            index,
            text: count.unwrap_or(current).to_string(),
            focus: ScaleFocus::Field,
            message: None,
            selected: true,
        })
    }

    pub fn variant(&self) -> &str {
        &self.variants[self.index]
    }

    fn focus_order(&self, offer: bool) -> Vec<ScaleFocus> {
        let mut v = vec![ScaleFocus::Field, ScaleFocus::Cancel];
        if offer {
            v.push(ScaleFocus::Range);
        }
        v.push(ScaleFocus::Review);
        v
    }

    fn move_focus(&mut self, delta: isize, offer: bool) {
        let order = self.focus_order(offer);
        let i = order.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        self.focus = order[((i + delta).rem_euclid(order.len() as isize)) as usize];
        self.selected = self.focus == ScaleFocus::Field;
    }

    fn bump(&mut self, delta: i64) {
        match parse_count(&self.text) {
            Ok(n) => {
                self.text = (i64::from(n) + delta).max(1).to_string();
                self.message = None;
            }
            Err(e) => self.message = Some(format!("fix the count first: {e}")),
        }
        self.selected = true;
    }

    /// Handles one key: `action` is what the keymap binds it to in the scale dialog; a
    /// character bound to nothing is typed into the count.
    pub fn on_key(
        &mut self,
        action: Option<KeyAction>,
        key: KeyEvent,
        state: &AppState,
    ) -> ScaleOutcome {
        use KeyAction as K;
        let checked = facts(state, &self.endpoint, self.variant()).map(|f| check(&f, &self.text));
        let offer = match &checked {
            Some(Err(Refusal::Range { offer, .. })) => Some(*offer),
            _ => None,
        };
        if self.focus == ScaleFocus::Range && offer.is_none() {
            self.focus = ScaleFocus::Review;
        }
        let in_field = self.focus == ScaleFocus::Field;
        match action {
            Some(K::Cancel) => return ScaleOutcome::Cancel,
            Some(K::Next) => self.move_focus(1, offer.is_some()),
            Some(K::Previous) => self.move_focus(-1, offer.is_some()),
            Some(K::MoveUp) if in_field => self.bump(1),
            Some(K::MoveDown) if in_field => self.bump(-1),
            Some(K::PageUp) if in_field => self.bump(5),
            Some(K::PageDown) if in_field => self.bump(-5),
            Some(K::Left | K::Right) if in_field && self.variants.len() > 1 => {
                let n = self.variants.len();
                self.index = if action == Some(K::Right) {
                    (self.index + 1) % n
                } else {
                    (self.index + n - 1) % n
                };
                let current = state
                    .endpoint(&self.endpoint)
                    .and_then(|e| e.variant(self.variant()))
                    .and_then(|v| v.current_instance_count)
                    .unwrap_or(0);
                self.text = current.to_string();
                self.selected = true;
                self.message = None;
            }
            Some(K::Left) => self.move_focus(-1, offer.is_some()),
            Some(K::Right) => self.move_focus(1, offer.is_some()),
            Some(K::MoveUp | K::MoveDown) => self.focus = ScaleFocus::Field,
            Some(K::Submit) => match self.focus {
                ScaleFocus::Cancel => return ScaleOutcome::Cancel,
                ScaleFocus::Range => {
                    if let Some((min, max)) = offer {
                        return ScaleOutcome::Range {
                            variant: self.variant().to_string(),
                            min,
                            max,
                        };
                    }
                }
                ScaleFocus::Field | ScaleFocus::Review => match checked {
                    Some(Ok(count)) => {
                        return ScaleOutcome::Review {
                            variant: self.variant().to_string(),
                            count,
                        };
                    }
                    Some(Err(r)) => {
                        if offer.is_some() {
                            self.focus = ScaleFocus::Range;
                        }
                        self.message = Some(r.message().to_string());
                    }
                    None => {
                        self.message = Some(format!(
                            "{} is no longer in the endpoint list",
                            self.endpoint
                        ))
                    }
                },
            },
            Some(K::DeleteChar) if in_field => {
                field::delete(&mut self.text, &mut self.selected);
                self.message = None;
            }
            Some(_) => {}
            None => {
                if field::type_key(&mut self.text, &mut self.selected, key) {
                    self.focus = ScaleFocus::Field;
                    self.message = None;
                }
            }
        }
        ScaleOutcome::Stay
    }
}
