//! Two small prompts with Cancel focused: abort a traffic shift (roll back or keep the
//! current step) and quit while a shift runs.

use crate::app::keymap::KeyAction;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbortFocus {
    Cancel,
    Rollback,
    Keep,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbortDialog {
    pub endpoint: String,
    /// "step 2/4, Canary at 50%".
    pub progress: String,
    pub focus: AbortFocus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbortOutcome {
    Stay,
    Cancel,
    Abort { rollback: bool },
}

impl AbortDialog {
    /// Handles one key; `action` is what the keymap binds it to in this prompt.
    pub fn on_key(&mut self, action: Option<KeyAction>) -> AbortOutcome {
        use AbortFocus as F;
        use KeyAction as K;
        let order = [F::Cancel, F::Rollback, F::Keep];
        let i = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        match action {
            Some(K::Cancel) => return AbortOutcome::Cancel,
            Some(K::RollBack) => return AbortOutcome::Abort { rollback: true },
            Some(K::KeepStep) => return AbortOutcome::Abort { rollback: false },
            Some(K::Next | K::Right) => self.focus = order[(i + 1) % 3],
            Some(K::Previous | K::Left) => self.focus = order[(i + 2) % 3],
            Some(K::Submit) => {
                return match self.focus {
                    F::Cancel => AbortOutcome::Cancel,
                    F::Rollback => AbortOutcome::Abort { rollback: true },
                    F::Keep => AbortOutcome::Abort { rollback: false },
                };
            }
            _ => {}
        }
        AbortOutcome::Stay
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitFocus {
    Cancel,
    Quit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuitDialog {
    /// Endpoints with a shift running.
    pub shifts: Vec<String>,
    pub focus: QuitFocus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitOutcome {
    Stay,
    Cancel,
    Quit,
}

impl QuitDialog {
    /// Handles one key; `action` is what the keymap binds it to in this prompt.
    pub fn on_key(&mut self, action: Option<KeyAction>) -> QuitOutcome {
        use KeyAction as K;
        match action {
            Some(K::Cancel) => return QuitOutcome::Cancel,
            Some(K::Confirm) => return QuitOutcome::Quit,
            Some(K::Next | K::Previous | K::Left | K::Right) => {
                self.focus = match self.focus {
                    QuitFocus::Cancel => QuitFocus::Quit,
                    QuitFocus::Quit => QuitFocus::Cancel,
                }
            }
            Some(K::Submit) => {
                return match self.focus {
                    QuitFocus::Cancel => QuitOutcome::Cancel,
                    QuitFocus::Quit => QuitOutcome::Quit,
                };
            }
            _ => {}
        }
        QuitOutcome::Stay
    }
}
