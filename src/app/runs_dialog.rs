//! Owns the `b` run dialog: its fields (concurrency, duration or request count, rate, payload
//! file, target variant, whole or streamed answers), key editing, and validation into a `RunPlan` against the caps.

use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::keymap::KeyAction;
use crate::domain::Endpoint;
use crate::load::spec::{self, DEFAULT_TIMEOUT};
use crate::load::{Caps, LoadSpec, PayloadSource, StopAfter};

pub use crate::load::console::RunPlan;

/// Text fields of the dialog, in focus order; the variant chooser comes after them.
pub const FIELDS: [(&str, &str); 5] = [
    ("Concurrency", "requests in flight at once"),
    ("Duration", "e.g. 30s, 2m (empty with a request count)"),
    ("Requests", "total count instead of a duration"),
    ("Rate", "requests/s in total; empty: as fast as answered"),
    (
        "Payload file",
        "one request per line (CSV rows or JSON lines)",
    ),
];

/// Focus index of the variant chooser.
pub const VARIANT_FIELD: usize = FIELDS.len();
/// Focus index of the whole/streamed answer switch.
pub const STREAM_FIELD: usize = VARIANT_FIELD + 1;

/// The dialog being filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDialog {
    pub endpoint: String,
    /// The endpoint's variants with their traffic share in percent.
    pub variants: Vec<(String, u32)>,
    /// 0: by weight; i: `variants[i - 1]`.
    pub variant: usize,
    pub fields: [String; FIELDS.len()],
    pub focus: usize,
    pub error: Option<String>,
    pub demo: bool,
    /// Streamed answers (InvokeEndpointWithResponseStream).
    pub stream: bool,
    /// The validated plan, while the confirm step shows.
    pub plan: Option<RunPlan>,
}

impl RunDialog {
    /// A dialog for `endpoint`, prefilled from `last` (the previous plan for it) if any.
    pub fn new(endpoint: &Endpoint, last: Option<&RunPlan>, demo: bool) -> RunDialog {
        let total: f64 = endpoint
            .variants
            .iter()
            .map(|v| v.current_weight.unwrap_or(1.0).max(0.0))
            .sum();
        let variants: Vec<(String, u32)> = endpoint
            .variants
            .iter()
            .map(|v| {
                let share = if total > 0.0 {
                    v.current_weight.unwrap_or(1.0).max(0.0) / total * 100.0
                } else {
                    0.0
                };
                (v.name.clone(), share.round() as u32)
            })
            .collect();
        let mut fields: [String; FIELDS.len()] = [
            "10".into(),
            "30s".into(),
            String::new(),
            String::new(),
            String::new(),
        ];
        let mut variant = 0;
        let stream = last.is_some_and(|p| p.stream);
        if let Some(p) = last {
            fields[0] = p.spec.concurrency.to_string();
            match p.spec.stop {
                StopAfter::Duration(d) => {
                    fields[1] = crate::units::format_duration(d);
                    fields[2].clear();
                }
                StopAfter::Requests(n) => {
                    fields[1].clear();
                    fields[2] = n.to_string();
                }
            }
            fields[3] = p.spec.rate.map(spec::trim_float).unwrap_or_default();
            if let PayloadSource::File(f) = &p.payload {
                fields[4] = f.display().to_string();
            }
            if let Some(v) = &p.variant {
                variant = variants
                    .iter()
                    .position(|(n, _)| n == v)
                    .map_or(0, |i| i + 1);
            }
        }
        RunDialog {
            endpoint: endpoint.name.clone(),
            variants,
            variant,
            fields,
            focus: 0,
            error: None,
            demo,
            stream,
            plan: None,
        }
    }

    /// The chosen target variant, if one is.
    pub fn variant_name(&self) -> Option<&str> {
        self.variant
            .checked_sub(1)
            .and_then(|i| self.variants.get(i))
            .map(|(n, _)| n.as_str())
    }

    /// "by weight (A 90% · B 10%)" or "B only".
    pub fn variant_label(&self) -> String {
        match self.variant_name() {
            Some(v) => format!("{v} only (TargetVariant)"),
            None => {
                let split: Vec<String> = self
                    .variants
                    .iter()
                    .map(|(n, s)| format!("{n} {s}%"))
                    .collect();
                format!("by weight ({})", split.join(" · "))
            }
        }
    }

