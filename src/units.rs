//! Durations as people type and read them (one grammar, one formatter family) and `~/` paths.
//!
//! The grammar, used by the CLI (`-z`, `--ramp`, `--timeout`, `--p99`), the run dialog, the
//! `:shift --wait` flag and fault specs: one or more `<number><unit>` groups, or a bare number.
//! - units: `us`/`µs`, `ms`, `s`/`sec`/`secs`, `m`/`min`/`mins`, `h`/`hr`/`hrs` (any case);
//! - numbers are decimal (`1.5s`), groups add up (`1m30s`, `1h2m3s`);
//! - **a bare number is seconds** (`90` = `90s`), as `-z 45` and `--wait 300` always read it.
//!
//! Formatters: [`format_duration`] is exact and parses back ("1m30s", "250ms", "1.5s");
//! [`format_age`] is coarse, one unit ("12s", "4m", "3h", "2d").
//! Ground layer: imports nothing from the crate.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The longest duration any field takes (about 31 years).
pub const MAX_SECS: u64 = 1_000_000_000;

/// What the grammar accepts, for error messages.
pub const ACCEPTED: &str =
    "write e.g. 90s, 1m30s, 1.5s, 250ms or 2h (units us, ms, s, m, h; a bare number is seconds)";

/// Why a text is not a duration; every variant names what was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("`{given}` is not a duration: {ACCEPTED}")]
    Malformed { given: String },
    #[error("unknown unit `{unit}` in `{given}`: {ACCEPTED}")]
    UnknownUnit { given: String, unit: String },
    #[error("`{given}` is too long: durations go up to {MAX_SECS} s")]
    TooLong { given: String },
}

const NANOS_PER_SEC: u128 = 1_000_000_000;

fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "" | "s" | "sec" | "secs" => NANOS_PER_SEC,
        "m" | "min" | "mins" => 60 * NANOS_PER_SEC,
        "h" | "hr" | "hrs" => 3600 * NANOS_PER_SEC,
        _ => return None,
    })
}

/// `digits[.digits]` × unit, exactly (fractions below a nanosecond are dropped).
fn group_nanos(num: &str, unit_ns: u128) -> Option<u128> {
    let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
    if whole.is_empty() && frac.is_empty()
        || !(whole.chars().chain(frac.chars())).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    // Longer inputs are over the cap anyway; this keeps the arithmetic in range.
    if whole.len() > 15 {
        return Some(u128::MAX / 2);
    }
    let w: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac = &frac[..frac.len().min(18)];
    let f: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    let scale = 10u128.pow(frac.len() as u32);
    Some(w * unit_ns + f * unit_ns / scale)
}

/// Parses a duration in the one grammar of sagetop (see the module docs).
pub fn parse_duration(s: &str) -> Result<Duration, DurationError> {
    let given = s.trim();
    let malformed = || DurationError::Malformed {
        given: s.to_string(),
    };
    if given.is_empty() {
        return Err(malformed());
    }
    let lower = given.to_lowercase();
    let is_num = |c: char| c.is_ascii_digit() || c == '.';
    let mut rest = lower.as_str();
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !is_num(c)).unwrap_or(rest.len());
        if num_end == 0 {
            return Err(malformed());
        }
        let (num, tail) = rest.split_at(num_end);
        let unit_end = tail.find(is_num).unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_end);
        // A bare number only stands alone: "90" but not "1m30".
        if unit.is_empty() && rest.len() != lower.len() {
            return Err(malformed());
        }
        let unit_ns = unit_nanos(unit).ok_or_else(|| DurationError::UnknownUnit {
            given: s.to_string(),
            unit: unit.to_string(),
        })?;
        total = total.saturating_add(group_nanos(num, unit_ns).ok_or_else(malformed)?);
        rest = tail;
    }
    if total > u128::from(MAX_SECS) * NANOS_PER_SEC {
        return Err(DurationError::TooLong {
            given: s.to_string(),
        });
    }
    Ok(Duration::new(
        (total / NANOS_PER_SEC) as u64,
        (total % NANOS_PER_SEC) as u32,
    ))
}

