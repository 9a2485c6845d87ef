//! Rebinding from the config file: `[keys]` (the views, as before) and `[keys.SCOPE]` or
//! `[keys.dialog]` / `[keys.load]` tables. A bad or clashing entry is reported with its file,
//! line and what to do, and leaves the default keys of that entry in place; the rest applies.

use std::fmt;

use super::{Binding, KeyAction, KeySpec, Keymap, Scope, VIEWS};

/// One entry of a `[keys]` table as the config file gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOverride {
    /// The `[keys.NAME]` table; `None` for a flat `[keys]` entry (every view binding it).
    pub scope: Option<String>,
    pub action: String,
    pub keys: Vec<String>,
    /// Line of the entry in the config file, when known.
    pub line: Option<usize>,
}

impl KeyOverride {
    /// `[keys] open` or `[keys.weights] submit`.
    pub fn entry(&self) -> String {
        match &self.scope {
            Some(s) => format!("[keys.{s}] {}", self.action),
            None => format!("[keys] {}", self.action),
        }
    }
}

/// A `[keys]` entry that was not applied (the default keys stay for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeymapError {
    /// The config file.
    pub path: String,
    pub line: Option<usize>,
    /// `[keys.weights] submit`.
    pub entry: String,
    pub message: String,
}

impl fmt::Display for KeymapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{} line {l}: ", self.path)?,
            None => write!(f, "{}: ", self.path)?,
        }
        write!(
            f,
            "{}: {} (its default keys stay in use)",
            self.entry, self.message
        )
    }
}

fn action_names(km: &Keymap, scopes: &[Scope]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for b in km.bindings.iter().filter(|b| scopes.contains(&b.scope)) {
        if !names.contains(&b.action.name()) {
            names.push(b.action.name());
        }
    }
    names.join(", ")
}

/// Checks one entry: the scopes and keys it rebinds, or why not.
fn resolve(km: &Keymap, o: &KeyOverride) -> Result<(Vec<Scope>, KeyAction, Vec<KeySpec>), String> {
    let scopes = match &o.scope {
        None => VIEWS.to_vec(),
        Some(name) => Scope::resolve(name).ok_or_else(|| {
            format!(
                "unknown key table `[keys.{name}]`: use one of {}",
                Scope::names()
            )
        })?,
    };
    let Some(action) = KeyAction::from_name(&o.action) else {
        return Err(format!(
            "unknown action `{}` in [keys{}]: use one of {}",
            o.action,
            o.scope
                .as_deref()
                .map_or(String::new(), |s| format!(".{s}")),
            action_names(km, &scopes)
        ));
    };
    if !km
        .bindings
        .iter()
        .any(|b| b.action == action && scopes.contains(&b.scope))
    {
        return Err(format!(
            "`{}` is not an action there: use one of {}",
            o.action,
            action_names(km, &scopes)
        ));
    }
    if o.keys.is_empty() {
        return Err("give at least one key, e.g. \"x\" or [\"x\", \"enter\"]".into());
    }
    let specs = o
        .keys
        .iter()
        .map(|k| KeySpec::parse(k))
        .collect::<Result<Vec<_>, _>>()?;
    if action == KeyAction::ForceQuit && !specs.contains(&KeySpec::ctrl('c')) {
        return Err("ctrl-c must stay bound so sagetop can always be quit".into());
    }
    Ok((scopes, action, specs))
}

fn rebind(bindings: &mut [Binding], scopes: &[Scope], action: KeyAction, keys: &[KeySpec]) {
    for b in bindings
        .iter_mut()
        .filter(|b| b.action == action && scopes.contains(&b.scope))
    {
        b.keys = keys.to_vec();
    }
}

impl Keymap {
    /// The default keymap with the config file's entries applied. Entries that are wrong or
    /// clash are left out (their default keys stay) and come back as errors naming `path`,
    /// the line and what to do.
    pub fn from_config(overrides: &[KeyOverride], path: &str) -> (Keymap, Vec<KeymapError>) {
        let defaults = Keymap::default();
        let mut km = defaults.clone();
        let mut errors = Vec::new();
        let error = |o: &KeyOverride, message: String| KeymapError {
            path: path.to_string(),
            line: o.line,
            entry: o.entry(),
            message,
        };
        let mut applied: Vec<(&KeyOverride, Vec<Scope>, KeyAction)> = Vec::new();
        for o in overrides {
            match resolve(&defaults, o) {
                Ok((scopes, action, specs)) => {
                    rebind(&mut km.bindings, &scopes, action, &specs);
                    applied.push((o, scopes, action));
                }
                Err(message) => errors.push(error(o, message)),
            }
        }
        // Clashes: the entries involved go back to their defaults, until none is left (the
        // defaults themselves never clash).
        while let Some((scope, a, b, key)) = km.conflict_pairs().into_iter().next() {
            let involved = |(_, scopes, action): &(&KeyOverride, Vec<Scope>, KeyAction)| {
                scopes.contains(&scope) && (*action == a || *action == b)
            };
            let (undo, keep): (Vec<_>, Vec<_>) = applied.into_iter().partition(involved);
            applied = keep;
            if undo.is_empty() {
                break;
            }
            for (o, scopes, action) in undo {
                let default_keys = |s: Scope| {
                    defaults
                        .binding(s, action)
                        .filter(|d| d.scope == s)
                        .map(|d| d.keys.clone())
                };
                for s in &scopes {
                    if let Some(keys) = default_keys(*s) {
                        rebind(&mut km.bindings, &[*s], action, &keys);
                    }
                }
                errors.push(error(
                    o,
                    format!(
                        "key `{}` is bound to both {} and {} in {}: choose another key, or rebind {} too",
                        key.label(),
                        a.name(),
                        b.name(),
                        scope.title(),
                        if action == a { b.name() } else { a.name() },
                    ),
                ));
            }
        }
        (km, errors)
    }

    /// The default keymap with flat `[keys]` entries (action name → keys) applied to the views;
    /// any problem is an error.
    pub fn with_overrides<'a>(
        overrides: impl IntoIterator<Item = (&'a str, &'a [String])>,
    ) -> Result<Keymap, Vec<String>> {
        let list: Vec<KeyOverride> = overrides
            .into_iter()
            .map(|(action, keys)| KeyOverride {
                scope: None,
                action: action.to_string(),
                keys: keys.to_vec(),
                line: None,
            })
            .collect();
        let (km, errors) = Keymap::from_config(&list, "config");
        if errors.is_empty() {
            Ok(km)
        } else {
            Err(errors
                .into_iter()
                .map(|e| format!("{}: {}", e.entry, e.message))
                .collect())
        }
    }

    /// (scope, action, other action, key) for every key bound to two actions in one scope.
    pub fn conflict_pairs(&self) -> Vec<(Scope, KeyAction, KeyAction, KeySpec)> {
        let mut out = Vec::new();
        for (i, a) in self.bindings.iter().enumerate() {
            for b in &self.bindings[i + 1..] {
                if a.scope != b.scope || a.action == b.action {
                    continue;
                }
                for k in a.keys.iter().filter(|k| b.keys.contains(k)) {
                    out.push((a.scope, a.action, b.action, *k));
                }
            }
        }
        out
    }
}
