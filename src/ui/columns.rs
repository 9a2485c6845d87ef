//! Fitting table columns to a width: drop by priority, then grow flexible columns.

use ratatui::layout::{Alignment, Constraint};
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use super::format::truncate;

/// Space between columns.
pub const SPACING: u16 = 1;

/// One column as a table wants it.
#[derive(Debug, Clone)]
pub struct ColumnSpec<K> {
    pub key: K,
    pub title: String,
    /// Width the content wants (at least the title's width).
    pub want: u16,
    /// Narrowest acceptable width; below `want` the content is truncated with "…".
    pub min: u16,
    /// 0 never drops; otherwise higher numbers drop first when space runs out.
    pub drop_rank: u8,
    pub align: Alignment,
}

impl<K> ColumnSpec<K> {
    pub fn fixed(
        key: K,
        title: impl Into<String>,
        want: usize,
        drop_rank: u8,
        align: Alignment,
    ) -> Self {
        let title = title.into();
        let want = want.max(super::format::width(&title)) as u16;
        ColumnSpec {
            key,
            title,
            want,
            min: want,
            drop_rank,
            align,
        }
    }

    pub fn flexible(
        key: K,
        title: impl Into<String>,
        want: usize,
        min: usize,
        drop_rank: u8,
    ) -> Self {
        let title = title.into();
        let tw = super::format::width(&title);
        let want = want.max(tw) as u16;
        let min = (min.max(tw) as u16).min(want);
        ColumnSpec {
            key,
            title,
            want,
            min,
            drop_rank,
            align: Alignment::Left,
        }
    }
}

/// Columns chosen for a width, with their final widths.
#[derive(Debug, Clone)]
pub struct Fitted<K> {
    pub columns: Vec<ColumnSpec<K>>,
    pub widths: Vec<u16>,
    /// Space between columns (wider when the screen has room to spare).
    pub spacing: u16,
}

impl<K: Copy + PartialEq> Fitted<K> {
    pub fn constraints(&self) -> Vec<Constraint> {
        self.widths.iter().map(|w| Constraint::Length(*w)).collect()
    }

    pub fn has(&self, key: K) -> bool {
        self.columns.iter().any(|c| c.key == key)
    }

    /// Header cells, aligned like their columns.
    pub fn header_cells(&self) -> Vec<Cell<'static>> {
        self.columns
            .iter()
            .zip(&self.widths)
            .map(|(c, w)| {
                Cell::from(Line::from(truncate(&c.title, *w as usize)).alignment(c.align))
            })
            .collect()
    }

    /// A body cell for column `i`: truncated to its width with "…", aligned, styled.
    pub fn cell(&self, i: usize, text: &str, style: ratatui::style::Style) -> Cell<'static> {
        let w = self.widths.get(i).copied().unwrap_or(0) as usize;
        let align = self.columns.get(i).map_or(Alignment::Left, |c| c.align);
        Cell::from(Line::from(Span::styled(truncate(text, w), style)).alignment(align))
    }
}

fn total<K>(cols: &[ColumnSpec<K>], f: impl Fn(&ColumnSpec<K>) -> u16) -> u32 {
    let spacing = u32::from(SPACING) * cols.len().saturating_sub(1) as u32;
    cols.iter().map(|c| u32::from(f(c))).sum::<u32>() + spacing
}

/// Drops the highest-ranked droppable columns until the minimum widths fit, then grows the
/// columns that want more, in order, until `width` is used; space still left widens the gaps
/// between columns (up to 3). Column order is kept.
pub fn fit<K: Copy>(mut cols: Vec<ColumnSpec<K>>, width: u16) -> Fitted<K> {
    let width32 = u32::from(width);
    while total(&cols, |c| c.min) > width32 {
        let victim = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| c.drop_rank > 0)
            .max_by_key(|(i, c)| (c.drop_rank, *i))
            .map(|(i, _)| i);
        match victim {
            Some(i) => {
                cols.remove(i);
            }
            None => break,
        }
    }
    let mut widths: Vec<u16> = cols.iter().map(|c| c.min).collect();
    let used = total(&cols, |c| c.min);
    let mut spacing = SPACING;
    if used <= width32 {
        let mut spare = width32 - used;
        for (w, c) in widths.iter_mut().zip(&cols) {
            let grow = u32::from(c.want.saturating_sub(*w)).min(spare);
            *w += grow as u16;
            spare -= grow;
        }
        let gaps = cols.len().saturating_sub(1) as u32;
        if let Some(per_gap) = spare.checked_div(gaps) {
            spacing += per_gap.min(2) as u16;
        }
    } else {
        // Even the kept columns do not fit: shrink from the right.
        let mut excess = used - width32;
        for w in widths.iter_mut().rev() {
            let cut = u32::from(*w).min(excess);
            *w -= cut as u16;
            excess -= cut;
            if excess == 0 {
                break;
            }
        }
    }
    Fitted {
        columns: cols,
        widths,
        spacing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_by_rank_and_grows_in_order() {
        let cols = vec![
            ColumnSpec::flexible('n', "NAME", 30, 10, 0),
            ColumnSpec::fixed('a', "AAAA", 4, 2, Alignment::Right),
            ColumnSpec::fixed('b', "BBBB", 4, 1, Alignment::Right),
            ColumnSpec::fixed('c', "CCCC", 4, 3, Alignment::Right),
        ];
        let f = fit(cols.clone(), 100);
        assert_eq!(f.widths, vec![30, 4, 4, 4]);
        assert_eq!(f.spacing, 3);
        assert_eq!(fit(cols.clone(), 45).spacing, 1);
        let f = fit(cols.clone(), 20);
        assert_eq!(f.columns.iter().map(|c| c.key).collect::<String>(), "nab");
        assert_eq!(f.widths, vec![10, 4, 4]);
        let f = fit(cols.clone(), 16);
        assert_eq!(f.columns.iter().map(|c| c.key).collect::<String>(), "nb");
        assert_eq!(f.widths, vec![11, 4]);
        let f = fit(cols, 5);
        assert_eq!(f.widths, vec![5]);
    }
}
