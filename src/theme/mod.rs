//! Themes: semantic style roles (ok, danger, selection, …) loaded from `themes/*.toml`.
//!
//! Views never name a colour; they ask the theme for a role. A theme file only needs the
//! fields it changes: every role field falls back to the embedded default theme.
//!
//! ```toml
//! chart_series = ["#5fafff", "#ffaf5f"]
//!
//! [roles.ok]
//! fg = "#5fd75f"
//! bold = true
//! ```
//!
//! Colours are `#rrggbb`, an ANSI name (`red`, `bright_red`, `gray`, `dark_gray`, …),
//! a 256-colour index (`208`) or `reset` (the terminal's own colour).

use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

pub mod palette;

use palette::downgrade;
pub use palette::{ColorDepth, color_rgb, indexed_rgb};

/// The embedded default (dark) theme; always valid (tested).
pub const DEFAULT_THEME_TOML: &str = include_str!("../../themes/default.toml");

/// The embedded colourless theme for `NO_COLOR` and monochrome terminals.
pub const MONO_THEME_TOML: &str = include_str!("../../themes/mono.toml");

/// Every theme shipped in `themes/`, embedded so an installed binary has them: (name, file, text).
pub const BUILTIN_THEMES: [(&str, &str, &str); 5] = [
    ("default", "themes/default.toml", DEFAULT_THEME_TOML),
    (
        "light",
        "themes/light.toml",
        include_str!("../../themes/light.toml"),
    ),
    (
        "high-contrast",
        "themes/high-contrast.toml",
        include_str!("../../themes/high-contrast.toml"),
    ),
    (
        "solarized-dark",
        "themes/solarized-dark.toml",
        include_str!("../../themes/solarized-dark.toml"),
    ),
    ("mono", "themes/mono.toml", MONO_THEME_TOML),
];