    /// "whole answers (InvokeEndpoint)" or "streamed (…WithResponseStream)".
    pub fn stream_label(&self) -> &'static str {
        if self.stream {
            "streamed (InvokeEndpointWithResponseStream)"
        } else {
            "whole answers (InvokeEndpoint)"
        }
    }

    /// Edits the dialog for one key (`action`: what the keymap binds it to; a character
    /// bound to nothing here is typed). Returns true when the key asks to go on (review).
    pub fn on_key(&mut self, action: Option<KeyAction>, key: KeyEvent) -> bool {
        let n = STREAM_FIELD + 1;
        let on_variant = self.focus == VARIANT_FIELD;
        let on_stream = self.focus == STREAM_FIELD;
        let on_choice = on_variant || on_stream;
        match action {
            Some(KeyAction::Next) => self.focus = (self.focus + 1) % n,
            Some(KeyAction::Previous) => self.focus = (self.focus + n - 1) % n,
            Some(KeyAction::Submit) => return true,
            Some(KeyAction::Left | KeyAction::Right | KeyAction::Toggle) if on_stream => {
                self.stream = !self.stream;
            }
            Some(KeyAction::Left | KeyAction::Right) if on_variant => {
                let choices = self.variants.len() + 1;
                self.variant = if action == Some(KeyAction::Right) {
                    (self.variant + 1) % choices
                } else {
                    (self.variant + choices - 1) % choices
                };
            }
            Some(KeyAction::DeleteChar) if !on_choice => {
                self.fields[self.focus].pop();
            }
            _ => match key.code {
                // Typing: a character bound to something not done here (space) is typed too.
                KeyCode::Char(c)
                    if !on_choice
                        && !key.modifiers.contains(KeyModifiers::CONTROL)
                        && !c.is_control() =>
                {
                    if self.fields[self.focus].chars().count() < 240 {
                        self.fields[self.focus].push(c);
                    }
                }
                _ => return false,
            },
        }
        self.error = None;
        false
    }

    /// Checks the fields; the plan gets `id` when valid. A payload path starting `~/` is
    /// expanded against `home` (read once at start-up).
    pub fn validate(&self, caps: &Caps, home: Option<&Path>, id: u64) -> Result<RunPlan, String> {
        let f = |i: usize| self.fields[i].trim();
        let concurrency: u32 = f(0)
            .parse()
            .map_err(|_| format!("concurrency `{}` is not a whole number", f(0)))?;
        let (duration, requests) = (f(1), f(2));
        let stop = match (duration.is_empty(), requests.is_empty()) {
            (false, false) => return Err("give a duration or a request count, not both".into()),
            (true, true) => return Err("give a duration (e.g. 30s) or a request count".into()),
            (false, true) => StopAfter::Duration(
                crate::units::parse_duration(duration).map_err(|e| e.to_string())?,
            ),
            (true, false) => StopAfter::Requests(
                requests
                    .parse()
                    .map_err(|_| format!("request count `{requests}` is not a whole number"))?,
            ),
        };
        let rate = match f(3) {
            "" => None,
            q => Some(spec::parse_rate(q)?),
        };
        let payload = match f(4) {
            "" if self.demo => PayloadSource::DemoSample,
            "" => {
                return Err(
                    "give a payload file: one request per line (CSV rows or JSON lines)".into(),
                );
            }
            p => PayloadSource::File(crate::units::expand_home(Path::new(p), home)),
        };
        let spec = LoadSpec {
            concurrency,
            stop,
            rate,
            ramp: None,
            timeout: DEFAULT_TIMEOUT,
            max_duration: caps.max_duration,
            ..LoadSpec::default()
        };
        spec.validate(caps).map_err(|e| e.to_string())?;
        let content_type = match &payload {
            PayloadSource::File(p)
                if p.extension().is_some_and(|e| {
                    e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("jsonl")
                }) =>
            {
                "application/json"
            }
            _ => "text/csv",
        };
        Ok(RunPlan {
            id,
            endpoint: self.endpoint.clone(),
            variant: self.variant_name().map(str::to_string),
            spec,
            payload,
            content_type: content_type.into(),
            demo: self.demo,
            stream: self.stream,
        })
    }
}

/// How many invocations a plan makes, if that can be known up front.
pub fn planned_invocations(plan: &RunPlan) -> Option<u64> {
    match (plan.spec.stop, plan.spec.rate) {
        (StopAfter::Requests(n), _) => Some(n),
        (StopAfter::Duration(d), Some(q)) => Some((q * d.as_secs_f64()).round() as u64),
        (StopAfter::Duration(_), None) => None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn dialog(duration: &str, payload: &str) -> RunDialog {
        RunDialog {
            endpoint: "ep".into(),
            variants: Vec::new(),
            variant: 0,
            fields: [
                "4".into(),
                duration.into(),
                String::new(),
                String::new(),
                payload.into(),
            ],
            focus: 0,
            error: None,
            demo: false,
            stream: false,
            plan: None,
        }
    }

    #[test]
    fn payload_paths_expand_against_the_home_given_at_start_up() {
        let caps = Caps::default();
        let home = Path::new("/home/op");
        let plan = dialog("30s", "~/runs/a.csv")
            .validate(&caps, Some(home), 1)
            .unwrap();
        assert_eq!(
            plan.payload,
            PayloadSource::File(PathBuf::from("/home/op/runs/a.csv"))
        );
        let plan = dialog("30s", "~/runs/a.csv")
            .validate(&caps, None, 1)
            .unwrap();
        assert_eq!(
            plan.payload,
            PayloadSource::File(PathBuf::from("~/runs/a.csv"))
        );
    }

    #[test]
    fn the_duration_field_reads_the_one_grammar() {
        let caps = Caps::default();
        let plan = dialog("1m30s", "/a.csv").validate(&caps, None, 1).unwrap();
        assert_eq!(
            plan.spec.stop,
            StopAfter::Duration(std::time::Duration::from_secs(90))
        );
        let e = dialog("soon", "/a.csv")
            .validate(&caps, None, 1)
            .unwrap_err();
        assert!(e.contains("`soon` is not a duration"), "{e}");
    }
}
