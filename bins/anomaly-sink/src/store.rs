//! Durable storage of anomalies in SQLite.
//!
//! WAL mode with `synchronous=FULL`: a commit returns only once the anomaly is on disk, and
//! the HTTP answer to a POST is sent only after the commit, so an acknowledged anomaly
//! survives a crash or a power cut. Each worker thread owns one connection; SQLite
//! serialises the writers and lets readers run beside them.

use crate::anomaly::NewAnomaly;
use pump_core::Timestamp;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params, params_from_iter};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use time::OffsetDateTime;

/// The schema this version writes and reads, kept in SQLite's `user_version`.
pub const SCHEMA_VERSION: i64 = 1;

/// The largest page a query may ask for; larger `pageSize`s are clamped to it.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The page size when a query names none.
pub const DEFAULT_PAGE_SIZE: u32 = 25;

const SCHEMA: &str = "
CREATE TABLE anomalies (
    -- AUTOINCREMENT: ids only ever increase, even after the newest row is deleted by hand.
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at      TEXT    NOT NULL,
    idempotency_key TEXT    UNIQUE,
    site_id         INTEGER,
    pump_id         INTEGER,
    sensor_id       INTEGER,
    -- The anomaly's reading instant in microseconds since the epoch, for range filters.
    timestamp_us    INTEGER,
    -- The submitted object, less id and createdAt (added back when read).
    body            TEXT    NOT NULL
);
CREATE INDEX anomalies_by_time ON anomalies (timestamp_us, id);
CREATE INDEX anomalies_by_site ON anomalies (site_id, timestamp_us);
CREATE INDEX anomalies_by_pump ON anomalies (pump_id, timestamp_us);
CREATE INDEX anomalies_by_sensor ON anomalies (sensor_id, timestamp_us);
";

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or set up.
    #[error(
        "cannot open the database {path}: {source} — check that the folder exists and is writable"
    )]
    Open {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The file was written by a newer sink.
    #[error(
        "the database {path} has schema version {found}, newer than this sink understands ({SCHEMA_VERSION}) — run a newer anomaly-sink"
    )]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// The version found in the file.
        found: i64,
    },
    /// A statement failed.
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A stored row could not be read back as JSON (the file was edited by hand).
    #[error("stored anomaly {id} is not valid JSON: {reason}")]
    Corrupt {
        /// Row id.
        id: i64,
        /// What is wrong.
        reason: String,
    },
}

/// Sort order of a query: by the anomaly's `timestamp`, then by `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    /// Oldest first.
    Asc,
    /// Newest first (the API's default).
    #[default]
    Desc,
}

impl SortDirection {
    fn sql(self) -> &'static str {
        match self {
            SortDirection::Asc => "ASC",
            SortDirection::Desc => "DESC",
        }
    }
}

/// A query of stored anomalies: the filters and paging of SPEC §5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnomalyQuery {
    /// Only this site.
    pub site_id: Option<i64>,
    /// Only this pump.
    pub pump_id: Option<i64>,
    /// Only this sensor.
    pub sensor_id: Option<i64>,
    /// Only anomalies whose `timestamp` is at or after this instant (inclusive).
    pub start: Option<Timestamp>,
    /// Only anomalies whose `timestamp` is before this instant (exclusive).
    pub end: Option<Timestamp>,
    /// Page number, from 1.
    pub page: u32,
    /// Anomalies per page, 1 to [`MAX_PAGE_SIZE`].
    pub page_size: u32,
    /// Order of the results.
    pub sort: SortDirection,
}

impl Default for AnomalyQuery {
    fn default() -> Self {
        AnomalyQuery {
            site_id: None,
            pump_id: None,
            sensor_id: None,
            start: None,
            end: None,
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
            sort: SortDirection::Desc,
        }
    }
}

/// One page of stored anomalies, as the API answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPage {
    /// The stored anomalies of the page (each with `id` and `createdAt`).
    pub items: Vec<Value>,
    /// How many anomalies match the filters, over all pages.
    pub total: u64,
    /// How many matching anomalies come before this page.
    pub skip: u64,
    /// The page size used.
    pub take: u64,
}

/// Whether a submission made a new row or found the one stored under its idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insertion {
    /// A new row (HTTP 201).
    Created,
    /// The key was seen before: this is the first stored anomaly (HTTP 200).
    Existing,
}

