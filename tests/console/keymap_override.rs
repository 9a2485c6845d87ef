//! Rebinding a key from the config file changes what the key does, what help shows and what
//! the footer shows.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::{Terminal, backend::TestBackend};
use sagetop::app::{Action, AppState, Keymap, Overlay, update};
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
    let overrides = config.key_overrides();
    let keymap =
        Keymap::with_overrides(overrides.iter().map(|(a, k)| (a.as_str(), k.as_slice()))).unwrap();

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
fn a_rebinding_that_clashes_is_reported() {
    let config = Config::parse("[keys]\nweights = \"s\"\n", "config.toml").unwrap();
    let overrides = config.key_overrides();
    let errors = Keymap::with_overrides(overrides.iter().map(|(a, k)| (a.as_str(), k.as_slice())))
        .unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("key `s` is bound to both")),
        "{errors:?}"
    );
}
