//! The one keymap table: keys → actions for every scope (views, help, dialogs, load-run
//! screens, the typed lines); help, footer and dialog hints are rendered from it only.

mod action;
mod defaults;
mod overrides;
mod scope;
mod spec;
#[cfg(test)]
mod tests;

use crossterm::event::{KeyEvent, KeyEventKind};

pub use action::KeyAction;
pub use overrides::{KeyOverride, KeymapError};
pub use scope::{GROUPS, Scope, VIEWS};
pub use spec::KeySpec;

/// How a footer hint shows a binding's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// Every key: "esc/q back".
    All,
    /// The first key only: "tab move" for tab/backtab/←/→.
    First,
    /// The first key of this binding and of the next one in the scope: "↑/↓ variant".
    Pair,
    /// The first key and a suffix: ":runs past runs".
    Suffix(&'static str),
    /// Text instead of keys while no key is bound: "type name arm".
    Text(&'static str),
}

/// A footer hint of a binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hint {
    pub label: &'static str,
    pub show: Show,
}

/// One row of the keymap table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub scope: Scope,
    pub action: KeyAction,
    pub keys: Vec<KeySpec>,
    /// What the help screen says.
    pub help: &'static str,
    /// Footer hint; `None` keeps it out of the footer.
    pub footer: Option<Hint>,
}

/// Keys reserved for features that bind them; nothing else may take them.
/// (`e` events, `Q` quotas, `t` time window, `w` weights, `s` scale and `b` load run are bound.)
pub const RESERVED: [char; 0] = [];

/// The keymap: an ordered table of bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: defaults::bindings(),
        }
    }
}

