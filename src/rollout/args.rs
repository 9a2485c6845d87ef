//! Parsing of `:shift ENDPOINT FROM TO (--canary P | --linear P) [--wait D]
//! [--max-5xx-rate R] [--max-latency-ms MS]`, with a message for every bad input.

use std::time::Duration;

use super::{DEFAULT_WAIT, ShiftMode};

/// The usage line shown in help and in messages.
pub const USAGE: &str = ":shift ENDPOINT FROM TO --canary P|--linear P [--wait 5m] [--max-5xx-rate 1%] [--max-latency-ms 500]";

/// `:shift` as typed, before it is planned against the endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct ShiftArgs {
    pub endpoint: String,
    pub from: String,
    pub to: String,
    pub mode: ShiftMode,
    pub wait: Duration,
    pub max_5xx_rate: Option<f64>,
    pub max_latency_ms: Option<f64>,
}

/// "10" or "10%" → 10.
fn percent(flag: &str, v: &str) -> Result<u32, String> {
    let t = v.trim().trim_end_matches('%');
    t.parse::<u32>()
        .map_err(|_| format!("{flag} takes a whole percentage such as 10 or 10%, got `{v}`"))
}

/// "0.01" or "1%" → 0.01.
fn rate(v: &str) -> Result<f64, String> {
    let bad = || {
        format!(
            "--max-5xx-rate takes a fraction (0.01) or a percentage (1%) between 0 and 100%, got `{v}`"
        )
    };
    let t = v.trim();
    let r = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map_err(|_| bad())? / 100.0,
        None => t.parse::<f64>().map_err(|_| bad())?,
    };
    if r.is_finite() && (0.0..=1.0).contains(&r) {
        Ok(r)
    } else {
        Err(bad())
    }
}

fn latency(v: &str) -> Result<f64, String> {
    let t = v.trim().trim_end_matches("ms");
    match t.parse::<f64>() {
        Ok(ms) if ms.is_finite() && ms > 0.0 => Ok(ms),
        _ => Err(format!(
            "--max-latency-ms takes a positive number of milliseconds, got `{v}`"
        )),
    }
}

/// Parses the words after `:shift`.
pub fn parse(words: &[&str]) -> Result<ShiftArgs, String> {
    let mut positional = Vec::new();
    let mut mode = None;
    let mut wait = None;
    let mut max_5xx_rate = None;
    let mut max_latency_ms = None;
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if let Some(flag) = w.strip_prefix("--") {
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (flag, None),
            };
            const FLAGS: [&str; 5] = ["canary", "linear", "wait", "max-5xx-rate", "max-latency-ms"];
            if !FLAGS.contains(&name) {
                return Err(format!("unknown flag --{name}: {USAGE}"));
            }
            let value = match inline {
                Some(v) => v,
                None => {
                    i += 1;
                    *words
                        .get(i)
                        .ok_or_else(|| format!("--{name} needs a value: {USAGE}"))?
                }
            };
            match name {
                "canary" | "linear" if mode.is_some() => {
                    return Err("give either --canary or --linear, not both".into());
                }
                "canary" => mode = Some(ShiftMode::Canary(percent("--canary", value)?)),
                "linear" => mode = Some(ShiftMode::Linear(percent("--linear", value)?)),
                "wait" => {
                    wait = Some(
                        crate::units::parse_duration(value).map_err(|e| format!("--wait: {e}"))?,
                    )
                }
                "max-5xx-rate" => max_5xx_rate = Some(rate(value)?),
                _ => max_latency_ms = Some(latency(value)?),
            }
        } else {
            positional.push(w);
        }
        i += 1;
    }
    let [endpoint, from, to] = positional.as_slice() else {
        return Err(format!("give the endpoint, FROM and TO variants: {USAGE}"));
    };
    let Some(mode) = mode else {
        return Err(format!("choose --canary P or --linear P: {USAGE}"));
    };
    Ok(ShiftArgs {
        endpoint: endpoint.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        mode,
        wait: wait.unwrap_or(DEFAULT_WAIT),
        max_5xx_rate,
        max_latency_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        s.split_whitespace().collect()
    }

    #[test]
    fn parses_canary_and_linear() {
        let a = parse(&words("ep A B --canary 10 --wait 5m")).unwrap();
        assert_eq!(a.mode, ShiftMode::Canary(10));
        assert_eq!(a.wait, Duration::from_secs(300));
        let a = parse(&words(
            "ep A B --linear=25% --wait 2m --max-5xx-rate 2% --max-latency-ms 80",
        ))
        .unwrap();
        assert_eq!(a.mode, ShiftMode::Linear(25));
        assert_eq!(a.max_5xx_rate, Some(0.02));
        assert_eq!(a.max_latency_ms, Some(80.0));
        assert_eq!(
            parse(&words("ep A B --canary 5")).unwrap().wait,
            DEFAULT_WAIT
        );
    }

    #[test]
    fn wait_reads_every_duration_the_cli_reads() {
        for (text, secs) in [
            ("300", 300),
            ("90s", 90),
            ("1m30s", 90),
            ("1.5m", 90),
            ("1h", 3600),
        ] {
            let a = parse(&words(&format!("ep A B --canary 10 --wait {text}"))).unwrap();
            assert_eq!(a.wait, Duration::from_secs(secs), "{text}");
        }
    }

    #[test]
    fn bad_input_says_what_is_wrong() {
        for (input, needle) in [
            ("ep A --canary 10", "give the endpoint, FROM and TO"),
            ("ep A B", "choose --canary P or --linear P"),
            ("ep A B --canary 10 --linear 20", "not both"),
            ("ep A B --canary ten", "whole percentage"),
            (
                "ep A B --canary 10 --wait soon",
                "--wait: `soon` is not a duration",
            ),
            ("ep A B --canary 10 --max-5xx-rate 3", "between 0 and 100%"),
            ("ep A B --canary 10 --max-latency-ms -4", "positive number"),
            ("ep A B --canary 10 --fast", "unknown flag --fast"),
            ("ep A B --canary", "needs a value"),
        ] {
            let err = parse(&words(input)).unwrap_err();
            assert!(err.contains(needle), "{input}: {err}");
        }
    }
}
