//! Rebinding a key from the config file changes what the key does, what help shows and what
//! the footer shows.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::{Terminal, backend::TestBackend};
use sagetop::app::runs::RunScreen;
use sagetop::app::{Action, AppState, KeyAction, Keymap, Overlay, Scope, update};
use sagetop::config::Config;
use sagetop::screenshots::{FIXTURE_SEED, fixture_state};
use sagetop::theme::Theme;

fn screen(state: &AppState, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| sagetop::ui::render(f, state, &Theme::default_theme()))
        .unwrap();
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn press(state: &mut AppState, c: char) {
    let now = state.now;
    update(
        state,
        Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        now,
    );
}

/// The help line of the weights action, e.g. "  W   change traffic weights …".
fn weights_help_line(text: &str) -> String {
    text.lines()
        .find(|l| l.contains("change traffic weights"))
        .expect("weights in help")
        .to_string()
}

#[test]
fn rebinding_w_changes_the_key_help_and_footer() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = rt.block_on(fixture_state(FIXTURE_SEED, 0));

    let config = Config::parse("[keys]\nweights = \"W\"\n", "config.toml").unwrap();
    let (keymap, errors) = Keymap::from_config(&config.key_overrides(), config.keys_file());
    assert!(errors.is_empty(), "{errors:?}");

    for (keymap, key, other) in [(Keymap::default(), 'w', 'W'), (keymap, 'W', 'w')] {
        let mut s = base.clone();
        s.keymap = keymap;
        // The key opens the dialog; the old key does nothing.
        press(&mut s, other);
        assert!(
            s.ops.dialog.is_none(),
            "`{other}` must not open the weights dialog"
        );
        press(&mut s, key);
        assert!(s.ops.dialog.is_some(), "`{key}` opens the weights dialog");

        let mut help = base.clone();
        help.keymap = s.keymap.clone();
        help.overlay = Overlay::Help { scroll: 0 };
        let mut text = String::new();
        for scroll in (0..120).step_by(10) {
            help.overlay = Overlay::Help { scroll };
            text.push_str(&screen(&help, 100, 40));
        }
        let line = weights_help_line(&text);
        assert!(
            line.contains(&format!(" {key} ")),
            "help shows `{key}`: {line}"
        );
        assert!(
            !line.contains(&format!(" {other} ")),
            "help no longer shows `{other}`: {line}"
        );

        let mut footer = base.clone();
        footer.keymap = s.keymap.clone();
        let last = screen(&footer, 160, 45).lines().last().unwrap().to_string();
        assert!(
            last.contains(&format!("{key} weights")),
            "footer shows `{key} weights`: {last}"
        );
    }
}

#[test]
fn a_rebinding_that_clashes_is_reported_and_the_rest_still_applies() {
    let text = "[keys]\nweights = \"s\"\nhelp = \"h\"\n[keys.dialog]\nconfirm = \"banana\"\n[keys.nowhere]\nopen = \"x\"\n[keys.load_run]\nlaunch = \"z\"\n";
    let config = Config::parse(text, "config.toml").unwrap();
    let (keymap, errors) = Keymap::from_config(&config.key_overrides(), config.keys_file());
    let errors: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    let has = |needles: &[&str]| {
        assert!(
            errors.iter().any(|e| needles.iter().all(|n| e.contains(n))),
            "{needles:?} in {errors:?}"
        )
    };
    has(&[
        "config.toml line 2",
        "[keys] weights",
        "key `s` is bound to both",
        "choose another key",
        "default keys stay",
    ]);
    has(&[
        "config.toml line 5",
        "[keys.dialog] confirm",
        "`banana` is not a key",
    ]);
    has(&[
        "config.toml line 7",
        "unknown key table `[keys.nowhere]`",
        "load_run",
    ]);
    has(&["config.toml line 9", "unknown action `launch`", "stop"]);
    assert_eq!(errors.len(), 4, "{errors:?}");
    // The clashing entry kept its default; the good one applied.
    assert!(keymap.conflicts().is_empty());
    let key = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    assert_eq!(
        keymap.lookup(Scope::Endpoints, &key('w')),
        Some(KeyAction::Weights)
    );
    assert_eq!(
        keymap.lookup(Scope::Endpoints, &key('h')),
        Some(KeyAction::Help)
    );
}

fn send(state: &mut AppState, code: KeyCode) {
    let now = state.now;
    update(
        state,
        Action::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        now,
    );
}

