//! The charts: a timeline of anomalies (one row per pump, points coloured by status) and a
//! per-pump bar chart (anomalies stacked by status), as 1200×600 PNG files.
//!
//! Text is drawn with DejaVu Sans compiled into the binary (assets/DejaVuSans.ttf, licence
//! beside it): no system fonts, fontconfig or freetype are needed at run time.

use crate::error::QueryToolError;
use crate::output::draw_file_atomically;
use crate::row::{AnomalyRow, PumpKey};
use crate::summary::{Comparison, StatusCounts};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use pump_core::{Status, Timestamp};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// Width of every chart, pixels.
pub const WIDTH: u32 = 1200;
/// Height of every chart, pixels.
pub const HEIGHT: u32 = 600;
/// The text every chart of an empty result shows.
pub const EMPTY_MESSAGE: &str = "No anomalies match the filters";

const FONT: &str = "sans-serif";
const FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const SECONDS_PER_DAY: f64 = 86_400.0;
/// Pump rows with a label; beyond that every n-th row is labelled.
const MAX_ROW_LABELS: usize = 30;
const LEGEND_WIDTH: u32 = 200;
const HEADER_HEIGHT: u32 = 64;

/// The colour of a status, shared by both charts: green, amber, red, dark purple; grey for
/// an unknown status.
pub fn status_colour(status: Option<Status>) -> RGBColor {
    match status {
        Some(Status::Normal) => RGBColor(46, 139, 87),
        Some(Status::Warning) => RGBColor(240, 165, 0),
        Some(Status::Critical) => RGBColor(214, 39, 40),
        Some(Status::Failure) => RGBColor(90, 20, 120),
        None => RGBColor(150, 150, 150),
    }
}

/// Where a parameter's points sit inside its pump's row, so that parameters form lanes:
/// flow on top, then head, power, efficiency, prediction.
fn lane(parameter: Option<&str>) -> f64 {
    match parameter {
        Some("flow") => 0.28,
        Some("head") => 0.14,
        Some("power") => 0.0,
        Some("efficiency") => -0.14,
        Some("prediction") => -0.28,
        _ => 0.0,
    }
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are the DejaVu Sans file shipped in assets/: valid by construction.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
    });
}

/// `FILE.png` → `FILE-compare.png`: where `--compare-pumps` puts its bar chart.
pub fn comparison_path(timeline: &Path) -> PathBuf {
    let stem = timeline
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "anomalies".into());
    timeline.with_file_name(format!("{stem}-compare.png"))
}

fn plot_err(path: &Path, e: impl std::fmt::Display) -> QueryToolError {
    QueryToolError::Plot {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Draws `rows` as a timeline into the PNG `path` (written atomically). `subtitle` says
/// what was queried.
///
/// The time axis covers `span` (the queried window) when given, widened to every anomaly,
/// else the anomalies' own range.
pub fn draw_timeline(
    rows: &[AnomalyRow],
    span: Option<(Timestamp, Timestamp)>,
    subtitle: &str,
    path: &Path,
) -> Result<(), QueryToolError> {
    register_font();
    let dated: Vec<&AnomalyRow> = rows.iter().filter(|r| r.timestamp.is_some()).collect();
    draw_file_atomically(path, ".png", |tmp| {
        let root = BitMapBackend::new(tmp, (WIDTH, HEIGHT)).into_drawing_area();
        let title = format!(
            "Anomaly timeline: {} {}",
            dated.len(),
            if dated.len() == 1 {
                "anomaly"
            } else {
                "anomalies"
            }
        );
        let body = header(&root, &title, subtitle).map_err(|e| plot_err(path, e))?;
        if dated.is_empty() {
            empty(&body).map_err(|e| plot_err(path, e))?;
        } else {
            timeline(&body, &dated, span).map_err(|e| plot_err(path, e))?;
        }
        root.present().map_err(|e| plot_err(path, e))
    })
}

/// Draws the per-pump bar chart of `comparison` into the PNG `path` (written atomically).
pub fn draw_comparison(
    comparison: &Comparison,
    subtitle: &str,
    path: &Path,
) -> Result<(), QueryToolError> {
    register_font();
    draw_file_atomically(path, ".png", |tmp| {
        let root = BitMapBackend::new(tmp, (WIDTH, HEIGHT)).into_drawing_area();
        let title = "Anomalies per pump, by status";
        let body = header(&root, title, subtitle).map_err(|e| plot_err(path, e))?;
        if comparison.pumps.is_empty() {
            empty(&body).map_err(|e| plot_err(path, e))?;
        } else {
            bars(&body, comparison).map_err(|e| plot_err(path, e))?;
        }
        root.present().map_err(|e| plot_err(path, e))
    })
}

type DrawResult<T> =
    Result<T, DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>>;

/// White background, title and subtitle; returns the area below them.
fn header<'a>(root: &Area<'a>, title: &str, subtitle: &str) -> DrawResult<Area<'a>> {
    root.fill(&WHITE)?;
    let (top, body) = root.split_vertically(HEADER_HEIGHT);
    let centre = Pos::new(HPos::Center, VPos::Center);
    let w = WIDTH as i32;
    top.draw(&Text::new(
        title.to_string(),
        (w / 2, 22),
        TextStyle::from((FONT, 26).into_font())
            .pos(centre)
            .color(&BLACK),
    ))?;
    top.draw(&Text::new(
        subtitle.to_string(),
        (w / 2, 50),
        TextStyle::from((FONT, 16).into_font())
            .pos(centre)
            .color(&RGBColor(80, 80, 80)),
    ))?;
    Ok(body)
}