macro_rules! roles {
    ($($(#[doc = $doc:literal])* $name:ident),* $(,)?) => {
        /// Semantic style roles; views style text only through these.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Theme {
            $($(#[doc = $doc])* pub $name: Style,)*
            /// Colours for chart series, in order (cycled when there are more series).
            pub chart_series: Vec<Color>,
        }

        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RolesFile {
            $($name: Option<RoleFile>,)*
        }

        impl RolesFile {
            /// Field-by-field: `self` where set, else `fallback`.
            fn merged_over(self, fallback: RolesFile) -> RolesFile {
                RolesFile { $($name: RoleFile::merge(self.$name, fallback.$name),)* }
            }

            fn into_styles(self, chart_series: Vec<Color>) -> Theme {
                Theme { $($name: self.$name.map(RoleFile::style).unwrap_or_default(),)* chart_series }
            }
        }

        impl Theme {
            /// Every role name as written in theme files.
            pub const ROLE_NAMES: &'static [&'static str] = &[$(stringify!($name)),*];

            /// Every role with its name (for tests and tooling).
            pub fn roles(&self) -> Vec<(&'static str, Style)> {
                vec![$((stringify!($name), self.$name)),*]
            }

            fn map_styles(&self, f: impl Fn(Style) -> Style) -> Theme {
                Theme { $($name: f(self.$name),)* chart_series: self.chart_series.clone() }
            }
        }
    };
}

roles! {
    /// Ordinary text and the screen background.
    base,
    /// Secondary text: units, separators, "not registered".
    muted,
    /// Emphasis that is not a status: the app name, the filter text.
    accent,
    /// The top bar.
    header,
    /// Panel titles.
    title,
    /// Panel borders.
    border,
    /// The selected row.
    selection,
    /// Column headers.
    table_header,
    /// Healthy status (InService, Successful).
    ok,
    /// Needs attention soon (changes in flight, near a limit).
    warning,
    /// Broken now (Failed, 5XX, poll failures).
    danger,
    /// Neutral status (in progress, informational notices).
    info,
    /// DEMO and read-only badges.
    badge,
    /// Keys in the footer hints.
    footer_key,
    /// Labels in the footer hints.
    footer_text,
    /// The `/` filter and `:` command line.
    input,
    /// Data older than expected, or whose poll is failing.
    stale,
    /// Event markers on charts (changes to the endpoint on the time axis).
    marker,
}

/// A theme file that could not be read or understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    #[error("cannot read theme {path}: {message}")]
    Io { path: String, message: String },
    #[error("{source_name}:{line}:{column}: {message}")]
    Invalid {
        source_name: String,
        line: usize,
        column: usize,
        message: String,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    /// Free text, for people reading the file.
    #[allow(dead_code)]
    name: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    chart_series: Option<Vec<ColorSpec>>,
    #[serde(default)]
    roles: RolesFile,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFile {
    fg: Option<ColorSpec>,
    bg: Option<ColorSpec>,
    bold: Option<bool>,
    dim: Option<bool>,
    italic: Option<bool>,
    underline: Option<bool>,
    reverse: Option<bool>,
}

impl RoleFile {
    fn merge(over: Option<RoleFile>, under: Option<RoleFile>) -> Option<RoleFile> {
        match (over, under) {
            (None, u) => u,
            (o, None) => o,
            (Some(o), Some(u)) => Some(RoleFile {
                fg: o.fg.or(u.fg),
                bg: o.bg.or(u.bg),
                bold: o.bold.or(u.bold),
                dim: o.dim.or(u.dim),
                italic: o.italic.or(u.italic),
                underline: o.underline.or(u.underline),
                reverse: o.reverse.or(u.reverse),
            }),
        }
    }

    fn style(self) -> Style {
        let mut style = Style::default();
        if let Some(ColorSpec(c)) = self.fg {
            style = style.fg(c);
        }
        if let Some(ColorSpec(c)) = self.bg {
            style = style.bg(c);
        }
        for (flag, modifier) in [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underline, Modifier::UNDERLINED),
            (self.reverse, Modifier::REVERSED),
        ] {
            style = match flag {
                Some(true) => style.add_modifier(modifier),
                Some(false) => style.remove_modifier(modifier),
                None => style,
            };
        }
        style
    }
}

/// A colour as written in a theme file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ColorSpec(Color);

const COLOR_HELP: &str = "use #rrggbb, an ANSI name (black, red, green, yellow, blue, magenta, cyan, white, gray, dark_gray, bright_red, …), a 256-colour index 0-255, or reset";

/// Parses a theme colour: `#rrggbb`, an ANSI name, a 256-colour index or `reset`.
pub fn parse_color(s: &str) -> Result<Color, String> {
    let t = s.trim();
    if let Some(hex) = t.strip_prefix('#') {
        if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let v = u32::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
            return Ok(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return Err(format!(
            "`{s}` is not a colour: hex colours are # and six hex digits, e.g. #5fd75f"
        ));
    }
    if let Ok(n) = t.parse::<u8>() {
        return Ok(Color::Indexed(n));
    }
    let name = t.to_ascii_lowercase().replace(['-', ' '], "_");
    let c = match name.as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        // ANSI colour 7 is called white; ratatui calls it Gray.
        "white" | "gray" | "grey" => Color::Gray,
        "bright_black" | "dark_gray" | "dark_grey" => Color::DarkGray,
        "bright_red" => Color::LightRed,
        "bright_green" => Color::LightGreen,
        "bright_yellow" => Color::LightYellow,
        "bright_blue" => Color::LightBlue,
        "bright_magenta" => Color::LightMagenta,
        "bright_cyan" => Color::LightCyan,
        "bright_white" => Color::White,
        _ => return Err(format!("`{s}` is not a colour: {COLOR_HELP}")),
    };
    Ok(c)
}

impl<'de> Deserialize<'de> for ColorSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = ColorSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "a colour ({COLOR_HELP})")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<ColorSpec, E> {
                parse_color(s).map(ColorSpec).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<ColorSpec, E> {
                u8::try_from(n)
                    .map(|n| ColorSpec(Color::Indexed(n)))
                    .map_err(|_| E::custom(format!("colour index {n} is out of range 0-255")))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<ColorSpec, E> {
                self.visit_i64(i64::try_from(n).unwrap_or(i64::MAX))
            }
        }
        d.deserialize_any(V)
    }
}

fn parse_file(text: &str, source_name: &str) -> Result<ThemeFile, ThemeError> {
    toml::from_str::<ThemeFile>(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start).min(text.len());
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let message = e.message().trim().replace('\n', "; ");
        ThemeError::Invalid {
            source_name: source_name.to_string(),
            line,
            column,
            message,
        }
    })
}

impl Theme {
    /// The embedded default theme. Never fails: the embedded file is checked by tests.
    pub fn default_theme() -> Theme {
        Theme::from_toml_str(DEFAULT_THEME_TOML, "themes/default.toml")
            .unwrap_or_else(|_| Theme::fallback())
    }