fn keymap_of(text: &str) -> Keymap {
    let config = Config::parse(text, "config.toml").unwrap();
    let (keymap, errors) = Keymap::from_config(&config.key_overrides(), config.keys_file());
    assert!(errors.is_empty(), "{errors:?}");
    keymap
}

fn footer(state: &AppState) -> String {
    screen(state, 160, 45).lines().last().unwrap().to_string()
}

fn help_text(state: &AppState) -> String {
    let lines = sagetop::ui::help::lines(state, &Theme::default_theme(), 120);
    lines
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_dialog_key_rebinds_what_it_does_and_what_help_and_footer_show() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = rt.block_on(fixture_state(FIXTURE_SEED, 0));
    // `[keys.dialog] cancel = "c"`: c cancels every dialog; esc no longer does.
    let keymap = keymap_of("[keys.dialog]\ncancel = \"c\"\n");
    for (keymap, cancel, other) in [
        (Keymap::default(), KeyCode::Esc, KeyCode::Char('c')),
        (keymap, KeyCode::Char('c'), KeyCode::Esc),
    ] {
        let mut s = base.clone();
        s.keymap = keymap;
        press(&mut s, 'w');
        assert!(s.ops.dialog.is_some(), "w opens the weights dialog");
        send(&mut s, other);
        assert!(s.ops.dialog.is_some(), "{other:?} must not cancel");
        let label = if cancel == KeyCode::Esc { "esc" } else { "c" };
        assert!(
            footer(&s).contains(&format!("{label} cancel")),
            "footer: {}",
            footer(&s)
        );
        // The dialog's own hint line says the same.
        let drawn = screen(&s, 160, 45);
        assert!(
            drawn.contains(&format!("enter review · {label} cancel")),
            "{drawn}"
        );
        send(&mut s, cancel);
        assert!(s.ops.dialog.is_none(), "{cancel:?} cancels");
        assert!(s.notice.as_ref().unwrap().text.contains("nothing was sent"));
        let help = help_text(&s);
        let weights = help
            .split("Weights dialog")
            .nth(1)
            .expect("weights in help");
        let row = weights
            .lines()
            .find(|l| l.contains("cancel: nothing is sent"))
            .unwrap();
        assert!(
            row.trim_start().starts_with(&format!("{label} ")),
            "help row: {row}"
        );
    }
}

#[test]
fn a_load_run_key_rebinds_what_it_does_and_what_the_footer_shows() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = rt.block_on(fixture_state(FIXTURE_SEED, 0));
    // `[keys.load_plan] next = "J"`: J moves to the next field; tab no longer does (and
    // `[keys.load_confirm] confirm = "g"`: g starts the run, y no longer does).
    let keymap =
        keymap_of("[keys.load_plan]\nnext = \"J\"\n[keys.load_confirm]\nconfirm = \"g\"\n");
    for (keymap, next, other, start, not_start) in [
        (
            Keymap::default(),
            KeyCode::Tab,
            KeyCode::Char('J'),
            'y',
            'g',
        ),
        (keymap, KeyCode::Char('J'), KeyCode::Tab, 'g', 'y'),
    ] {
        let mut s = base.clone();
        s.keymap = keymap;
        press(&mut s, 'b');
        let focus = |s: &AppState| s.runs.dialog.as_ref().expect("run dialog open").focus;
        assert_eq!(focus(&s), 0);
        send(&mut s, other);
        assert_eq!(focus(&s), 0, "{other:?} must not move the focus");
        if matches!(other, KeyCode::Char(_)) {
            // An unbound character is typed into the field: take it out again.
            send(&mut s, KeyCode::Backspace);
        }
        send(&mut s, next);
        assert_eq!(focus(&s), 1, "{next:?} moves to the next field");
        let label = if next == KeyCode::Tab {
            "tab/↓ next"
        } else {
            " J next"
        };
        assert!(footer(&s).contains(label), "footer: {}", footer(&s));
        // Enter reviews the prefilled plan; the confirm step takes the start key.
        send(&mut s, KeyCode::Enter);
        assert_eq!(
            s.runs.screen,
            Some(RunScreen::Confirm),
            "{:?}",
            s.runs.dialog
        );
        press(&mut s, not_start);
        assert_eq!(s.runs.screen, Some(RunScreen::Confirm));
        let hint = if start == 'y' {
            " y/enter start"
        } else {
            " g start"
        };
        assert!(footer(&s).contains(hint), "{}", footer(&s));
        press(&mut s, start);
        assert!(s.runs.active.is_some(), "{start} starts the run");
    }
}