/// A connection to the sink's database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (and on first use creates) the database at `path`: WAL mode, `synchronous=FULL`,
    /// the schema with its version and the indexes for every filter.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        // Several workers write; a writer waits for the lock rather than failing.
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(open_err)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "SQLite did not switch to WAL mode");
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(open_err)?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(open_err)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: path.to_path_buf(),
                found: version,
            });
        }
        if version == 0 {
            tx.execute_batch(SCHEMA).map_err(open_err)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(open_err)?;
        }
        tx.commit().map_err(open_err)?;
        Ok(Store { conn })
    }

    /// Stores one anomaly and returns it as stored (with `id` and `createdAt`).
    ///
    /// With an idempotency key that was seen before, nothing is written and the anomaly first
    /// stored under that key is returned instead. The look-up and the insert run in one
    /// write transaction, and the key column is unique, so two racing submissions of the same
    /// key store one row.
    pub fn insert(
        &mut self,
        anomaly: &NewAnomaly,
        idempotency_key: Option<&str>,
    ) -> Result<(Value, Insertion), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(key) = idempotency_key
            && let Some(existing) = find_by_key(&tx, key)?
        {
            return Ok((existing, Insertion::Existing));
        }
        let stored = insert_row(&tx, anomaly, idempotency_key)?;
        tx.commit()?;
        Ok((stored, Insertion::Created))
    }

    /// Stores many anomalies in one transaction (one disk sync), skipping keys seen before.
    ///
    /// For seeding test and benchmark databases; the HTTP API stores one at a time.
    pub fn insert_batch<'a>(
        &mut self,
        anomalies: impl IntoIterator<Item = (&'a NewAnomaly, Option<&'a str>)>,
    ) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut created = 0;
        for (anomaly, key) in anomalies {
            if let Some(key) = key
                && find_by_key(&tx, key)?.is_some()
            {
                continue;
            }
            insert_row(&tx, anomaly, key)?;
            created += 1;
        }
        tx.commit()?;
        Ok(created)
    }

    /// One page of the anomalies that match `query`, and how many match in all.
    pub fn query(&mut self, query: &AnomalyQuery) -> Result<QueryPage, StoreError> {
        let mut conditions = Vec::new();
        let mut args: Vec<SqlValue> = Vec::new();
        for (column, value) in [
            ("site_id", query.site_id),
            ("pump_id", query.pump_id),
            ("sensor_id", query.sensor_id),
        ] {
            if let Some(v) = value {
                conditions.push(format!("{column} = ?"));
                args.push(SqlValue::Integer(v));
            }
        }
        if let Some(start) = query.start {
            conditions.push("timestamp_us >= ?".to_string());
            args.push(SqlValue::Integer(micros(start)));
        }
        if let Some(end) = query.end {
            conditions.push("timestamp_us < ?".to_string());
            args.push(SqlValue::Integer(micros(end)));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let page_size = query.page_size.clamp(1, MAX_PAGE_SIZE);
        let skip = u64::from(query.page.max(1) - 1) * u64::from(page_size);
        // Count and page from one snapshot, so `total` agrees with the items.
        let tx = self.conn.transaction()?;
        let total: i64 = tx.query_row(
            &format!("SELECT COUNT(*) FROM anomalies {filter}"),
            params_from_iter(args.iter()),
            |row| row.get(0),
        )?;
        let dir = query.sort.sql();
        let sql = format!(
            "SELECT id, created_at, body FROM anomalies {filter}
             ORDER BY timestamp_us {dir}, id {dir} LIMIT ? OFFSET ?"
        );
        let mut page_args = args.clone();
        page_args.push(SqlValue::Integer(i64::from(page_size)));
        page_args.push(SqlValue::Integer(i64::try_from(skip).unwrap_or(i64::MAX)));
        let items = {
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(page_args.iter()), |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })?;
            let mut items = Vec::new();
            for row in rows {
                let (id, created_at, body) = row?;
                items.push(assemble(id, &created_at, &body)?);
            }
            items
        };
        tx.finish()?;
        Ok(QueryPage {
            items,
            total: u64::try_from(total).unwrap_or(0),
            skip,
            take: u64::from(page_size),
        })
    }

    /// How many anomalies are stored.
    pub fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM anomalies", [], |row| row.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Checks that the database answers (for `/healthz`).
    pub fn ping(&self) -> Result<(), StoreError> {
        self.conn.query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }
}

