//! Line building with exact heights: word wrap, packing labelled items into lines, and
//! cutting styled spans to a width (layouts need line counts before drawing).

use ratatui::text::{Line, Span};

use super::format::{truncate, width};

/// Greedy word wrap to `max` cells; words longer than a line are cut with "…".
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    if max == 0 {
        return lines;
    }
    for para in text.lines() {
        let mut cur = String::new();
        for word in para.split_whitespace() {
            let word = if width(word) > max {
                truncate(word, max)
            } else {
                word.to_string()
            };
            if cur.is_empty() {
                cur = word;
            } else if width(&cur) + 1 + width(&word) <= max {
                cur.push(' ');
                cur.push_str(&word);
            } else {
                lines.push(std::mem::take(&mut cur));
                cur = word;
            }
        }
        if !cur.is_empty() {
            lines.push(cur);
        }
    }
    lines
}

/// Cuts a run of spans to `max` cells, ending with "…" when cut.
pub fn truncate_spans<'a>(spans: Vec<Span<'a>>, max: usize) -> Vec<Span<'a>> {
    let total: usize = spans.iter().map(|s| width(&s.content)).sum();
    if total <= max {
        return spans;
    }
    let mut out = Vec::new();
    let mut used = 0;
    for s in spans {
        let w = width(&s.content);
        if used + w < max {
            used += w;
            out.push(s);
        } else {
            let room = max - used;
            if room > 0 {
                out.push(Span::styled(truncate(&s.content, room.max(1)), s.style));
            }
            break;
        }
    }
    // Make sure the cut is visible even when it fell on a span boundary.
    if let Some(last) = out.last_mut()
        && !last.content.ends_with('…')
    {
        let w = width(&last.content);
        last.content = truncate(&format!("{}…", last.content), w).into();
    }
    out
}

/// Packs items (each a run of spans) into lines of `max` cells, two spaces apart.
/// Continuation lines start with `indent` spaces; an item too long for a line is cut.
pub fn pack<'a>(items: Vec<Vec<Span<'a>>>, max: usize, indent: usize) -> Vec<Line<'a>> {
    let mut lines: Vec<Line> = Vec::new();
    let mut cur: Vec<Span> = Vec::new();
    let mut used = 0;
    let indent = if indent * 2 > max { 0 } else { indent };
    for item in items {
        let w: usize = item.iter().map(|s| width(&s.content)).sum();
        if cur.is_empty() {
            let start = if lines.is_empty() { 0 } else { indent };
            if start > 0 {
                cur.push(Span::raw(" ".repeat(start)));
            }
            let room = max.saturating_sub(start);
            used = start + w.min(room);
            cur.extend(truncate_spans(item, room));
        } else if used + 2 + w <= max {
            cur.push(Span::raw("  "));
            cur.extend(item);
            used += 2 + w;
        } else {
            lines.push(Line::from(std::mem::take(&mut cur)));
            let room = max.saturating_sub(indent);
            if indent > 0 {
                cur.push(Span::raw(" ".repeat(indent)));
            }
            used = indent + w.min(room);
            cur.extend(truncate_spans(item, room));
        }
    }
    if !cur.is_empty() {
        lines.push(Line::from(cur));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn wraps_on_words() {
        assert_eq!(
            wrap("the quick brown fox", 10),
            vec!["the quick", "brown fox"]
        );
        assert_eq!(wrap("abcdefghijkl", 5), vec!["abcd…"]);
        assert!(wrap("x", 0).is_empty());
    }

    #[test]
    fn packs_items_with_indent() {
        let items = vec![
            vec![Span::raw("aaaa")],
            vec![Span::raw("bbbb")],
            vec![Span::raw("cccc")],
        ];
        assert_eq!(plain(&pack(items, 11, 2)), vec!["aaaa  bbbb", "  cccc"]);
        let long = vec![vec![Span::raw("a"), Span::raw("bcdefghij")]];
        assert_eq!(plain(&pack(long, 5, 0)), vec!["abcd…"]);
    }
}
