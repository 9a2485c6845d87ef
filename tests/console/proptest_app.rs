//! Property tests of user input through `update` on the simulated fleet: any `:` line (the
//! write commands `:weights`, `:scale`, `:shift` included) and any keys typed into the
//! weights, scale and load-run dialogs. Nothing panics, every error notice says something,
//! and nothing is sent without a confirming key.

use std::sync::OnceLock;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;
use sagetop::app::{Action, AppState, Command, NoticeLevel, update};
use sagetop::screenshots::{FIXTURE_SEED, fixture_state, two_variant_endpoint};

fn fixture() -> AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(fixture_state(FIXTURE_SEED, 0))
        })
        .clone()
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn error_notice_says_something(s: &AppState) -> Result<(), TestCaseError> {
    if let Some(n) = &s.notice
        && n.level == NoticeLevel::Error
    {
        prop_assert!(!n.text.trim().is_empty(), "an empty error notice");
    }
    Ok(())
}

fn sends_a_write(cmds: &[Command]) -> bool {
    cmds.iter().any(|c| matches!(c, Command::Ops(_)))
}

/// A `:` line: a known or made-up command with plausible and odd arguments.
fn command_line() -> impl Strategy<Value = String> {
    let head = prop_oneof![
        3 => prop::sample::select(vec![
            "weights", "scale", "shift", "ep", "sort", "filter", "events", "quotas", "window",
            "refresh", "help", "theme", "load", "runs", "bench",
        ])
        .prop_map(str::to_string),
        1 => "[a-z]{1,8}",
    ];
    let arg = prop_oneof![
        Just("churn-predictor".to_string()),
        Just("recommender-ranking".to_string()),
        Just("fraud".to_string()),
        Just("VariantA".to_string()),
        Just("Canary".to_string()),
        "(VariantA|VariantB|Canary|Primary|x)=-?[0-9.eE]{0,6}",
        "--(canary|linear|wait|max-5xx-rate|max-latency-ms)",
        "-?[0-9.]{1,5}(s|m|h|%)?",
        "[ -~&&[^ ]]{1,10}",
    ];
    (head, prop::collection::vec(arg, 0..5), any::<bool>()).prop_map(|(h, args, colon)| {
        format!("{}{h} {}", if colon { ":" } else { "" }, args.join(" "))
    })
}

fn key() -> impl Strategy<Value = KeyEvent> {
    let code = prop_oneof![
        4 => "[0-9.eE+-]".prop_map(|s| KeyCode::Char(s.chars().next().unwrap_or('0'))),
        2 => "[ -~]".prop_map(|s| KeyCode::Char(s.chars().next().unwrap_or(' '))),
        1 => Just(KeyCode::Backspace),
        1 => Just(KeyCode::Left),
        1 => Just(KeyCode::Right),
        1 => Just(KeyCode::Up),
        1 => Just(KeyCode::Down),
        1 => Just(KeyCode::Tab),
        1 => Just(KeyCode::BackTab),
        1 => Just(KeyCode::PageUp),
        1 => Just(KeyCode::PageDown),
        1 => Just(KeyCode::Home),
        1 => Just(KeyCode::End),
        1 => Just(KeyCode::Delete),
        1 => Just(KeyCode::Enter),
        1 => Just(KeyCode::Esc),
    ];
    (code, any::<bool>()).prop_map(|(c, ctrl)| {
        let m = if ctrl
            && matches!(c, KeyCode::Char('a'..='z'))
            && c != KeyCode::Char('c')
            && c != KeyCode::Char('z')
        {
            KeyModifiers::CONTROL
        } else {
            KeyModifiers::NONE
        };
        KeyEvent::new(c, m)
    })
}

fn confirms(k: &KeyEvent) -> bool {
    matches!(k.code, KeyCode::Enter | KeyCode::Char('y'))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_command_line(line in command_line()) {
        let mut s = fixture();
        let now = s.now;
        let cmds = update(&mut s, Action::RunCommand(line.clone()), now);
        error_notice_says_something(&s)?;
        prop_assert!(!sends_a_write(&cmds), "`{}` sent a write without a confirm", line);
    }

    #[test]
    fn any_line_typed_after_colon(line in prop_oneof![command_line(), any::<String>()]) {
        let mut s = fixture();
        let now = s.now;
        update(&mut s, Action::StartCommand, now);
        let mut sent = false;
        for c in line.chars().take(80) {
            let cmds = update(&mut s, Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)), now);
            sent |= sends_a_write(&cmds);
        }
        let cmds = update(&mut s, Action::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)), now);
        sent |= sends_a_write(&cmds);
        error_notice_says_something(&s)?;
        prop_assert!(!sent);
    }

    #[test]
    fn any_keys_in_the_write_and_load_dialogs(
        opener in prop_oneof![Just('w'), Just('s'), Just('b')],
        keys in prop::collection::vec(key(), 0..30),
    ) {
        let mut s = fixture();
        s.selected = two_variant_endpoint(&s);
        let now = s.now;
        update(&mut s, Action::Key(KeyEvent::new(KeyCode::Char(opener), KeyModifiers::NONE)), now);
        let mut confirmed = false;
        for k in &keys {
            confirmed |= confirms(k);
            let cmds = update(&mut s, Action::Key(*k), now);
            error_notice_says_something(&s)?;
            if sends_a_write(&cmds) {
                prop_assert!(confirmed, "a write without y or enter: {:?}", keys);
            }
        }
        if let Some(sagetop::app::dialogs::Dialog::Weights(d)) = &s.ops.dialog
            && let Err(m) = d.validate()
        {
            prop_assert!(!m.trim().is_empty());
        }
    }
}