fn find_by_key(conn: &Connection, key: &str) -> Result<Option<Value>, StoreError> {
    let row = conn
        .query_row(
            "SELECT id, created_at, body FROM anomalies WHERE idempotency_key = ?",
            params![key],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            },
        )
        .optional()?;
    row.map(|(id, created_at, body)| assemble(id, &created_at, &body))
        .transpose()
}

fn insert_row(
    conn: &Connection,
    anomaly: &NewAnomaly,
    idempotency_key: Option<&str>,
) -> Result<Value, StoreError> {
    let created_at = now_millis().to_string();
    let body = serde_json::to_string(&anomaly.fields).map_err(|e| StoreError::Corrupt {
        id: 0,
        reason: e.to_string(),
    })?;
    conn.execute(
        "INSERT INTO anomalies
            (created_at, idempotency_key, site_id, pump_id, sensor_id, timestamp_us, body)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![
            created_at,
            idempotency_key,
            anomaly.site_id,
            anomaly.pump_id,
            anomaly.sensor_id,
            anomaly.timestamp.map(micros),
            body
        ],
    )?;
    let id = conn.last_insert_rowid();
    Ok(with_server_fields(anomaly.fields.clone(), id, &created_at))
}

fn assemble(id: i64, created_at: &str, body: &str) -> Result<Value, StoreError> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(with_server_fields(fields, id, created_at)),
        Ok(_) => Err(StoreError::Corrupt {
            id,
            reason: "not an object".to_string(),
        }),
        Err(e) => Err(StoreError::Corrupt {
            id,
            reason: e.to_string(),
        }),
    }
}

fn with_server_fields(mut fields: Map<String, Value>, id: i64, created_at: &str) -> Value {
    fields.insert("id".to_string(), Value::from(id));
    fields.insert("createdAt".to_string(), Value::from(created_at));
    Value::Object(fields)
}

fn micros(t: Timestamp) -> i64 {
    // Years ±9999 in microseconds fit an i64 with room to spare.
    i64::try_from(t.as_offset_date_time().unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

/// Now, to the millisecond: finer digits in `createdAt` would only be noise.
fn now_millis() -> Timestamp {
    let now = OffsetDateTime::now_utc();
    let ms = now.nanosecond() / 1_000_000 * 1_000_000;
    Timestamp::from(now.replace_nanosecond(ms).unwrap_or(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anomaly(site: i64, ts: &str) -> NewAnomaly {
        NewAnomaly::from_value(serde_json::json!({
            "sourceType": "log", "description": "Flow high", "siteId": site, "timestamp": ts
        }))
        .unwrap()
    }

    #[test]
    fn schema_is_created_once_and_versioned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sink.db");
        let mut store = Store::open(&path).unwrap();
        store
            .insert(&anomaly(1, "2024-11-18T14:00:00Z"), None)
            .unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.count().unwrap(), 1);
        let version: i64 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let mode: String = store
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = store
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sink.db");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 7)
            .unwrap();
        let err = Store::open(&path).unwrap_err();
        assert!(
            err.to_string()
                .contains("schema version 7, newer than this sink understands (1)"),
            "{err}"
        );
    }

    #[test]
    fn date_range_is_inclusive_start_exclusive_end() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("sink.db")).unwrap();
        let rows = [
            anomaly(1, "2024-11-18T13:59:59Z"),
            anomaly(1, "2024-11-18T14:00:00Z"),
            anomaly(1, "2024-11-18T14:30:00Z"),
            anomaly(1, "2024-11-18T15:00:00Z"),
        ];
        store.insert_batch(rows.iter().map(|a| (a, None))).unwrap();
        let page = store
            .query(&AnomalyQuery {
                start: Some("2024-11-18T14:00:00Z".parse().unwrap()),
                end: Some("2024-11-18T15:00:00Z".parse().unwrap()),
                sort: SortDirection::Asc,
                ..AnomalyQuery::default()
            })
            .unwrap();
        let stamps: Vec<&str> = page
            .items
            .iter()
            .map(|v| v["timestamp"].as_str().unwrap())
            .collect();
        assert_eq!(stamps, ["2024-11-18T14:00:00Z", "2024-11-18T14:30:00Z"]);
        assert_eq!((page.total, page.skip, page.take), (2, 0, 25));
    }
}
