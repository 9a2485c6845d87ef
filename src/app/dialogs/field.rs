//! Numbers typed into dialogs and commands: parsing with a clear message for every bad input
//! (empty, letters, NaN, too large, negative, fractions of instances, all-zero weights).

/// Longest text a number field holds.
pub const MAX_FIELD: usize = 24;

/// Adds a typed character to a field (any printable character: validation explains).
pub fn push(field: &mut String, c: char) {
    if !c.is_control() && field.chars().count() < MAX_FIELD {
        field.push(c);
    }
}

/// A key no binding took, typed into a number field whose whole text may be selected (the
/// first character typed replaces it). False when the key types nothing (not a character, or
/// with ctrl).
pub fn type_key(text: &mut String, selected: &mut bool, key: crossterm::event::KeyEvent) -> bool {
    let crossterm::event::KeyCode::Char(c) = key.code else {
        return false;
    };
    if key
        .modifiers
        .contains(crossterm::event::KeyModifiers::CONTROL)
    {
        return false;
    }
    if *selected {
        text.clear();
        *selected = false;
    }
    push(text, c);
    true
}

/// Deletes the last character of a field; a selection is dropped.
pub fn delete(text: &mut String, selected: &mut bool) {
    text.pop();
    *selected = false;
}

/// A weight: a finite number ≥ 0.
pub fn parse_weight(text: &str) -> Result<f64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("enter a weight (a number, 0 or more)".into());
    }
    let Ok(v) = t.parse::<f64>() else {
        return Err(format!("`{t}` is not a number"));
    };
    if v.is_nan() {
        return Err(format!("`{t}` is not a number"));
    }
    if v.is_infinite() {
        return Err(format!("`{t}` is too large: weights must be finite"));
    }
    if v < 0.0 {
        return Err(format!("`{t}` is negative: weights are 0 or more"));
    }
    Ok(v + 0.0)
}

/// An instance count: a whole number ≥ 1.
pub fn parse_count(text: &str) -> Result<u32, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("enter an instance count (a whole number, 1 or more)".into());
    }
    if let Ok(n) = t.parse::<u64>() {
        return match u32::try_from(n) {
            Ok(0) => Err("the instance count must be at least 1".into()),
            Ok(n) => Ok(n),
            Err(_) => Err(format!("`{t}` is too many instances")),
        };
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_nan() => Err(format!("`{t}` is not a number")),
        Ok(v) if v < 0.0 => Err(format!("`{t}` is negative: an instance count is 1 or more")),
        Ok(v) if v.is_infinite() || v > f64::from(u32::MAX) => {
            Err(format!("`{t}` is too many instances"))
        }
        Ok(_) => Err(format!("`{t}` is not a whole number of instances")),
        Err(_) => Err(format!("`{t}` is not a whole number")),
    }
}

/// Checks every weight (each message names its variant) and that not all are zero.
pub fn validate_weights(names: &[String], texts: &[String]) -> Result<Vec<f64>, String> {
    let mut out = Vec::with_capacity(texts.len());
    for (name, text) in names.iter().zip(texts) {
        out.push(parse_weight(text).map_err(|e| format!("{name}: {e}"))?);
    }
    if out.iter().all(|w| *w == 0.0) {
        return Err(
            "at least one variant needs a weight above 0 (AWS refuses all-zero weights)".into(),
        );
    }
    Ok(out)
}

/// A figure as typed back into a field: at most two decimals, no trailing zeros.
pub fn text_of(v: f64) -> String {
    crate::write::request::weight_text((v * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_accept_numbers_and_explain_the_rest() {
        assert_eq!(parse_weight("2"), Ok(2.0));
        assert_eq!(parse_weight(" 0.25 "), Ok(0.25));
        assert_eq!(parse_weight("-0"), Ok(0.0));
        for (t, needle) in [
            ("", "enter a weight"),
            ("abc", "`abc` is not a number"),
            ("NaN", "`NaN` is not a number"),
            ("1e309", "too large"),
            ("inf", "too large"),
            ("-5", "negative"),
        ] {
            let e = parse_weight(t).unwrap_err();
            assert!(e.contains(needle), "{t}: {e}");
        }
    }

    #[test]
    fn counts_are_whole_and_positive() {
        assert_eq!(parse_count("3"), Ok(3));
        for (t, needle) in [
            ("", "enter an instance count"),
            ("0", "at least 1"),
            ("2.5", "not a whole number of instances"),
            ("-1", "negative"),
            ("x", "not a whole number"),
            ("99999999999", "too many"),
            ("1e309", "too many"),
            ("NaN", "not a number"),
        ] {
            let e = parse_count(t).unwrap_err();
            assert!(e.contains(needle), "{t}: {e}");
        }
    }

    #[test]
    fn all_zero_is_refused() {
        let names = vec!["A".to_string(), "B".to_string()];
        let e = validate_weights(&names, &["0".into(), "0".into()]).unwrap_err();
        assert!(e.contains("all-zero"), "{e}");
        let e = validate_weights(&names, &["1".into(), "x".into()]).unwrap_err();
        assert!(e.starts_with("B: "), "{e}");
    }
}
