//! Property tests of every parser of user input, on its own: `:` command lines, key specs,
//! the fault spec, dialog fields (weights, counts), `:shift` and `:events` arguments, load-run
//! durations, rates, URLs, payload bodies and files, `sagetop bench` flags, config and theme
//! TOML, colours. None panics on any input, and every rejection carries a message.

use proptest::prelude::*;
use sagetop::app::command_line;
use sagetop::app::dialogs::field;
use sagetop::app::keymap::{KeySpec, Keymap};
use sagetop::config::Config;
use sagetop::faults::{FaultKind, FaultSpec};
use sagetop::load::{Payloads, spec, target};
use sagetop::theme::{Theme, parse_color};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A rejection must say something; what parses is handed back.
fn check<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<Option<T>, TestCaseError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            let m = e.to_string();
            prop_assert!(!m.trim().is_empty(), "a rejection without a message");
            Ok(None)
        }
    }
}

/// Text people type: mostly printable ASCII with the punctuation the grammars use, sometimes
/// anything at all.
fn typed() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[ -~]{0,48}",
        2 => "[a-z0-9=,.:@%+ _/-]{0,48}",
        1 => any::<String>(),
    ]
}

fn words() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        "[ -~&&[^ ]]{0,12}|--[a-z0-9-]{1,12}|[0-9.]{1,6}(s|m|h|ms|%)?",
        0..6,
    )
}