/// The empty-result chart: an empty frame that says so.
fn empty(body: &Area<'_>) -> DrawResult<()> {
    let (w, h) = body.dim_in_pixel();
    body.draw(&Rectangle::new(
        [(40, 20), (w as i32 - 40, h as i32 - 40)],
        ShapeStyle::from(&RGBColor(180, 180, 180)).stroke_width(2),
    ))?;
    body.draw(&Text::new(
        EMPTY_MESSAGE,
        (w as i32 / 2, h as i32 / 2 - 10),
        TextStyle::from((FONT, 32).into_font())
            .pos(Pos::new(HPos::Center, VPos::Center))
            .color(&RGBColor(90, 90, 90)),
    ))?;
    Ok(())
}

/// The pumps of `rows`, top row first.
fn pump_rows(keys: impl Iterator<Item = PumpKey>) -> Vec<PumpKey> {
    keys.collect::<BTreeSet<_>>().into_iter().collect()
}

/// The y label of row value `v` (rows are drawn top-down: pump 0 at `n - 1`).
fn row_label(pumps: &[PumpKey], v: f64) -> String {
    let n = pumps.len() as f64;
    let i = n - 1.0 - v.round();
    if (v - v.round()).abs() > 1e-6 || i < 0.0 || i >= n {
        return String::new();
    }
    pumps[i as usize].to_string()
}

fn row_y(pumps: &[PumpKey], key: PumpKey) -> f64 {
    let i = pumps.binary_search(&key).unwrap_or(0);
    (pumps.len() - 1 - i) as f64
}

/// Steps between time labels, hours: whole hours, days, weeks, months of 30 days, years.
const TICK_STEPS_HOURS: [f64; 16] = [
    1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 48.0, 96.0, 168.0, 336.0, 720.0, 1440.0, 2160.0, 4320.0,
    8760.0, 17520.0,
];
/// The most time labels on an axis.
const MAX_TIME_TICKS: usize = 8;

/// Label positions (days since the epoch) between `x0` and `x1`: the smallest step of
/// [`TICK_STEPS_HOURS`] that gives at most [`MAX_TIME_TICKS`], on multiples of the step
/// since the epoch (so whole days fall on UTC midnight). Returns the step too, in hours.
fn time_ticks(x0: f64, x1: f64) -> (Vec<f64>, f64) {
    let span_hours = (x1 - x0) * 24.0;
    let step = TICK_STEPS_HOURS
        .into_iter()
        .find(|s| span_hours / s < MAX_TIME_TICKS as f64)
        .unwrap_or(TICK_STEPS_HOURS[TICK_STEPS_HOURS.len() - 1]);
    let step_days = step / 24.0;
    let mut ticks = Vec::new();
    let mut k = (x0 / step_days).ceil();
    while k * step_days <= x1 && ticks.len() <= MAX_TIME_TICKS * 2 {
        ticks.push(k * step_days);
        k += 1.0;
    }
    (ticks, step)
}

/// A time axis label: the date for steps of a day or more, else date and time.
fn time_label(days: f64, step_hours: f64) -> String {
    let t = pump_core::Timestamp::from_unix_seconds((days * SECONDS_PER_DAY).round() as i64);
    let s = t.to_string();
    if step_hours >= 24.0 {
        s[..10].to_string()
    } else {
        format!("{} {}", &s[5..10], &s[11..16])
    }
}

