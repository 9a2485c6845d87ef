//! Colour maths for themes: the xterm palette, and mapping truecolour themes down to
//! 256 or 16 colours for terminals that cannot show more.

use ratatui::style::Color;

/// How many colours the terminal can show; themes are downgraded to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorDepth {
    TrueColor,
    Ansi256,
    Ansi16,
}

impl ColorDepth {
    /// Guess from `COLORTERM` and `TERM` (pass the variables' values; no environment access here).
    pub fn detect(colorterm: Option<&str>, term: Option<&str>) -> ColorDepth {
        let ct = colorterm.unwrap_or("").to_ascii_lowercase();
        if ct.contains("truecolor") || ct.contains("24bit") {
            return ColorDepth::TrueColor;
        }
        let term = term.unwrap_or("").to_ascii_lowercase();
        if term.contains("256") || term.contains("direct") {
            ColorDepth::Ansi256
        } else {
            ColorDepth::Ansi16
        }
    }
}

/// The xterm palette value of a 256-colour index.
pub fn indexed_rgb(i: u8) -> (u8, u8, u8) {
    const BASE16: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (205, 0, 0),
        (0, 205, 0),
        (205, 205, 0),
        (0, 0, 238),
        (205, 0, 205),
        (0, 205, 205),
        (229, 229, 229),
        (127, 127, 127),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (92, 92, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ];
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    match i {
        0..=15 => BASE16[i as usize],
        16..=231 => {
            let n = i - 16;
            (
                LEVELS[(n / 36) as usize],
                LEVELS[((n / 6) % 6) as usize],
                LEVELS[(n % 6) as usize],
            )
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
    }
}

/// The RGB a named ANSI colour usually shows as (xterm defaults); `None` for `Reset`.
pub fn color_rgb(c: Color) -> Option<(u8, u8, u8)> {
    let idx = match c {
        Color::Reset => return None,
        Color::Rgb(r, g, b) => return Some((r, g, b)),
        Color::Indexed(i) => i,
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
    };
    Some(indexed_rgb(idx))
}

fn dist(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2) as u32;
    // Weighted towards green, as eyes are.
    2 * d(a.0, b.0) + 4 * d(a.1, b.1) + 3 * d(a.2, b.2)
}

fn nearest(rgb: (u8, u8, u8), candidates: impl Iterator<Item = u8>) -> u8 {
    candidates
        .min_by_key(|&i| dist(rgb, indexed_rgb(i)))
        .unwrap_or(7)
}

/// The ANSI colour (0-15) closest in hue: greys by brightness, colours by which channels
/// stand out, bright when the colour is light. Distance in RGB maps saturated light colours
/// to grey, which loses the meaning of red or green.
fn ansi16_index((r, g, b): (u8, u8, u8)) -> usize {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    if max - min < 48 {
        return match max {
            0..40 => 0,
            40..140 => 8,
            140..220 => 7,
            _ => 15,
        };
    }
    let t = (u16::from(max) + u16::from(min)) / 2;
    let bits = usize::from(u16::from(r) > t)
        | usize::from(u16::from(g) > t) << 1
        | usize::from(u16::from(b) > t) << 2;
    let bright = max >= 200 && min >= 64;
    bits + if bright { 8 } else { 0 }
}

/// `c` as the nearest colour a terminal of `depth` can show.
pub(crate) fn downgrade(c: Color, depth: ColorDepth) -> Color {
    const NAMED: [Color; 16] = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    match (depth, c) {
        (ColorDepth::TrueColor, _) => c,
        (ColorDepth::Ansi256, Color::Rgb(..)) => {
            Color::Indexed(nearest(color_rgb(c).unwrap_or_default(), 16..=255))
        }
        (ColorDepth::Ansi256, _) => c,
        (ColorDepth::Ansi16, Color::Rgb(..) | Color::Indexed(_)) => {
            NAMED[ansi16_index(color_rgb(c).unwrap_or_default())]
        }
        (ColorDepth::Ansi16, _) => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::Theme;

    #[test]
    fn downgrading_lands_on_the_palette() {
        // Cube colours map exactly; 16 colours pick the nearest ANSI colour.
        assert_eq!(
            downgrade(Color::Rgb(0x5f, 0xd7, 0x5f), ColorDepth::Ansi256),
            Color::Indexed(77)
        );
        assert_eq!(
            downgrade(Color::Rgb(0x1c, 0x1c, 0x1c), ColorDepth::Ansi256),
            Color::Indexed(234)
        );
        assert_eq!(
            downgrade(Color::Rgb(0xff, 0x5f, 0x5f), ColorDepth::Ansi16),
            Color::LightRed
        );
        assert_eq!(downgrade(Color::Reset, ColorDepth::Ansi16), Color::Reset);
        assert_eq!(
            downgrade(Color::Rgb(0x5f, 0xd7, 0x5f), ColorDepth::Ansi16),
            Color::LightGreen
        );
        assert_eq!(
            downgrade(Color::Rgb(0xff, 0xd7, 0x5f), ColorDepth::Ansi16),
            Color::LightYellow
        );
        assert_eq!(
            downgrade(Color::Rgb(0x80, 0x80, 0x80), ColorDepth::Ansi16),
            Color::DarkGray
        );
        assert_eq!(
            downgrade(Color::Rgb(0x1c, 0x1c, 0x1c), ColorDepth::Ansi16),
            Color::Black
        );
        assert_eq!(
            downgrade(Color::Indexed(196), ColorDepth::Ansi16),
            Color::Red
        );
        let t = Theme::default_theme().for_depth(ColorDepth::Ansi16);
        for (name, s) in t.roles() {
            for c in [s.fg, s.bg].into_iter().flatten() {
                assert!(
                    !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                    "{name}: {c:?}"
                );
            }
        }
    }

    #[test]
    fn depth_detection() {
        assert_eq!(
            ColorDepth::detect(Some("truecolor"), Some("xterm")),
            ColorDepth::TrueColor
        );
        assert_eq!(
            ColorDepth::detect(None, Some("screen-256color")),
            ColorDepth::Ansi256
        );
        assert_eq!(ColorDepth::detect(None, Some("vt100")), ColorDepth::Ansi16);
    }
}