    /// The embedded colourless theme (bold, reverse and underline only).
    pub fn mono() -> Theme {
        Theme::from_toml_str(MONO_THEME_TOML, "themes/mono.toml")
            .unwrap_or_else(|_| Theme::fallback())
    }

    /// A built-in theme by name (`default`, `mono`).
    pub fn builtin(name: &str) -> Option<Theme> {
        let name = match name {
            "dark" => "default",
            "none" | "no-color" => "mono",
            other => other,
        };
        BUILTIN_THEMES
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, file, text)| {
                Theme::from_toml_str(text, file).unwrap_or_else(|_| Theme::default_theme())
            })
    }

    /// Parses a theme file; fields it leaves out come from the default theme.
    /// `source_name` names the file in error messages (`file:line:column: what is wrong`).
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Theme, ThemeError> {
        let file = parse_file(text, source_name)?;
        let base = parse_file(DEFAULT_THEME_TOML, "themes/default.toml").unwrap_or_default();
        let roles = file.roles.merged_over(base.roles);
        let series = file.chart_series.or(base.chart_series).unwrap_or_default();
        let mut series: Vec<Color> = series.into_iter().map(|ColorSpec(c)| c).collect();
        if series.is_empty() {
            series.push(Color::Reset);
        }
        Ok(roles.into_styles(series))
    }

    /// Reads and parses a theme file.
    pub fn load(path: &Path) -> Result<Theme, ThemeError> {
        let text = std::fs::read_to_string(path).map_err(|e| ThemeError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Theme::from_toml_str(&text, &path.display().to_string())
    }

    /// Last resort if the embedded theme were ever broken: plain terminal colours.
    fn fallback() -> Theme {
        let b = Style::default().add_modifier(Modifier::BOLD);
        Theme {
            base: Style::default(),
            muted: Style::default(),
            accent: b,
            header: Style::default().add_modifier(Modifier::REVERSED),
            title: b,
            border: Style::default(),
            selection: Style::default().add_modifier(Modifier::REVERSED),
            table_header: b,
            ok: Style::default(),
            warning: b,
            danger: b.add_modifier(Modifier::UNDERLINED),
            info: Style::default(),
            badge: b.add_modifier(Modifier::REVERSED),
            footer_key: b,
            footer_text: Style::default(),
            input: b,
            stale: Style::default().add_modifier(Modifier::UNDERLINED),
            marker: Style::default().add_modifier(Modifier::BOLD),
            chart_series: vec![Color::Reset],
        }
    }

    /// The colour of chart series `i` (cycling).
    pub fn series_color(&self, i: usize) -> Color {
        self.chart_series
            .get(i % self.chart_series.len().max(1))
            .copied()
            .unwrap_or(Color::Reset)
    }

    /// The theme with every colour mapped to what the terminal can show.
    pub fn for_depth(&self, depth: ColorDepth) -> Theme {
        let map = |c: Color| downgrade(c, depth);
        let mut t = self.map_styles(|s| Style {
            fg: s.fg.map(map),
            bg: s.bg.map(map),
            ..s
        });
        t.chart_series = self.chart_series.iter().map(|c| map(*c)).collect();
        t
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::default_theme()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse() {
        assert_eq!(parse_color("#5fd75f"), Ok(Color::Rgb(0x5f, 0xd7, 0x5f)));
        assert_eq!(parse_color("bright_red"), Ok(Color::LightRed));
        assert_eq!(parse_color("dark_gray"), Ok(Color::DarkGray));
        assert_eq!(parse_color("white"), Ok(Color::Gray));
        assert_eq!(parse_color("reset"), Ok(Color::Reset));
        assert_eq!(parse_color("208"), Ok(Color::Indexed(208)));
        assert!(parse_color("#12345").is_err());
        assert!(
            parse_color("chartreuse")
                .unwrap_err()
                .contains("not a colour")
        );
    }

    #[test]
    fn partial_files_fall_back_field_by_field() {
        let d = Theme::default_theme();
        let t = Theme::from_toml_str("[roles.ok]\nbold = false\n", "t.toml").unwrap();
        assert_eq!(t.ok.fg, d.ok.fg);
        assert!(t.ok.sub_modifier.contains(Modifier::BOLD));
        assert_eq!(t.danger, d.danger);
    }
}