/// Fault specs from the grammar (sometimes slightly wrong).
fn fault_item() -> impl Strategy<Value = String> {
    let p = prop_oneof!["0(\\.[0-9]{1,2})?", "1", "[0-9]{1,3}%", "-?[0-9.]{1,4}"];
    let dur = prop_oneof![
        "[0-9]{1,3}(ms|s|m|h)",
        "[0-9]\\.[0-9](s|m)",
        "[0-9]{1,3}[a-z]?"
    ];
    let target = prop_oneof![
        Just("sagemaker".to_string()),
        Just("cloudtrail".to_string()),
        Just("cloudwatch+sts".to_string()),
        Just("DescribeEndpoint".to_string()),
        Just("cloudtrail:LookupEvents".to_string()),
        "[a-zA-Z:-]{1,12}",
    ];
    let window = prop_oneof![
        Just(String::new()),
        (dur.clone(), dur.clone()).prop_map(|(a, b)| format!("@{a}..{b}")),
        dur.clone().prop_map(|a| format!("@{a}..")),
        dur.clone().prop_map(|b| format!("@..{b}")),
    ];
    let key = prop_oneof![
        Just("throttle"),
        Just("timeout"),
        Just("latency"),
        Just("deny"),
        Just("lost-write-response"),
        Just("lost-write-request"),
        Just("invoke-5xx"),
        Just("expire-credentials-after"),
        Just("delete-endpoint"),
        Just("panic-after"),
    ];
    (key, p, dur, target, window, any::<bool>()).prop_map(|(k, p, d, t, w, with_target)| {
        let v = match k {
            "deny" => t,
            "latency" | "expire-credentials-after" | "panic-after" => d,
            "delete-endpoint" => format!("churn-predictor@{d}"),
            _ if with_target => format!("{p}:{t}"),
            _ => p,
        };
        format!("{k}={v}{w}")
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn command_lines(line in typed()) {
        check(command_line::parse(&line))?;
    }

    #[test]
    fn key_specs(s in prop_oneof!["(ctrl-|alt-|shift-)?[ -~]{0,6}", any::<String>()]) {
        if let Some(k) = check(KeySpec::parse(&s))? {
            prop_assert!(!k.label().is_empty(), "a parsed key has a label for help");
        }
    }

    #[test]
    fn fault_specs_from_anything(s in typed()) {
        check(FaultSpec::parse(&s))?;
    }

    #[test]
    fn fault_specs_from_the_grammar(items in prop::collection::vec(fault_item(), 1..5)) {
        let text = items.join(",");
        if let Some(spec) = check(FaultSpec::parse(&text))? {
            for r in &spec.rules {
                match r.kind {
                    FaultKind::Throttle(p) | FaultKind::Timeout(p) | FaultKind::LostWriteResponse(p)
                    | FaultKind::LostWriteRequest(p) | FaultKind::Invoke5xx(p) => {
                        prop_assert!((0.0..=1.0).contains(&p));
                    }
                    FaultKind::Latency { min, max } => prop_assert!(min <= max),
                    _ => {}
                }
                prop_assert!(r.window.until.is_none_or(|u| u > r.window.from));
            }
            prop_assert_eq!(FaultSpec::parse(&spec.to_string()), Ok(spec));
        }
    }

    #[test]
    fn dialog_fields(text in typed()) {
        check(field::parse_weight(&text))?;
        check(field::parse_count(&text))?;
    }

    #[test]
    fn weights_as_typed(texts in prop::collection::vec("[0-9.eE+-]{0,6}|[ -~]{0,4}", 0..4)) {
        let names: Vec<String> = (0..texts.len()).map(|i| format!("Variant{i}")).collect();
        if let Some(ws) = check(field::validate_weights(&names, &texts))? {
            prop_assert_eq!(ws.len(), names.len());
            prop_assert!(ws.iter().all(|w| w.is_finite() && *w >= 0.0));
            prop_assert!(ws.iter().any(|w| *w > 0.0));
        }
    }

    #[test]
    fn shift_and_events_arguments(ws in words()) {
        let ws: Vec<&str> = ws.iter().map(String::as_str).collect();
        check(sagetop::rollout::args::parse(&ws))?;
        check(sagetop::app::events_view::parse_args(&ws))?;
    }

    #[test]
    fn load_durations_rates_and_urls(s in prop_oneof!["[0-9.]{0,6}(ms|s|m|h|m[0-9]{1,2}s)?", typed()]) {
        if let Some(d) = check(sagetop::units::parse_duration(&s))? {
            prop_assert!(!sagetop::units::format_duration(d).is_empty());
        }
        if let Some(r) = check(spec::parse_rate(&s))? {
            prop_assert!(r.is_finite() && r > 0.0);
        }
        check(target::parse_url(&s))?;
        check(target::parse_url(&format!("http://{s}")))?;
    }

    #[test]
    fn payload_bodies_and_files(body in typed(), bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check(Payloads::from_body(&body))?;
        for name in ["p.jsonl", "p.csv", "p.json", "p.txt", "p"] {
            check(Payloads::from_text(&bytes, name))?;
            check(Payloads::from_text(body.as_bytes(), name))?;
        }
    }

    #[test]
    fn bench_flags(flag in prop_oneof![Just("-c"), Just("-z"), Just("-n"), Just("-q"), Just("--ramp"),
                                       Just("--timeout"), Just("--max-error-rate"), Just("--p99")],
                   value in prop_oneof!["-?[0-9.]{0,6}(ms|s|m|h|%)?", typed()]) {
        use clap::Parser;
        let args = ["sagetop", "bench", "--demo", "--endpoint", "churn-predictor", flag, &value];
        check(sagetop::cli::Cli::try_parse_from(args))?;
    }

    #[test]
    fn demo_faults_flag(value in prop_oneof![fault_item(), typed()]) {
        use clap::Parser;
        check(sagetop::cli::Cli::try_parse_from(["sagetop", "--demo", "--demo-faults", &value]))?;
    }

    #[test]
    fn colours(s in prop_oneof!["#[0-9a-fA-F]{0,8}", "[a-z-]{0,14}", "[0-9]{1,4}", typed()]) {
        check(parse_color(&s))?;
    }
}

/// Config and theme files: plausible lines from their real keys, with values of any kind.
fn toml_line() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        "profile",
        "region",
        "theme",
        "read_only",
        "mouse",
        "braille",
        "audit_log",
        "[refresh]",
        "endpoints",
        "metrics",
        "[keys]",
        "quit",
        "open",
        "move_down",
        "[profiles.prod]",
        "production",
        "[guard]",
        "max_5xx_rate",
        "max_model_latency_ms",
        "[load]",
        "max_concurrency",
        "[roles]",
        "[colors]",
        "ok",
        "warning",
        "danger",
        "muted",
        "selection",
        "base",
        "fg",
        "bg",
        "[a-z_]{1,10}",
    ];
    let value = prop_oneof![
        "\"[ -~&&[^\"\\\\]]{0,12}\"",
        "-?[0-9]{1,6}(\\.[0-9]{1,3})?",
        "true|false",
        "\\[\"[a-z-]{1,6}\"(, \"[a-z-]{1,6}\")?\\]",
        "\\{ fg = \"#[0-9a-f]{6}\" \\}",
        "[ -~]{0,10}",
    ];
    (key, value).prop_map(|(k, v)| {
        if k.starts_with('[') {
            k
        } else {
            format!("{k} = {v}")
        }
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn config_files(lines in prop::collection::vec(toml_line(), 0..10), junk in typed()) {
        for text in [lines.join("\n"), junk] {
            if let Some(c) = check(Config::parse(&text, "config.toml"))? {
                let (keymap, errors) = Keymap::from_config(&c.key_overrides(), c.keys_file());
                // Whatever the entries, the keymap that results never clashes.
                prop_assert!(keymap.conflicts().is_empty());
                prop_assert!(errors.iter().all(|e| !e.to_string().trim().is_empty()));
            }
        }
    }

    #[test]
    fn theme_files(lines in prop::collection::vec(toml_line(), 0..10), junk in typed()) {
        for text in [lines.join("\n"), junk] {
            check(Theme::from_toml_str(&text, "mine.toml"))?;
        }
    }
}