impl Keymap {
    /// The action bound to `key` in `scope`: the scope's own bindings win; the views fall back
    /// on the global ones; everywhere else only ctrl-c (force quit) is live.
    pub fn lookup(&self, scope: Scope, key: &KeyEvent) -> Option<KeyAction> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let find = |s: Scope| {
            self.bindings
                .iter()
                .find(|b| b.scope == s && b.keys.iter().any(|k| k.matches(key)))
                .map(|b| b.action)
        };
        let parent = || {
            (scope == Scope::Shift)
                .then(|| find(Scope::Detail))
                .flatten()
        };
        find(scope).or_else(parent).or_else(|| {
            let global = find(Scope::Global)?;
            (scope.inherits_global() || global == KeyAction::ForceQuit).then_some(global)
        })
    }

    /// The binding of `action` in `scope` (the detail's for a running shift).
    pub fn binding(&self, scope: Scope, action: KeyAction) -> Option<&Binding> {
        let find = |s: Scope| {
            self.bindings
                .iter()
                .find(|b| b.scope == s && b.action == action)
        };
        find(scope)
            .or_else(|| {
                (scope == Scope::Shift)
                    .then(|| find(Scope::Detail))
                    .flatten()
            })
            .or_else(|| {
                scope
                    .inherits_global()
                    .then(|| find(Scope::Global))
                    .flatten()
            })
    }

    /// First key of `action` in `scope` as people read it ("esc"), for hints in dialogs and
    /// messages; "(unbound)" when no key does it.
    pub fn key(&self, scope: Scope, action: KeyAction) -> String {
        self.binding(scope, action)
            .and_then(|b| b.keys.first())
            .map_or_else(|| "(unbound)".to_string(), KeySpec::label)
    }

    /// Every key of `action` in `scope`, joined with `sep` ("x or esc").
    pub fn keys(&self, scope: Scope, action: KeyAction, sep: &str) -> String {
        self.binding(scope, action)
            .map_or_else(|| "(unbound)".to_string(), |b| b.keys_label_sep(sep))
    }

    /// The keys of `action` in `scope` as its footer hint shows them ("n/esc", or "esc" where
    /// the hint shows the first key only), for the hint lines of dialogs.
    pub fn hint_keys(&self, scope: Scope, action: KeyAction) -> String {
        match self.binding(scope, action) {
            Some(b) if matches!(b.footer.map(|h| h.show), None | Some(Show::All)) => b.keys_label(),
            Some(b) => b.keys.first().map(KeySpec::label).unwrap_or_default(),
            None => "(unbound)".to_string(),
        }
    }

    /// "enter review · esc cancel": each action's keys (as [`Keymap::hint_keys`]) and label.
    pub fn hint_line(&self, scope: Scope, items: &[(KeyAction, &str)]) -> String {
        items
            .iter()
            .map(|(a, label)| format!("{} {label}", self.hint_keys(scope, *a)))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// Bindings shown for a scope: its own first, then the global ones it does not shadow.
    pub fn bindings_for(&self, scope: Scope) -> Vec<&Binding> {
        let mut own: Vec<&Binding> = self.bindings.iter().filter(|b| b.scope == scope).collect();
        if scope == Scope::Shift {
            // The detail's own keys, except the ones a shift takes over.
            let detail = self.bindings.iter().filter(|b| b.scope == Scope::Detail);
            let kept: Vec<&Binding> = detail
                .filter(|b| {
                    !b.keys
                        .iter()
                        .all(|k| own.iter().any(|o| o.keys.contains(k)))
                })
                .collect();
            own.extend(kept);
        }
        let mut out = own.clone();
        if scope != Scope::Global && scope.inherits_global() {
            for b in self.bindings.iter().filter(|b| b.scope == Scope::Global) {
                let shadowed = b
                    .keys
                    .iter()
                    .all(|k| own.iter().any(|o| o.keys.contains(k)));
                if !shadowed {
                    out.push(b);
                }
            }
        }
        out
    }

    /// Footer hints for a scope: (keys label, short label).
    pub fn footer(&self, scope: Scope) -> Vec<(String, &'static str)> {
        self.footer_where(scope, |_| true)
    }

    /// Footer hints for a scope, of the actions `offered` keeps (keys that do nothing in the
    /// state on screen are not advertised; `app::keys::footer` says which).
    pub fn footer_where(
        &self,
        scope: Scope,
        offered: impl Fn(KeyAction) -> bool,
    ) -> Vec<(String, &'static str)> {
        let shown = self.bindings_for(scope);
        let first = |b: &Binding| b.keys.first().map(KeySpec::label).unwrap_or_default();
        let mut out = Vec::new();
        for (i, b) in shown.iter().enumerate() {
            let Some(hint) = b.footer else { continue };
            if !offered(b.action) {
                continue;
            }
            if b.keys.is_empty() && !matches!(hint.show, Show::Text(_)) {
                continue;
            }
            let keys = match hint.show {
                Show::All => b.keys_label(),
                Show::First => first(b),
                Show::Pair => match shown.get(i + 1) {
                    Some(next) if !next.keys.is_empty() => format!("{}/{}", first(b), first(next)),
                    _ => first(b),
                },
                Show::Suffix(s) => format!("{}{s}", first(b)),
                Show::Text(t) if b.keys.is_empty() => t.to_string(),
                Show::Text(_) => b.keys_label(),
            };
            out.push((keys, hint.label));
        }
        out
    }

    /// Keys bound to two actions within one scope, as messages.
    pub fn conflicts(&self) -> Vec<String> {
        self.conflict_pairs()
            .into_iter()
            .map(|(scope, a, b, k)| {
                format!(
                    "key `{}` is bound to both {} and {} in {} ([keys.{}])",
                    k.label(),
                    a.name(),
                    b.name(),
                    scope.title(),
                    scope.name()
                )
            })
            .collect()
    }
}

impl Binding {
    /// "esc/q"; a letter bound in both cases shows once ("y" for y/Y).
    pub fn keys_label(&self) -> String {
        self.keys_label_sep("/")
    }

    pub fn keys_label_sep(&self, sep: &str) -> String {
        let mut shown: Vec<&KeySpec> = Vec::new();
        for k in &self.keys {
            let twin = match k.code {
                crossterm::event::KeyCode::Char(c) if !k.ctrl && c.is_ascii_uppercase() => {
                    Some(KeySpec::char(c.to_ascii_lowercase()))
                }
                _ => None,
            };
            if twin.is_some_and(|t| shown.contains(&&t)) {
                continue;
            }
            shown.push(k);
        }
        shown
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join(sep)
    }
}
