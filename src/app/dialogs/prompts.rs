//! Two small prompts with Cancel focused: abort a traffic shift (roll back or keep the
//! current step) and quit while a shift runs.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
    pub fn on_key(&mut self, key: KeyEvent) -> AbortOutcome {
        use AbortFocus as F;
        let plain = !key.modifiers.contains(KeyModifiers::CONTROL);
        let order = [F::Cancel, F::Rollback, F::Keep];
        let i = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        match key.code {
            KeyCode::Esc => return AbortOutcome::Cancel,
            KeyCode::Char('n' | 'N') if plain => return AbortOutcome::Cancel,
            KeyCode::Char('r' | 'R') if plain => return AbortOutcome::Abort { rollback: true },
            KeyCode::Char('k' | 'K') if plain => return AbortOutcome::Abort { rollback: false },
            KeyCode::Tab | KeyCode::Right => self.focus = order[(i + 1) % 3],
            KeyCode::BackTab | KeyCode::Left => self.focus = order[(i + 2) % 3],
            KeyCode::Enter => {
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
    pub fn on_key(&mut self, key: KeyEvent) -> QuitOutcome {
        let plain = !key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return QuitOutcome::Cancel,
            KeyCode::Char('n' | 'N') if plain => return QuitOutcome::Cancel,
            KeyCode::Char('y' | 'Y') if plain => return QuitOutcome::Quit,
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Left | KeyCode::Right => {
                self.focus = match self.focus {
                    QuitFocus::Cancel => QuitFocus::Quit,
                    QuitFocus::Quit => QuitFocus::Cancel,
                }
            }
            KeyCode::Enter => {
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
