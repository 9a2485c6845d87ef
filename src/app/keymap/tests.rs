//! Tests of the keymap: defaults, lookup, overrides and key specs.

use super::*;
use crossterm::event::{KeyCode, KeyModifiers};

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

#[test]
fn default_keymap_has_no_conflicts_and_leaves_reserved_keys_free() {
    let km = Keymap::default();
    assert!(km.conflicts().is_empty(), "{:?}", km.conflicts());
    for c in RESERVED {
        for b in &km.bindings {
            assert!(
                !b.keys.contains(&KeySpec::char(c)),
                "reserved key {c} bound to {:?}",
                b.action
            );
        }
    }
}

#[test]
fn no_destructive_ctrl_letters() {
    // Ctrl bindings may only navigate or quit; none may change anything.
    for b in &Keymap::default().bindings {
        if b.keys.iter().any(|k| k.ctrl) {
            assert!(
                matches!(
                    b.action,
                    KeyAction::ForceQuit
                        | KeyAction::Suspend
                        | KeyAction::PageDown
                        | KeyAction::PageUp
                ),
                "{:?} bound to a ctrl key",
                b.action
            );
        }
    }
}

#[test]
fn scope_bindings_win_and_ctrl_c_works_everywhere() {
    let km = Keymap::default();
    assert_eq!(
        km.lookup(Scope::Endpoints, &key(KeyCode::Char('q'))),
        Some(KeyAction::Quit)
    );
    assert_eq!(
        km.lookup(Scope::Detail, &key(KeyCode::Char('q'))),
        Some(KeyAction::Back)
    );
    assert_eq!(
        km.lookup(Scope::Detail, &key(KeyCode::Char('j'))),
        Some(KeyAction::MoveDown)
    );
    // Help, dialogs and the typed lines take only their own keys (and ctrl-c).
    assert_eq!(
        km.lookup(Scope::Help, &key(KeyCode::Char('j'))),
        Some(KeyAction::MoveDown)
    );
    assert_eq!(km.lookup(Scope::Help, &key(KeyCode::Char('r'))), None);
    assert_eq!(km.lookup(Scope::Weights, &key(KeyCode::Char('q'))), None);
    assert_eq!(km.lookup(Scope::Filter, &key(KeyCode::Char('j'))), None);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    for &s in Scope::ALL {
        assert_eq!(km.lookup(s, &ctrl_c), Some(KeyAction::ForceQuit));
    }
    assert_eq!(km.lookup(Scope::Endpoints, &key(KeyCode::Char('c'))), None);
}

#[test]
fn overrides_rebind_every_scope_and_report_problems() {
    let keys = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let open = keys(&["l"]);
    let km = Keymap::with_overrides([("open", open.as_slice())]).unwrap();
    assert_eq!(
        km.lookup(Scope::Endpoints, &key(KeyCode::Char('l'))),
        Some(KeyAction::Open)
    );
    assert_eq!(km.lookup(Scope::Endpoints, &key(KeyCode::Enter)), None);
    let help_labels: Vec<String> = km
        .bindings_for(Scope::Endpoints)
        .iter()
        .map(|b| b.keys_label())
        .collect();
    assert!(help_labels.contains(&"l".to_string()));

    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        ("launch", vec!["x"], "unknown action `launch`"),
        ("open", vec!["banana"], "[keys] open: `banana` is not a key"),
        ("open", vec![], "at least one key"),
        ("open", vec!["/"], "bound to both"),
        ("force_quit", vec!["x"], "ctrl-c must stay bound"),
    ];
    for (action, ks, needle) in cases {
        let ks = keys(&ks);
        let errs = Keymap::with_overrides([(action, ks.as_slice())]).unwrap_err();
        assert!(
            errs.iter().any(|e| e.contains(needle)),
            "{action}: {errs:?}"
        );
    }
    for &a in KeyAction::ALL {
        assert_eq!(KeyAction::from_name(a.name()), Some(a));
    }
}

#[test]
fn key_specs_parse_and_label() {
    assert_eq!(KeySpec::parse("ctrl-c").unwrap(), KeySpec::ctrl('c'));
    assert_eq!(
        KeySpec::parse("enter").unwrap(),
        KeySpec::code(KeyCode::Enter)
    );
    assert_eq!(KeySpec::parse("G").unwrap(), KeySpec::char('G'));
    assert_eq!(KeySpec::parse("f5").unwrap(), KeySpec::code(KeyCode::F(5)));
    assert!(KeySpec::parse("ctrl-").unwrap_err().contains("ctrl-"));
    assert!(KeySpec::parse("banana").unwrap_err().contains("not a key"));
    assert_eq!(KeySpec::ctrl('c').label(), "ctrl-c");
}
