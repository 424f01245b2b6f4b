//! Text for people (table, summary, comparison) and for scripts (JSON, CSV).

use crate::fetch::{Fetched, Filters};
use crate::row::{AnomalyRow, EXPORT_COLUMNS};
use crate::summary::{Comparison, Landmark, Summary};
use pump_core::{Status, Timestamp};
use serde::Serialize;
use std::io::{self, Write};

/// The longest description shown in the table; longer ones end in `…`.
pub const DESCRIPTION_WIDTH: usize = 60;

/// Whether statuses are coloured: only on a terminal, and never when `NO_COLOR` is set to a
/// non-empty value (<https://no-color.org>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// ANSI colours.
    Ansi,
    /// Plain text.
    Plain,
}

impl Colour {
    /// The choice for an output that is (or is not) a terminal, given `NO_COLOR`'s value.
    pub fn choose(is_terminal: bool, no_color: Option<&str>) -> Colour {
        if is_terminal && no_color.is_none_or(str::is_empty) {
            Colour::Ansi
        } else {
            Colour::Plain
        }
    }

    fn status(self, status: Option<Status>, padded: &str) -> String {
        let code = match status {
            Some(Status::Normal) => "32",
            Some(Status::Warning) => "33",
            Some(Status::Critical) => "31",
            Some(Status::Failure) => "1;35",
            None => return padded.to_string(),
        };
        match self {
            Colour::Ansi => format!("\x1b[{code}m{padded}\x1b[0m"),
            Colour::Plain => padded.to_string(),
        }
    }
}

/// `2024-11-18 14:32` (UTC, minutes).
pub fn short_time(t: Timestamp) -> String {
    let s = t.to_string();
    // RFC 3339 UTC: "2024-11-18T14:32:00Z" (maybe with a fraction).
    match (s.get(..10), s.get(11..16)) {
        (Some(date), Some(hm)) => format!("{date} {hm}"),
        _ => s,
    }
}

fn cell(v: Option<impl ToString>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn truncate(text: &str, width: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(width.saturating_sub(1)) {
        Some((cut, _)) if one_line.chars().count() > width => format!("{}…", &one_line[..cut]),
        _ => one_line,
    }
}

/// Writes rows of cells as aligned columns; `colour_column` cells are coloured by status.
fn write_columns(
    out: &mut dyn Write,
    header: &[&str],
    rows: &[(Vec<String>, Option<Status>)],
    right_aligned: &[usize],
    colour_column: Option<usize>,
    colour: Colour,
) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for (cells, _) in rows {
        for (w, c) in widths.iter_mut().zip(cells) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String], status: Option<Status>, is_header: bool| {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            let padded = if right_aligned.contains(&i) {
                format!("{c:>w$}")
            } else if i == last {
                c.clone()
            } else {
                format!("{c:<w$}")
            };
            if i > 0 {
                text.push_str("  ");
            }
            if !is_header && colour_column == Some(i) {
                text.push_str(&colour.status(status, &padded));
            } else {
                text.push_str(&padded);
            }
        }
        text
    };
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    writeln!(out, "{}", line(&header, None, true))?;
    for (cells, status) in rows {
        writeln!(out, "{}", line(cells, *status, false))?;
    }
    Ok(())
}

/// The table of anomalies: time, site, pump, sensor, parameter, status, deviation,
/// description (shortened to [`DESCRIPTION_WIDTH`]).
pub fn write_table(out: &mut dyn Write, rows: &[AnomalyRow], colour: Colour) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "No anomalies match the filters.");
    }
    let cells: Vec<(Vec<String>, Option<Status>)> = rows
        .iter()
        .map(|r| {
            (
                vec![
                    r.timestamp.map_or_else(|| "-".into(), short_time),
                    cell(r.site),
                    cell(r.pump),
                    cell(r.sensor),
                    cell(r.parameter.as_deref()),
                    cell(r.status),
                    r.deviation
                        .map_or_else(|| "-".into(), |d| format!("{d:+.2}%")),
                    truncate(&r.description, DESCRIPTION_WIDTH),
                ],
                r.status,
            )
        })
        .collect();
    write_columns(
        out,
        &[
            "time (UTC)",
            "site",
            "pump",
            "sensor",
            "parameter",
            "status",
            "deviation",
            "description",
        ],
        &cells,
        &[1, 2, 3, 6],
        Some(5),
        colour,
    )
}

fn landmark(l: &Landmark) -> String {
    format!(
        "{} UTC  pump {}  {} {}",
        short_time(l.timestamp),
        l.pump,
        l.parameter.as_deref().unwrap_or("-"),
        cell(l.status),
    )
}

