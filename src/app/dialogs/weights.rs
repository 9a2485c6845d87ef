//! The weights dialog: one number field per variant (percent of the endpoint's traffic),
//! ±5/±10 steps and presets that keep the total at 100, live validation and shares.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::field::{self, text_of, validate_weights};
use crate::app::keymap::KeyAction;
use crate::domain::{Endpoint, normalize_weights, percentages};
use crate::write::request::keep_weight;

/// Preset shares of the target variant (percent); the rest is spread over the others.
pub const PRESETS: [u32; 5] = [100, 90, 50, 10, 0];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightsFocus {
    Field(usize),
    /// A preset: index into `PRESETS`, or `PRESETS.len()` for the even split.
    Preset(usize),
    Cancel,
    Review,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WeightRow {
    pub name: String,
    /// The weight the variant has now (desired, else current, else 1.0).
    pub weight: f64,
    /// What is typed.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WeightsDialog {
    pub endpoint: String,
    pub rows: Vec<WeightRow>,
    pub focus: WeightsFocus,
    /// The variant presets apply to (the last field focused).
    pub target: usize,
    /// Result of the last key that did not change a field (e.g. a step on a bad number).
    pub message: Option<String>,
    /// The focused field's text is selected: the next character typed replaces it.
    pub selected: bool,
}

/// What a key asks of the dialog's owner.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightsOutcome {
    Stay,
    Cancel,
    /// Review these weights (validated, one per row).
    Review(Vec<(String, f64)>),
}

impl WeightsDialog {
    /// Fields start at the current shares in percent (two decimals).
    pub fn open(e: &Endpoint, focus_variant: usize) -> WeightsDialog {
        let weights: Vec<f64> = e.variants.iter().map(keep_weight).collect();
        let shares = normalize_weights(&weights);
        let rows = e
            .variants
            .iter()
            .zip(weights.iter().zip(&shares))
            .map(|(v, (w, s))| WeightRow {
                name: v.name.clone(),
                weight: *w,
                text: text_of(s * 100.0),
            })
            .collect();
        let target = focus_variant.min(e.variants.len().saturating_sub(1));
        WeightsDialog {
            endpoint: e.name.clone(),
            rows,
            focus: WeightsFocus::Field(target),
            target,
            message: None,
            selected: true,
        }
    }

    pub fn names(&self) -> Vec<String> {
        self.rows.iter().map(|r| r.name.clone()).collect()
    }

    pub fn texts(&self) -> Vec<String> {
        self.rows.iter().map(|r| r.text.clone()).collect()
    }

    /// The typed weights, or the first problem with them.
    pub fn validate(&self) -> Result<Vec<f64>, String> {
        validate_weights(&self.names(), &self.texts())
    }

    /// Current traffic shares in whole percent.
    pub fn current_pct(&self) -> Vec<u32> {
        percentages(&self.rows.iter().map(|r| r.weight).collect::<Vec<_>>())
    }

    /// Shares of the typed weights in whole percent (`None` while a field is invalid).
    pub fn new_pct(&self) -> Vec<Option<u32>> {
        let parsed: Vec<Option<f64>> = self
            .rows
            .iter()
            .map(|r| field::parse_weight(&r.text).ok())
            .collect();
        if parsed.iter().any(Option::is_none) {
            return parsed.iter().map(|_| None).collect();
        }
        let ws: Vec<f64> = parsed.into_iter().flatten().collect();
        percentages(&ws).into_iter().map(Some).collect()
    }

    fn focus_order(&self) -> Vec<WeightsFocus> {
        let mut v: Vec<WeightsFocus> = (0..self.rows.len()).map(WeightsFocus::Field).collect();
        v.extend((0..=PRESETS.len()).map(WeightsFocus::Preset));
        v.push(WeightsFocus::Cancel);
        v.push(WeightsFocus::Review);
        v
    }

    fn move_focus(&mut self, delta: isize) {
        let order = self.focus_order();
        let i = order.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        let n = order.len() as isize;
        self.set_focus(order[((i + delta).rem_euclid(n)) as usize]);
    }

    fn set_focus(&mut self, f: WeightsFocus) {
        if let WeightsFocus::Field(i) = f {
            self.target = i;
            self.selected = true;
        }
        self.focus = f;
    }

    /// Shares in percent of every field, so steps and presets work on a total of 100.
    fn as_percent(&self) -> Result<Vec<f64>, String> {
        let ws = self.validate()?;
        Ok(normalize_weights(&ws).iter().map(|s| s * 100.0).collect())
    }