/// A linear f64 axis whose grid lines and labels sit exactly at the given values (plotters'
/// own choice would put time labels at 4.8-hour steps and pump labels between rows).
struct TickedAxis {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl TickedAxis {
    fn new(range: std::ops::Range<f64>, ticks: Vec<f64>) -> TickedAxis {
        TickedAxis {
            inner: range.into(),
            ticks,
        }
    }
}

impl Ranged for TickedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// Row positions with a label: every row, or every n-th when there are many.
fn row_ticks(n: usize) -> Vec<f64> {
    let every = n.div_ceil(MAX_ROW_LABELS).max(1);
    (0..n).rev().step_by(every).map(|i| i as f64).collect()
}

/// The legend panel at the right: colours of the statuses with their counts, and what the
/// lanes of a row mean (timeline only).
fn legend(area: &Area<'_>, counts: &StatusCounts, lanes: bool) -> DrawResult<()> {
    let left = Pos::new(HPos::Left, VPos::Center);
    let text = |s: String, x: i32, y: i32, size: i32| {
        Text::new(
            s,
            (x, y),
            TextStyle::from((FONT, size).into_font())
                .pos(left)
                .color(&BLACK),
        )
    };
    area.draw(&text("Status".into(), 16, 30, 18))?;
    let mut entries: Vec<Option<Status>> = [
        Status::Failure,
        Status::Critical,
        Status::Warning,
        Status::Normal,
    ]
    .into_iter()
    .map(Some)
    .collect();
    if counts.unknown > 0 {
        entries.push(None);
    }
    for (i, status) in entries.into_iter().enumerate() {
        let y = 62 + 30 * i as i32;
        area.draw(&Circle::new((26, y), 7, status_colour(status).filled()))?;
        let name = status.map_or("unknown", Status::as_str);
        area.draw(&text(format!("{name} ({})", counts.get(status)), 42, y, 16))?;
    }
    if lanes {
        area.draw(&text("Lanes in a row,".into(), 16, 240, 14))?;
        area.draw(&text("top to bottom:".into(), 16, 258, 14))?;
        for (i, name) in ["flow", "head", "power", "efficiency", "prediction"]
            .iter()
            .enumerate()
        {
            area.draw(&text(format!("  {name}"), 16, 278 + 18 * i as i32, 14))?;
        }
    }
    Ok(())
}

fn timeline(
    body: &Area<'_>,
    rows: &[&AnomalyRow],
    span: Option<(Timestamp, Timestamp)>,
) -> DrawResult<()> {
    let (chart_area, legend_area) = body.split_horizontally(WIDTH - LEGEND_WIDTH);
    let pumps = pump_rows(rows.iter().map(|r| r.pump_key()));
    let days = |r: &AnomalyRow| {
        r.timestamp
            .map_or(0.0, |t| t.unix_seconds() as f64 / SECONDS_PER_DAY)
    };
    let (lo, hi) = rows
        .iter()
        .map(|r| days(r))
        .fold((f64::MAX, f64::MIN), |(lo, hi), d| (lo.min(d), hi.max(d)));
    let as_days = |t: Timestamp| t.unix_seconds() as f64 / SECONDS_PER_DAY;
    let (lo, hi) = match span {
        Some((s, e)) => (as_days(s).min(lo), as_days(e).max(hi)),
        None => (lo, hi),
    };
    // A little room either side (at least an hour), so that no point sits on the frame.
    let pad = ((hi - lo) * 0.02).max(1.0 / 24.0);
    let (x0, x1) = (lo - pad, hi + pad);
    let (ticks, step_hours) = time_ticks(x0, x1);
    let n = pumps.len();
    let mut chart = ChartBuilder::on(&chart_area)
        .margin_left(10)
        .margin_right(20)
        .margin_bottom(10)
        .margin_top(10)
        .x_label_area_size(56)
        .y_label_area_size(110)
        .build_cartesian_2d(
            TickedAxis::new(x0..x1, ticks),
            TickedAxis::new(-0.5..(n as f64 - 0.5), row_ticks(n)),
        )?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_label_formatter(&|d| time_label(*d, step_hours))
        .y_label_formatter(&|v| row_label(&pumps, *v))
        .x_desc("Time (UTC)")
        .y_desc("Pump (site/pump)")
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()?;
    // Faint bands between pumps.
    for i in 0..n.saturating_sub(1) {
        let y = i as f64 + 0.5;
        chart.draw_series(LineSeries::new(
            [(x0, y), (x1, y)],
            RGBColor(200, 200, 200).stroke_width(1),
        ))?;
    }
    let radius = if rows.len() > 2000 {
        2
    } else if rows.len() > 300 {
        3
    } else {
        4
    };
    // Least severe first, so that the severe ones are drawn on top.
    for status in [
        None,
        Some(Status::Normal),
        Some(Status::Warning),
        Some(Status::Critical),
        Some(Status::Failure),
    ] {
        let colour = status_colour(status);
        chart.draw_series(rows.iter().filter(|r| r.status == status).map(|r| {
            let y = row_y(&pumps, r.pump_key()) + lane(r.parameter.as_deref());
            Circle::new((days(r), y), radius, colour.filled())
        }))?;
    }
    let mut counts = StatusCounts::default();
    for r in rows {
        counts.add(r.status);
    }
    legend(&legend_area, &counts, true)
}

fn bars(body: &Area<'_>, comparison: &Comparison) -> DrawResult<()> {
    let (chart_area, legend_area) = body.split_horizontally(WIDTH - LEGEND_WIDTH);
    let pumps: Vec<PumpKey> = comparison.pumps.iter().map(|p| p.pump).collect();
    let n = pumps.len();
    let max = comparison
        .pumps
        .iter()
        .map(|p| p.total)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let mut chart = ChartBuilder::on(&chart_area)
        .margin_left(10)
        .margin_right(20)
        .margin_bottom(10)
        .margin_top(10)
        .x_label_area_size(56)
        .y_label_area_size(110)
        .build_cartesian_2d(
            0.0..max * 1.18,
            TickedAxis::new(-0.5..(n as f64 - 0.5), row_ticks(n)),
        )?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_labels(10)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| row_label(&pumps, *v))
        .x_desc(format!(
            "Anomalies (count; per day over {:.1} days at the bar's end)",
            comparison.span_days
        ))
        .y_desc("Pump (site/pump)")
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()?;
    let half = if n > 20 { 0.42 } else { 0.32 };
    let mut totals = StatusCounts::default();
    for p in &comparison.pumps {
        let y = row_y(&pumps, p.pump);
        let mut x = 0.0;
        for status in [
            Some(Status::Normal),
            Some(Status::Warning),
            Some(Status::Critical),
            Some(Status::Failure),
            None,
        ] {
            let count = p.by_status.get(status);
            for _ in 0..count {
                totals.add(status);
            }
            if count == 0 {
                continue;
            }
            let next = x + count as f64;
            chart.draw_series([Rectangle::new(
                [(x, y - half), (next, y + half)],
                status_colour(status).filled(),
            )])?;
            x = next;
        }
        if n <= MAX_ROW_LABELS {
            chart.draw_series([Text::new(
                format!("{} ({:.1}/day)", p.total, p.per_day),
                (x + max * 0.01, y),
                TextStyle::from((FONT, 14).into_font())
                    .pos(Pos::new(HPos::Left, VPos::Center))
                    .color(&BLACK),
            )])?;
        }
    }
    legend(&legend_area, &totals, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_comparison_chart_sits_beside_the_timeline() {
        assert_eq!(
            comparison_path(Path::new("out/anomalies.png")),
            Path::new("out/anomalies-compare.png")
        );
        assert_eq!(
            comparison_path(Path::new("plot")),
            Path::new("plot-compare.png")
        );
    }

    #[test]
    fn time_labels_fall_on_whole_hours_or_days() {
        let day = 20_045.0; // 2024-11-18
        assert_eq!(time_label(day, 24.0), "2024-11-18");
        assert_eq!(time_label(day + 0.25, 6.0), "11-18 06:00");
        // One day with a little room: every 6 hours from midnight.
        let (ticks, step) = time_ticks(day - 0.02, day + 1.02);
        assert_eq!(step, 6.0);
        let labels: Vec<String> = ticks.iter().map(|d| time_label(*d, step)).collect();
        assert_eq!(
            labels,
            [
                "11-18 00:00",
                "11-18 06:00",
                "11-18 12:00",
                "11-18 18:00",
                "11-19 00:00"
            ]
        );
        // Ten days: every two days, at midnight.
        let (ticks, step) = time_ticks(day + 0.5, day + 10.5);
        assert_eq!((step, ticks.len()), (48.0, 5));
        assert_eq!(time_label(ticks[0], step), "2024-11-19");
        // Two years: every 180 days.
        assert_eq!(time_ticks(day, day + 730.0).1, 4320.0);
    }

    #[test]
    fn many_pumps_get_every_nth_label() {
        assert_eq!(row_ticks(3), [2.0, 1.0, 0.0]);
        assert_eq!(row_ticks(61).len(), 21);
    }

    #[test]
    fn rows_are_labelled_top_down_on_whole_values_only() {
        let k = |pump| PumpKey {
            site: Some(1),
            pump: Some(pump),
        };
        let pumps = [k(1), k(2), k(3)];
        assert_eq!(row_label(&pumps, 2.0), "1/1");
        assert_eq!(row_label(&pumps, 0.0), "1/3");
        assert_eq!(row_label(&pumps, 0.5), "");
        assert_eq!(row_label(&pumps, 3.0), "");
        assert_eq!(row_y(&pumps, k(1)), 2.0);
    }
}