/// The shortest exact form, to the millisecond ("30s", "1m30s", "1h2m3s", "250ms", "1.5s",
/// "1m1.25s"; "750µs" below a millisecond). It parses back to the same duration.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return if d.is_zero() {
            "0s".into()
        } else {
            format!("{}µs", d.as_micros())
        };
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let frac = ms % 1000;
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if frac > 0 {
        let f = format!("{frac:03}");
        out.push_str(&format!("{s}.{}s", f.trim_end_matches('0')));
    } else if s > 0 {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// Short human age of a number of seconds, one unit: "12s", "4m", "3h", "2d" (negative: "0s").
pub fn format_age(secs: i64) -> String {
    let s = secs.max(0);
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86_400 {
        format!("{}h", s / 3600)
    } else {
        format!("{}d", s / 86_400)
    }
}

/// Expands a leading `~` or `~/` against `home` (read once at start-up and passed in); paths
/// without it, and every path when the home directory is unknown, come back unchanged.
pub fn expand_home(p: &Path, home: Option<&Path>) -> PathBuf {
    match (p.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => p.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_grammar_reads_every_documented_form() {
        for (text, want) in [
            ("90", ms(90_000)),
            ("0.5", ms(500)),
            ("90s", ms(90_000)),
            ("1m30s", ms(90_000)),
            ("2h", ms(7_200_000)),
            ("1.5s", ms(1500)),
            ("1.5m", ms(90_000)),
            ("250ms", ms(250)),
            ("1h2m3s", ms(3_723_000)),
            ("30sec", ms(30_000)),
            ("2mins", ms(120_000)),
            ("1hr", ms(3_600_000)),
            ("5M", ms(300_000)),
            (" 45s ", ms(45_000)),
            ("750us", Duration::from_micros(750)),
            ("750µs", Duration::from_micros(750)),
            ("0s", Duration::ZERO),
            ("1.1s", ms(1100)),
        ] {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn errors_say_what_was_given_and_what_is_accepted() {
        for (text, says) in [
            ("", "is not a duration"),
            ("soon", "is not a duration"),
            ("-5s", "is not a duration"),
            ("s", "is not a duration"),
            ("1m30", "is not a duration"),
            ("1..5s", "is not a duration"),
            ("1d", "unknown unit `d`"),
            ("5 s", "unknown unit ` s`"),
            ("99999999999h", "too long"),
        ] {
            let e = parse_duration(text).unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
            assert!(e.contains(&format!("`{text}`")), "{text}: {e}");
        }
        let e = parse_duration("soon").unwrap_err().to_string();
        assert!(
            e.contains("1m30s") && e.contains("bare number is seconds"),
            "{e}"
        );
    }

    #[test]
    fn the_compact_form_is_exact_and_short() {
        for (d, want) in [
            (Duration::ZERO, "0s"),
            (ms(90_000), "1m30s"),
            (ms(600_000), "10m"),
            (ms(250), "250ms"),
            (ms(1500), "1.5s"),
            (ms(1234), "1.234s"),
            (ms(61_250), "1m1.25s"),
            (ms(3_600_000), "1h"),
            (ms(3_723_000), "1h2m3s"),
            (ms(3_660_000), "1h1m"),
            (Duration::from_micros(750), "750µs"),
        ] {
            assert_eq!(format_duration(d), want);
        }
    }

    proptest::proptest! {
        #[test]
        fn formatting_then_parsing_gives_the_same_duration(
            millis in 0u64..MAX_SECS * 1000,
            micros in 1u64..1000,
            whole in proptest::bool::ANY,
        ) {
            let d = if whole { Duration::from_millis(millis) } else { Duration::from_micros(micros) };
            proptest::prop_assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }

        #[test]
        fn any_text_parses_or_says_what_it_was(s in "\\PC{0,12}") {
            match parse_duration(&s) {
                Ok(d) => proptest::prop_assert!(d.as_secs() <= MAX_SECS),
                Err(e) => {
                    let quoted = format!("`{s}`");
                    proptest::prop_assert!(e.to_string().contains(&quoted), "{}", e);
                }
            }
        }
    }

    #[test]
    fn ages_are_short() {
        assert_eq!(format_age(5), "5s");
        assert_eq!(format_age(125), "2m");
        assert_eq!(format_age(7300), "2h");
        assert_eq!(format_age(200_000), "2d");
        assert_eq!(format_age(-3), "0s");
    }

    #[test]
    fn home_is_expanded_only_at_the_front_and_only_when_known() {
        let home = Path::new("/home/op");
        let x = |p: &str| expand_home(Path::new(p), Some(home));
        assert_eq!(x("~/runs/a.csv"), PathBuf::from("/home/op/runs/a.csv"));
        assert_eq!(x("~"), PathBuf::from("/home/op"));
        assert_eq!(x("/data/~/a.csv"), PathBuf::from("/data/~/a.csv"));
        assert_eq!(x("a.csv"), PathBuf::from("a.csv"));
        assert_eq!(x("~op/a.csv"), PathBuf::from("~op/a.csv"));
        assert_eq!(
            expand_home(Path::new("~/a.csv"), None),
            PathBuf::from("~/a.csv")
        );
    }
}