fn counts<K: ToString>(items: impl IntoIterator<Item = (K, u64)>) -> String {
    let parts: Vec<String> = items
        .into_iter()
        .map(|(k, n)| format!("{} {n}", k.to_string()))
        .collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

/// The summary printed after the table.
pub fn write_summary(out: &mut dyn Write, s: &Summary) -> io::Result<()> {
    writeln!(out)?;
    if s.matched > s.total {
        writeln!(
            out,
            "Summary: {} anomalies (the latest {} of {} matching; raise --max-results for more)",
            s.total, s.total, s.matched
        )?;
    } else {
        writeln!(out, "Summary: {} anomalies", s.total)?;
    }
    writeln!(out, "  by status:     {}", counts(s.by_status.nonzero()))?;
    writeln!(
        out,
        "  by pump:       {}",
        counts(s.by_pump.iter().map(|c| (c.key, c.count)))
    )?;
    writeln!(
        out,
        "  by parameter:  {}",
        counts(s.by_parameter.iter().map(|c| (&c.key, c.count)))
    )?;
    if let Some(first) = &s.first {
        writeln!(out, "  first:         {}", landmark(first))?;
    }
    if let Some(last) = &s.last {
        writeln!(out, "  last:          {}", landmark(last))?;
    }
    Ok(())
}

/// The `--compare-pumps` table.
pub fn write_comparison(out: &mut dyn Write, c: &Comparison, colour: Colour) -> io::Result<()> {
    writeln!(out)?;
    match (c.span_start, c.span_end) {
        (Some(s), Some(e)) => writeln!(
            out,
            "Pump comparison over {:.1} days ({} to {} UTC)",
            c.span_days,
            short_time(s),
            short_time(e)
        )?,
        _ => writeln!(out, "Pump comparison")?,
    }
    if c.pumps.is_empty() {
        return writeln!(out, "No anomalies match the filters.");
    }
    let header = [
        "pump",
        "total",
        "Normal",
        "Warning",
        "Critical",
        "Failure",
        "per day",
        "top parameter",
    ];
    let rows: Vec<(Vec<String>, Option<Status>)> = c
        .pumps
        .iter()
        .map(|p| {
            let mut cells = vec![p.pump.to_string(), p.total.to_string()];
            cells.extend(Status::ALL.map(|s| p.by_status.get(Some(s)).to_string()));
            cells.push(format!("{:.2}", p.per_day));
            cells.push(match &p.top_parameter {
                Some(name) => format!("{name} ({})", p.top_parameter_count),
                None => "-".into(),
            });
            (cells, None)
        })
        .collect();
    write_columns(out, &header, &rows, &[1, 2, 3, 4, 5, 6], None, colour)
}

/// The CSV of [`EXPORT_COLUMNS`], header first.
pub fn write_csv(out: &mut dyn Write, rows: &[AnomalyRow]) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(EXPORT_COLUMNS)?;
    for row in rows {
        w.write_record(row.csv_record())?;
    }
    w.flush()?;
    Ok(())
}

/// The `--format json` document.
#[derive(Debug, Serialize)]
pub struct JsonOutput<'a> {
    /// The filters as applied (window sides resolved to instants).
    pub filters: &'a Filters,
    /// Anomalies that match at the server.
    pub matched: u64,
    /// Anomalies returned.
    pub returned: u64,
    /// True when `--max-results` left the oldest matching anomalies out.
    pub truncated: bool,
    /// The summary.
    pub summary: &'a Summary,
    /// With `--compare-pumps`, the comparison.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<&'a Comparison>,
    /// The anomalies, oldest first, in the export's columns.
    pub anomalies: &'a [AnomalyRow],
}

impl<'a> JsonOutput<'a> {
    /// The document for one query.
    pub fn new(
        filters: &'a Filters,
        fetched: &'a Fetched,
        summary: &'a Summary,
        comparison: Option<&'a Comparison>,
    ) -> JsonOutput<'a> {
        JsonOutput {
            filters,
            matched: fetched.matched,
            returned: fetched.rows.len() as u64,
            truncated: fetched.truncated(),
            summary,
            comparison,
            anomalies: &fetched.rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> AnomalyRow {
        AnomalyRow {
            id: "12".into(),
            timestamp: Some("2024-11-18T14:32:00Z".parse().unwrap()),
            site: Some(35482),
            pump: Some(1),
            sensor: Some(101),
            parameter: Some("flow".into()),
            status: Some(Status::Warning),
            value: Some(575.0),
            deviation: Some(15.0),
            description:
                "Flow exceeded 15.0% (threshold: 10%), and a very long tail of text that goes on"
                    .into(),
            created_at: "2024-11-18T14:33:00Z".parse().unwrap(),
        }
    }

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_table_is_aligned_truncated_and_plain_off_a_terminal() {
        let t = text(|o| write_table(o, &[row()], Colour::Plain).unwrap());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "time (UTC)         site  pump  sensor  parameter  status   deviation  description"
        );
        assert_eq!(
            lines[1],
            "2024-11-18 14:32  35482     1     101  flow       Warning    +15.00%  Flow exceeded 15.0% (threshold: 10%), and a very long tail …"
        );
        assert!(!t.contains('\x1b'));
        let coloured = text(|o| write_table(o, &[row()], Colour::Ansi).unwrap());
        assert!(coloured.contains("\x1b[33mWarning\x1b[0m"));
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert_eq!(Colour::choose(true, None), Colour::Ansi);
        assert_eq!(Colour::choose(true, Some("")), Colour::Ansi);
        assert_eq!(Colour::choose(true, Some("1")), Colour::Plain);
        assert_eq!(Colour::choose(false, None), Colour::Plain);
    }

    #[test]
    fn the_summary_names_counts_and_landmarks() {
        let s = Summary::of(&[row()], 3);
        let t = text(|o| write_summary(o, &s).unwrap());
        assert_eq!(
            t,
            "\nSummary: 1 anomalies (the latest 1 of 3 matching; raise --max-results for more)\n  \
             by status:     Warning 1\n  by pump:       35482/1 1\n  by parameter:  flow 1\n  \
             first:         2024-11-18 14:32 UTC  pump 35482/1  flow Warning\n  \
             last:          2024-11-18 14:32 UTC  pump 35482/1  flow Warning\n"
        );
    }
}
