//! Theme files: every file in `themes/` loads; mistakes are reported with file:line.

use ratatui::style::{Color, Modifier};
use sagetop::theme::{Theme, ThemeError};

#[test]
fn every_theme_file_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            Theme::load(&path).unwrap_or_else(|e| panic!("{e}"));
            count += 1;
        }
    }
    assert!(
        count >= 2,
        "expected default.toml and mono.toml in {}",
        dir.display()
    );
}

#[test]
fn the_default_theme_sets_every_role() {
    let text = include_str!("../../themes/default.toml");
    for role in Theme::ROLE_NAMES {
        assert!(
            text.contains(&format!("[roles.{role}]")),
            "default.toml lacks [roles.{role}]"
        );
    }
    let t = Theme::default_theme();
    assert_eq!(t, Theme::from_toml_str(text, "default.toml").unwrap());
    assert!(t.chart_series.len() >= 4);
    // Status roles are told apart by colour.
    assert_ne!(t.ok.fg, t.danger.fg);
    assert_ne!(t.warning.fg, t.danger.fg);
    assert_ne!(t.stale.fg, t.muted.fg);
}

#[test]
fn mono_has_no_colours_and_still_marks_selection_and_danger() {
    let t = Theme::mono();
    for (name, s) in t.roles() {
        for c in [s.fg, s.bg].into_iter().flatten() {
            assert_eq!(c, Color::Reset, "mono role {name} has colour {c:?}");
        }
    }
    assert!(t.selection.add_modifier.contains(Modifier::REVERSED));
    assert!(t.danger.add_modifier.contains(Modifier::BOLD));
    assert!(!t.stale.add_modifier.is_empty());
    assert!(!t.badge.add_modifier.is_empty());
}

#[test]
fn partial_theme_overrides_only_what_it_names() {
    let t = Theme::from_toml_str("[roles.danger]\nfg = \"bright_magenta\"\n", "mine.toml").unwrap();
    let d = Theme::default_theme();
    assert_eq!(t.danger.fg, Some(Color::LightMagenta));
    assert!(
        t.danger.add_modifier.contains(Modifier::BOLD),
        "bold comes from the default"
    );
    assert_eq!(t.ok, d.ok);
    assert_eq!(t.chart_series, d.chart_series);
}

#[test]
fn mistakes_name_the_file_line_and_problem() {
    let cases: [(&str, &str, usize, &[&str]); 7] = [
        (
            "bad colour",
            "[roles.ok]\nfg = \"#12zz45\"\n",
            2,
            &["#12zz45", "not a colour"],
        ),
        (
            "bad colour name",
            "\n[roles.ok]\nbold = true\nbg = \"chartreuse\"\n",
            4,
            &["chartreuse", "#rrggbb"],
        ),
        (
            "unknown role",
            "[roles.okay]\nfg = \"red\"\n",
            1,
            &["okay", "unknown field"],
        ),
        (
            "unknown key",
            "[roles.ok]\nfg = \"red\"\ncolour = \"blue\"\n",
            3,
            &["colour", "unknown field"],
        ),
        ("wrong type", "[roles.ok]\nbold = \"yes\"\n", 2, &["bool"]),
        (
            "index out of range",
            "chart_series = [\"red\", 300]\n",
            1,
            &["300", "0-255"],
        ),
        ("not toml", "[roles.ok\nfg = 1\n", 1, &[]),
    ];
    for (what, text, line, needles) in cases {
        let err = Theme::from_toml_str(text, "themes/custom.toml").expect_err(what);
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("themes/custom.toml:{line}:")),
            "{what}: {msg}"
        );
        for n in needles {
            assert!(msg.contains(n), "{what}: {msg} lacks {n}");
        }
        assert!(
            matches!(err, ThemeError::Invalid { line: l, .. } if l == line),
            "{what}"
        );
    }
}

#[test]
fn a_missing_file_says_which() {
    let err = Theme::load(std::path::Path::new("/nonexistent/theme.toml")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/theme.toml"), "{err}");
}

#[test]
fn every_theme_file_is_built_in_under_its_name_and_tells_states_apart() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "toml")
                .then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    let mut builtin: Vec<String> = sagetop::theme::BUILTIN_THEMES
        .iter()
        .map(|(n, _, _)| n.to_string())
        .collect();
    builtin.sort();
    assert_eq!(names, builtin, "themes/ and the embedded list differ");
    for required in [
        "default",
        "light",
        "high-contrast",
        "solarized-dark",
        "mono",
    ] {
        assert!(
            names.contains(&required.to_string()),
            "missing theme {required}"
        );
    }
    for name in &names {
        let t = Theme::builtin(name).unwrap_or_else(|| panic!("{name} not built in"));
        let file = Theme::load(&dir.join(format!("{name}.toml"))).unwrap();
        assert_eq!(t, file, "{name}: embedded copy differs from the file");
        if name != "mono" {
            assert_ne!(t.ok.fg, t.danger.fg, "{name}: ok and danger look the same");
            assert_ne!(
                t.base.fg, t.base.bg,
                "{name}: text invisible on its background"
            );
        }
    }
    assert!(Theme::builtin("nosuch").is_none());
}