    /// Sets row `i` to `pct` percent and spreads the rest over the other rows in proportion
    /// to what they have (evenly when they have nothing).
    fn set_share(&mut self, i: usize, pct: f64) {
        let current = match self.as_percent() {
            Ok(p) => p,
            Err(e) => {
                self.message = Some(format!("fix the numbers first: {e}"));
                return;
            }
        };
        let pct = pct.clamp(0.0, 100.0);
        let others: f64 = current
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, p)| p)
            .sum();
        let n_others = self.rows.len().saturating_sub(1) as f64;
        let rest = 100.0 - pct;
        for (j, row) in self.rows.iter_mut().enumerate() {
            let v = if j == i {
                pct
            } else if others > 0.0 {
                current[j] / others * rest
            } else if n_others > 0.0 {
                rest / n_others
            } else {
                0.0
            };
            row.text = text_of(v);
        }
        if self.rows.len() == 1 && pct == 0.0 {
            self.message = Some("a single variant needs a weight above 0".into());
        } else {
            self.message = None;
        }
    }

    fn step(&mut self, delta: f64) {
        self.selected = true;
        let i = self.target;
        match self.as_percent() {
            Ok(p) => self.set_share(i, p[i] + delta),
            Err(e) => self.message = Some(format!("fix the numbers first: {e}")),
        }
    }

    fn preset(&mut self, j: usize) {
        match PRESETS.get(j) {
            Some(p) => self.set_share(self.target, f64::from(*p)),
            None => {
                let n = self.rows.len().max(1) as f64;
                for row in &mut self.rows {
                    row.text = text_of(100.0 / n);
                }
                self.message = None;
            }
        }
    }

    fn review(&mut self) -> WeightsOutcome {
        match self.validate() {
            Ok(ws) => WeightsOutcome::Review(self.names().into_iter().zip(ws).collect()),
            Err(e) => {
                self.message = Some(e);
                WeightsOutcome::Stay
            }
        }
    }

    /// Handles one key: `action` is what the keymap binds it to in the weights dialog; a
    /// character bound to nothing is typed into the target field.
    pub fn on_key(&mut self, action: Option<KeyAction>, key: KeyEvent) -> WeightsOutcome {
        use KeyAction as K;
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        let in_field = matches!(self.focus, WeightsFocus::Field(_));
        match action {
            Some(K::Cancel) => return WeightsOutcome::Cancel,
            Some(K::Next) => self.move_focus(1),
            Some(K::Previous) => self.move_focus(-1),
            Some(K::MoveDown) if in_field => self.move_focus(1),
            Some(K::MoveUp) if in_field && self.target > 0 => self.move_focus(-1),
            Some(K::MoveUp) if in_field => {}
            Some(K::MoveUp | K::MoveDown) => self.set_focus(WeightsFocus::Field(self.target)),
            Some(K::Left) if in_field => self.step(if shift { -10.0 } else { -5.0 }),
            Some(K::Right) if in_field => self.step(if shift { 10.0 } else { 5.0 }),
            Some(K::PageDown) if in_field => self.step(-10.0),
            Some(K::PageUp) if in_field => self.step(10.0),
            Some(K::Left) => self.move_focus(-1),
            Some(K::Right) => self.move_focus(1),
            Some(K::Submit) => match self.focus {
                WeightsFocus::Field(_) | WeightsFocus::Review => return self.review(),
                WeightsFocus::Cancel => return WeightsOutcome::Cancel,
                WeightsFocus::Preset(j) => {
                    self.preset(j);
                    if self.message.is_none() {
                        self.focus = WeightsFocus::Review;
                    }
                }
            },
            Some(K::DeleteChar) => {
                if let WeightsFocus::Field(i) = self.focus {
                    self.rows[i].text.pop();
                    self.selected = false;
                    self.message = None;
                }
            }
            Some(_) => {}
            None => {
                if let KeyCode::Char(c) = key.code
                    && !key.modifiers.contains(KeyModifiers::CONTROL)
                {
                    // Typing anywhere edits the target field.
                    let i = self.target;
                    if self.focus != WeightsFocus::Field(i) {
                        self.set_focus(WeightsFocus::Field(i));
                    }
                    if self.selected {
                        self.rows[i].text.clear();
                        self.selected = false;
                    }
                    field::push(&mut self.rows[i].text, c);
                    self.message = None;
                }
            }
        }
        WeightsOutcome::Stay
    }
}
