//! The screenshots' SVG writer: a terminal buffer drawn cell by cell as a standalone SVG
//! document (runs of same-looking cells as one text element, reverse video resolved).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use crate::theme::color_rgb;

/// Cell size in SVG pixels (monospace at 14 px: about 0.6 em wide).
const CELL_W: f64 = 8.4;
const CELL_H: f64 = 17.0;
const FONT_SIZE: f64 = 14.0;
/// Colours for `Reset`: the dark background and light text of the default theme.
const DEFAULT_FG: (u8, u8, u8) = (0xd0, 0xd0, 0xd0);
const DEFAULT_BG: (u8, u8, u8) = (0x1c, 0x1c, 0x1c);

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// Escapes text for XML character data and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Resolved look of one cell (after reverse video).
#[derive(Clone, PartialEq)]
struct Look {
    fg: (u8, u8, u8),
    bg: (u8, u8, u8),
    bold: bool,
    italic: bool,
    underline: bool,
    dim: bool,
}

fn look(fg: Color, bg: Color, m: Modifier) -> Look {
    let mut f = color_rgb(fg).unwrap_or(DEFAULT_FG);
    let mut b = color_rgb(bg).unwrap_or(DEFAULT_BG);
    if m.contains(Modifier::REVERSED) {
        std::mem::swap(&mut f, &mut b);
    }
    Look {
        fg: f,
        bg: b,
        bold: m.contains(Modifier::BOLD),
        italic: m.contains(Modifier::ITALIC),
        underline: m.contains(Modifier::UNDERLINED),
        dim: m.contains(Modifier::DIM),
    }
}

/// Renders a terminal buffer as a standalone SVG document.
pub fn buffer_to_svg(buf: &Buffer, title: &str) -> String {
    let area = buf.area;
    let (w, h) = (
        f64::from(area.width) * CELL_W,
        f64::from(area.height) * CELL_H,
    );
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.1} {h:.1}" role="img" aria-label="{}" xml:space="preserve">"#,
        xml_escape(title)
    );
    let _ = writeln!(svg, "<title>{}</title>", xml_escape(title));
    let _ = writeln!(
        svg,
        r#"<style>text{{font-family:"DejaVu Sans Mono","Menlo","Consolas",monospace;font-size:{FONT_SIZE}px;white-space:pre}}</style>"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="100%" height="100%" fill="{}"/>"#,
        hex(DEFAULT_BG)
    );
    for y in 0..area.height {
        // Runs of cells that look the same.
        let mut runs: Vec<(u16, Look, String, u16)> = Vec::new();
        let mut x = 0;
        while x < area.width {
            let cell = &buf[(area.x + x, area.y + y)];
            let l = look(cell.fg, cell.bg, cell.modifier);
            let sym = cell.symbol();
            match runs.last_mut() {
                Some((_, last, text, n)) if *last == l => {
                    text.push_str(sym);
                    *n += 1;
                }
                _ => runs.push((x, l, sym.to_string(), 1)),
            }
            x += 1;
        }
        let top = f64::from(y) * CELL_H;
        let baseline = top + CELL_H * 0.78;
        for (x0, l, text, n) in runs {
            let left = f64::from(x0) * CELL_W;
            let run_w = f64::from(n) * CELL_W;
            if l.bg != DEFAULT_BG {
                let _ = writeln!(
                    svg,
                    r#"<rect x="{left:.1}" y="{top:.1}" width="{run_w:.1}" height="{CELL_H:.1}" fill="{}"/>"#,
                    hex(l.bg)
                );
            }
            if text.trim().is_empty() {
                continue;
            }
            let mut attrs = format!(r#" fill="{}""#, hex(l.fg));
            if l.bold {
                attrs.push_str(r#" font-weight="bold""#);
            }
            if l.italic {
                attrs.push_str(r#" font-style="italic""#);
            }
            if l.underline {
                attrs.push_str(r#" text-decoration="underline""#);
            }
            if l.dim {
                attrs.push_str(r#" fill-opacity="0.6""#);
            }
            let _ = writeln!(
                svg,
                r#"<text x="{left:.1}" y="{baseline:.1}" textLength="{run_w:.1}" lengthAdjust="spacingAndGlyphs"{attrs}>{}</text>"#,
                xml_escape(&text)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// Writes one SVG file, creating the directory.
pub(super) fn write_svg(
    out_dir: &Path,
    name: &str,
    buf: &Buffer,
    title: &str,
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(out_dir)?;
    let path = out_dir.join(name);
    std::fs::write(&path, buffer_to_svg(buf, title))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn svg_escapes_and_colours_cells() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 12, 2));
        buf.set_string(
            0,
            0,
            "<a & b>",
            Style::default()
                .fg(Color::Rgb(255, 0, 0))
                .add_modifier(Modifier::BOLD),
        );
        buf.set_string(
            0,
            1,
            "ok",
            Style::default().add_modifier(Modifier::REVERSED),
        );
        let svg = buffer_to_svg(&buf, "t \"1\"");
        assert!(svg.contains("&lt;a &amp; b&gt;"), "{svg}");
        assert!(
            svg.contains(r##"fill="#ff0000" font-weight="bold""##),
            "{svg}"
        );
        assert!(svg.contains("aria-label=\"t &quot;1&quot;\""));
        // Reverse video: light background rect behind dark text.
        assert!(svg.contains(r##"fill="#d0d0d0"/>"##), "{svg}");
    }
}
