//! The copies dialog: the desired copy count of one inference component of the endpoint,
//! checked before review against the endpoint's and the component's status and the
//! component's autoscaling range (`ops::copies::check`).

use crossterm::event::KeyEvent;

use super::field;
use crate::app::AppState;
use crate::app::keymap::KeyAction;
use crate::app::ops::copies::{check, facts, parse_copies};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopiesFocus {
    Field,
    Cancel,
    Review,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CopiesDialog {
    pub endpoint: String,
    /// The endpoint's inference components.
    pub components: Vec<String>,
    pub index: usize,
    pub text: String,
    pub focus: CopiesFocus,
    pub message: Option<String>,
    /// The field's text is selected: the next character typed replaces it.
    pub selected: bool,
}

/// What a key asks of the dialog's owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopiesOutcome {
    Stay,
    Cancel,
    /// Review setting `component` to this many copies (already checked).
    Review {
        component: String,
        copies: u32,
    },
}

const ORDER: [CopiesFocus; 3] = [CopiesFocus::Field, CopiesFocus::Cancel, CopiesFocus::Review];

impl CopiesDialog {
    /// `components`: (name, current copies); `None` when there are none.
    pub fn open(endpoint: &str, components: Vec<(String, u32)>) -> Option<CopiesDialog> {
        let (_, current) = components.first()?.clone();
        Some(CopiesDialog {
            endpoint: endpoint.to_string(),
            components: components.into_iter().map(|(n, _)| n).collect(),
            index: 0,
            text: current.to_string(),
            focus: CopiesFocus::Field,
            message: None,
            selected: true,
        })
    }

    pub fn component(&self) -> &str {
        &self.components[self.index]
    }

    fn move_focus(&mut self, delta: isize) {
        let i = ORDER.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        self.focus = ORDER[((i + delta).rem_euclid(ORDER.len() as isize)) as usize];
        self.selected = self.focus == CopiesFocus::Field;
    }

    fn bump(&mut self, delta: i64) {
        match parse_copies(&self.text) {
            Ok(n) => {
                self.text = (i64::from(n) + delta).max(0).to_string();
                self.message = None;
            }
            Err(e) => self.message = Some(format!("fix the count first: {e}")),
        }
        self.selected = true;
    }

    fn pick(&mut self, forward: bool, state: &AppState) {
        let n = self.components.len();
        self.index = if forward {
            (self.index + 1) % n
        } else {
            (self.index + n - 1) % n
        };
        let current = facts(state, &self.endpoint, self.component()).map_or(0, |f| f.current);
        self.text = current.to_string();
        self.selected = true;
        self.message = None;
    }

    /// Handles one key: `action` is what the keymap binds it to in the copies dialog; a
    /// character bound to nothing is typed into the count.
    pub fn on_key(
        &mut self,
        action: Option<KeyAction>,
        key: KeyEvent,
        state: &AppState,
    ) -> CopiesOutcome {
        use KeyAction as K;
        let in_field = self.focus == CopiesFocus::Field;
        match action {
            Some(K::Cancel) => return CopiesOutcome::Cancel,
            Some(K::Next) => self.move_focus(1),
            Some(K::Previous) => self.move_focus(-1),
            Some(K::MoveUp) if in_field => self.bump(1),
            Some(K::MoveDown) if in_field => self.bump(-1),
            Some(K::Left) if in_field && self.components.len() > 1 => self.pick(false, state),
            Some(K::Right) if in_field && self.components.len() > 1 => self.pick(true, state),
            Some(K::Left) => self.move_focus(-1),
            Some(K::Right) => self.move_focus(1),
            Some(K::MoveUp | K::MoveDown) => self.focus = CopiesFocus::Field,
            Some(K::Submit) => match self.focus {
                CopiesFocus::Cancel => return CopiesOutcome::Cancel,
                CopiesFocus::Field | CopiesFocus::Review => {
                    match facts(state, &self.endpoint, self.component()) {
                        Some(f) => match check(&f, &self.text) {
                            Ok(copies) => {
                                return CopiesOutcome::Review {
                                    component: self.component().to_string(),
                                    copies,
                                };
                            }
                            Err(m) => self.message = Some(m),
                        },
                        None => {
                            self.message = Some(format!(
                                "{} is no longer listed on {}",
                                self.component(),
                                self.endpoint
                            ))
                        }
                    }
                }
            },
            Some(K::DeleteChar) if in_field => {
                field::delete(&mut self.text, &mut self.selected);
                self.message = None;
            }
            Some(_) => {}
            None => {
                if field::type_key(&mut self.text, &mut self.selected, key) {
                    self.focus = CopiesFocus::Field;
                    self.message = None;
                }
            }
        }
        CopiesOutcome::Stay
    }
}
