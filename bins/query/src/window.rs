//! The time window of a query: `--days N`, or `--start`/`--end` as dates or timestamps.
//!
//! A date (`2024-11-18`, or `11/18/2024`) means the whole UTC day: as a start it is that
//! day's midnight, as an end it includes the day (the window ends at the next midnight).
//! A timestamp (`2024-11-18T14:30:00Z`, `2024-11-18 14:30`, offsets allowed; no offset means
//! UTC) is an instant: the window starts at it, or ends just before it. Windows are half-open,
//! `[start, end)`, as the API's `startDate`/`endDate` are.

use crate::error::QueryToolError;
use pump_core::Timestamp;
use serde::Serialize;
use time::{Duration, UtcOffset};

/// The longest `--days` accepted: a century.
pub const MAX_DAYS: u32 = 36_500;

/// A half-open time window; an open side is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct TimeWindow {
    /// Anomalies at or after this instant.
    pub start: Option<Timestamp>,
    /// Anomalies before this instant.
    pub end: Option<Timestamp>,
}

impl TimeWindow {
    /// The window of the command line: the last `days` days before `now`, or from `start`
    /// to `end` (each a date or a timestamp, see the module docs), or everything.
    ///
    /// ```
    /// use query::window::TimeWindow;
    /// let now = "2024-11-20T12:00:00Z".parse().unwrap();
    /// let w = TimeWindow::from_args(None, Some("2024-11-18"), Some("2024-11-18"), now).unwrap();
    /// assert_eq!(w.start.unwrap().to_string(), "2024-11-18T00:00:00Z");
    /// assert_eq!(w.end.unwrap().to_string(), "2024-11-19T00:00:00Z");
    /// let w = TimeWindow::from_args(Some(7), None, None, now).unwrap();
    /// assert_eq!(w.start.unwrap().to_string(), "2024-11-13T12:00:00Z");
    /// assert_eq!(w.end, None);
    /// ```
    ///
    /// # Errors
    /// [`QueryToolError::BadInput`] for an unparsable date, a `days` of 0 or more than
    /// [`MAX_DAYS`], `days` together with dates, or a start that is not before the end.
    pub fn from_args(
        days: Option<u32>,
        start: Option<&str>,
        end: Option<&str>,
        now: Timestamp,
    ) -> Result<TimeWindow, QueryToolError> {
        if let Some(days) = days {
            if start.is_some() || end.is_some() {
                return Err(QueryToolError::BadInput(
                    "--days cannot be combined with --start or --end".into(),
                ));
            }
            if days == 0 || days > MAX_DAYS {
                return Err(QueryToolError::BadInput(format!(
                    "--days must be 1 to {MAX_DAYS}, not {days}"
                )));
            }
            return Ok(TimeWindow {
                start: Some(now.plus(-Duration::days(i64::from(days)))),
                end: None,
            });
        }
        let start = start
            .map(|s| parse_bound("--start", s).map(|b| b.instant))
            .transpose()?;
        let end = end
            .map(|s| {
                parse_bound("--end", s).map(|b| {
                    if b.whole_day {
                        b.instant.plus(Duration::days(1))
                    } else {
                        b.instant
                    }
                })
            })
            .transpose()?;
        if let (Some(s), Some(e)) = (start, end)
            && s >= e
        {
            return Err(QueryToolError::BadInput(format!(
                "the window is empty: it starts at {s} and ends at {e} (an --end date includes that whole day)"
            )));
        }
        Ok(TimeWindow { start, end })
    }

    /// The span over which per-day rates are computed: the window's own sides, else the
    /// first and last anomaly; an open end after an explicit start is `now`.
    pub fn span(
        &self,
        first: Option<Timestamp>,
        last: Option<Timestamp>,
        now: Timestamp,
    ) -> Option<(Timestamp, Timestamp)> {
        let start = self.start.or(first)?;
        let end = match (self.end, self.start) {
            (Some(e), _) => e,
            (None, Some(_)) => now.max(last.unwrap_or(now)),
            (None, None) => last?,
        };
        Some((start, end))
    }
}

/// One side of a window as typed.
struct Bound {
    instant: Timestamp,
    whole_day: bool,
}

