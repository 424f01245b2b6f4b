//! Fetching every page of a query, newest first, up to a cap.

use crate::error::QueryToolError;
use crate::row::{AnomalyRow, sort_chronologically};
use crate::window::TimeWindow;
use anomaly_client::{Client, QueryFilter, SortDirection};
use serde::Serialize;

/// The default `--max-results`.
pub const DEFAULT_MAX_RESULTS: usize = 10_000;
/// The default page size: the reference sink's largest page.
pub const DEFAULT_PAGE_SIZE: u32 = 1000;

/// What to ask the API for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Filters {
    /// `siteId`.
    pub site: Option<i64>,
    /// `pumpId`.
    pub pump: Option<i64>,
    /// `sensorId`.
    pub sensor: Option<i64>,
    /// `startDate` and `endDate`.
    #[serde(flatten)]
    pub window: TimeWindow,
}

impl Filters {
    /// The API query for page 1, newest first.
    pub fn to_query(&self, page_size: u32) -> QueryFilter {
        QueryFilter {
            site_id: self.site,
            pump_id: self.pump,
            sensor_id: self.sensor,
            start_date: self.window.start,
            end_date: self.window.end,
            page: 1,
            page_size: page_size.max(1),
            sort: SortDirection::Desc,
        }
    }
}

/// The anomalies of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// Oldest first.
    pub rows: Vec<AnomalyRow>,
    /// How many anomalies matched at the server; more than `rows.len()` when capped.
    pub matched: u64,
}

impl Fetched {
    /// True when `--max-results` left matching anomalies out (the oldest ones).
    pub fn truncated(&self) -> bool {
        self.matched > self.rows.len() as u64
    }
}

/// Fetches the newest `max_results` anomalies matching `filters`, page after page, and
/// returns them oldest first. `progress(fetched, matched)` is called after every anomaly
/// (`matched` is known from the first page on).
///
/// # Errors
/// The first failed page ends the query: [`QueryToolError::Unauthorized`] for a refused
/// token, [`QueryToolError::Query`] otherwise.
pub fn fetch_all(
    client: &Client,
    filters: &Filters,
    max_results: usize,
    page_size: u32,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Fetched, QueryToolError> {
    let query = filters.to_query(page_size);
    let mut pages = client.query_all(&query, Some(max_results));
    let mut rows = Vec::new();
    while let Some(item) = pages.next() {
        rows.push(AnomalyRow::from_stored(&item?));
        progress(rows.len() as u64, pages.total());
    }
    let matched = pages.total().unwrap_or(0).max(rows.len() as u64);
    sort_chronologically(&mut rows);
    Ok(Fetched { rows, matched })
}