fn parse_bound(flag: &str, text: &str) -> Result<Bound, QueryToolError> {
    let s = text.trim();
    let instant = Timestamp::parse(s, UtcOffset::UTC).map_err(|e| {
        QueryToolError::BadInput(format!(
            "{flag} {text:?} is not a date (2024-11-18) or a timestamp (2024-11-18T14:30:00Z): {}",
            e.reason
        ))
    })?;
    // No time part: a date, meaning the whole day.
    let whole_day = !s.contains([' ', 'T', 't']);
    Ok(Bound { instant, whole_day })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2024-11-20T12:00:00Z".parse().unwrap()
    }

    fn window(start: Option<&str>, end: Option<&str>) -> (Option<String>, Option<String>) {
        let w = TimeWindow::from_args(None, start, end, now()).unwrap();
        (w.start.map(|t| t.to_string()), w.end.map(|t| t.to_string()))
    }

    #[test]
    fn dates_and_timestamps_become_half_open_windows() {
        let cases = [
            (
                Some("2024-11-18"),
                None,
                (Some("2024-11-18T00:00:00Z"), None),
            ),
            (
                Some("2024-11-18"),
                Some("2024-11-19"),
                (Some("2024-11-18T00:00:00Z"), Some("2024-11-20T00:00:00Z")),
            ),
            (
                Some("2024-11-18T14:30:00Z"),
                Some("2024-11-18T18:00:00+02:00"),
                (Some("2024-11-18T14:30:00Z"), Some("2024-11-18T16:00:00Z")),
            ),
            (
                Some("2024-11-18 06:00"),
                Some("11/19/2024"),
                (Some("2024-11-18T06:00:00Z"), Some("2024-11-20T00:00:00Z")),
            ),
            (
                None,
                Some("2024-02-28"),
                (None, Some("2024-02-29T00:00:00Z")),
            ),
        ];
        for (start, end, expected) in cases {
            let expected = (
                expected.0.map(str::to_string),
                expected.1.map(str::to_string),
            );
            assert_eq!(window(start, end), expected, "{start:?} {end:?}");
        }
    }

    #[test]
    fn empty_and_unparsable_windows_are_bad_input() {
        let refused = [
            (
                None,
                Some("2024-11-18"),
                Some("2024-11-17"),
                "the window is empty",
            ),
            (
                None,
                Some("2024-11-18T14:30:00Z"),
                Some("2024-11-18T16:00:00+02:00"),
                "the window is empty",
            ),
            (
                None,
                Some("yesterday"),
                None,
                "--start \"yesterday\" is not a date",
            ),
            (
                None,
                None,
                Some("2024-13-01"),
                "--end \"2024-13-01\" is not a date",
            ),
            (Some(0), None, None, "--days must be 1 to 36500, not 0"),
            (
                Some(3),
                Some("2024-11-18"),
                None,
                "--days cannot be combined",
            ),
        ];
        for (days, start, end, message) in refused {
            let e = TimeWindow::from_args(days, start, end, now()).unwrap_err();
            assert!(
                matches!(e, QueryToolError::BadInput(ref m) if m.starts_with(message)),
                "{days:?} {start:?} {end:?}: {e}"
            );
            assert_eq!(e.exit_code(), crate::error::EXIT_INPUT);
        }
    }

    #[test]
    fn the_span_prefers_the_window_then_the_anomalies() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let (first, last) = (
            Some(t("2024-11-01T00:00:00Z")),
            Some(t("2024-11-03T00:00:00Z")),
        );
        let open = TimeWindow::default();
        assert_eq!(
            open.span(first, last, now()),
            Some((first.unwrap(), last.unwrap()))
        );
        assert_eq!(open.span(None, None, now()), None);
        let days = TimeWindow::from_args(Some(10), None, None, now()).unwrap();
        assert_eq!(
            days.span(first, last, now()),
            Some((t("2024-11-10T12:00:00Z"), now()))
        );
        let closed =
            TimeWindow::from_args(None, Some("2024-10-01"), Some("2024-10-30"), now()).unwrap();
        assert_eq!(
            closed.span(first, last, now()),
            Some((t("2024-10-01T00:00:00Z"), t("2024-10-31T00:00:00Z")))
        );
    }
}
