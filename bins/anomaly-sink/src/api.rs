//! The HTTP API of SPEC §5 and §6: routing, authentication, limits, validation and answers.

use crate::anomaly::NewAnomaly;
use crate::store::{AnomalyQuery, Insertion, MAX_PAGE_SIZE, SortDirection, Store, StoreError};
use crate::tokens::Tokens;
use pump_core::Timestamp;
use serde_json::{Value, json};
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tiny_http::{Header, Method, Request, Response};

/// Where the anomalies live, under the API prefix `/api/v1`.
pub const ANOMALIES_PATH: &str = "/api/v1/edge/anomalies";

/// The health check, answered without a token.
pub const HEALTH_PATH: &str = "/healthz";

/// The longest `Idempotency-Key` accepted; event ids are 36 characters.
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// One worker's share of the server: its own database connection and the shared settings.
pub(crate) struct Worker {
    pub(crate) store: Store,
    pub(crate) tokens: Arc<Tokens>,
    pub(crate) max_body_bytes: usize,
    /// Writers queue here rather than in SQLite's busy handler, which polls with sleeps of
    /// up to 100 ms and let a submission wait seconds behind luckier ones under load.
    pub(crate) write_gate: Arc<Mutex<()>>,
}

/// What to answer: a status and a JSON body, plus a few headers.
struct Answer {
    status: u16,
    body: Value,
    headers: Vec<(&'static str, String)>,
}

impl Answer {
    fn ok(status: u16, body: Value) -> Answer {
        Answer {
            status,
            body,
            headers: Vec::new(),
        }
    }

    /// An error answer: `{"status": 400, "error": "Bad Request", "message": "…"}`.
    fn error(status: u16, message: impl Into<String>) -> Answer {
        Answer::ok(
            status,
            json!({"status": status, "error": reason_phrase(status), "message": message.into()}),
        )
    }

    fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Answer {
        self.headers.push((name, value.into()));
        self
    }
}

impl Worker {
    /// Answers one request and logs it (method, path, status, duration; never headers).
    pub(crate) fn handle(&mut self, mut request: Request) {
        let started = Instant::now();
        let method = request.method().clone();
        let url = request.url().to_string();
        let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
        let answer = self.route(&mut request, &method, path, query);
        let status = answer.status;
        let mut response =
            Response::from_data(answer.body.to_string().into_bytes()).with_status_code(status);
        for (name, value) in
            std::iter::once(("Content-Type", "application/json".to_string())).chain(answer.headers)
        {
            if let Ok(header) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                response.add_header(header);
            }
        }
        if let Err(e) = request.respond(response) {
            tracing::warn!(%method, path, error = %e, "could not send the answer");
        }
        tracing::info!(
            %method,
            path,
            status,
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
    }

    fn route(&mut self, request: &mut Request, method: &Method, path: &str, query: &str) -> Answer {
        match path {
            HEALTH_PATH => match method {
                Method::Get | Method::Head => match self.store.ping() {
                    Ok(()) => Answer::ok(200, json!({"status": "ok"})),
                    Err(e) => {
                        tracing::error!(error = %e, "health check: database does not answer");
                        Answer::error(503, "the database does not answer")
                    }
                },
                _ => Answer::error(405, format!("{method} is not allowed on {path}"))
                    .with_header("Allow", "GET, HEAD"),
            },
            ANOMALIES_PATH => {
                if !matches!(method, Method::Get | Method::Post) {
                    return Answer::error(405, format!("{method} is not allowed on {path}"))
                        .with_header("Allow", "GET, POST");
                }
                if !self.authorized(request) {
                    return Answer::error(
                        401,
                        "missing or invalid bearer token (send Authorization: Bearer <token>)",
                    )
                    .with_header("WWW-Authenticate", "Bearer");
                }
                if *method == Method::Post {
                    self.submit(request)
                } else {
                    self.query(query)
                }
            }
            _ => Answer::error(404, format!("no such resource: {path}")),
        }
    }

    fn authorized(&self, request: &Request) -> bool {
        let Some(value) = header_value(request, "Authorization") else {
            return false;
        };
        let mut parts = value.splitn(2, ' ');
        let scheme = parts.next().unwrap_or_default();
        let token = parts.next().unwrap_or_default().trim();
        scheme.eq_ignore_ascii_case("Bearer") && !token.is_empty() && self.tokens.accepts(token)
    }

    fn submit(&mut self, request: &mut Request) -> Answer {
        let key = match header_value(request, "Idempotency-Key").map(str::trim) {
            None => None,
            Some(key)
                if !key.is_empty()
                    && key.len() <= MAX_IDEMPOTENCY_KEY_LEN
                    && key.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                Some(key.to_string())
            }
            Some(_) => {
                return Answer::error(
                    400,
                    format!(
                        "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"
                    ),
                );
            }
        };
        let body = match read_body(request, self.max_body_bytes) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        let anomaly = match NewAnomaly::from_json(&body) {
            Ok(anomaly) => anomaly,
            Err(reason) => return Answer::error(400, reason.0),
        };
        let inserted = {
            // A poisoned gate guards nothing but order: carry on.
            let _turn = self.write_gate.lock().unwrap_or_else(|e| e.into_inner());
            self.store.insert(&anomaly, key.as_deref())
        };
        match inserted {
            Ok((stored, Insertion::Created)) => Answer::ok(201, stored),
            Ok((stored, Insertion::Existing)) => Answer::ok(200, stored),
            Err(e) => store_failure(&e),
        }
    }

    fn query(&mut self, query: &str) -> Answer {
        let query = match parse_query(query) {
            Ok(query) => query,
            Err(reason) => return Answer::error(400, reason),
        };
        match self.store.query(&query) {
            Ok(page) => Answer::ok(
                200,
                json!({"items": page.items, "total": page.total, "skip": page.skip, "take": page.take}),
            ),
            Err(e) => store_failure(&e),
        }
    }
}

fn store_failure(e: &StoreError) -> Answer {
    tracing::error!(error = %e, "storage failed");
    let busy = matches!(
        e,
        StoreError::Sql(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::DatabaseBusy
    );
    if busy {
        Answer::error(503, "the database is busy; retry later").with_header("Retry-After", "1")
    } else {
        Answer::error(500, "the anomaly store failed; see the server log")
    }
}

fn header_value<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// Reads the body, refusing one over `limit` bytes with 413 before reading it when the
/// length is announced, and after `limit + 1` bytes otherwise.
fn read_body(request: &mut Request, limit: usize) -> Result<Vec<u8>, Answer> {
    let too_large = || {
        Answer::error(
            413,
            format!("the body is larger than the limit of {limit} bytes"),
        )
        .with_header("Connection", "close")
    };
    if request.body_length().is_some_and(|len| len > limit) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    if let Err(e) = request.as_reader().take(cap).read_to_end(&mut body) {
        return Err(Answer::error(400, format!("could not read the body: {e}")));
    }
    if body.len() > limit {
        return Err(too_large());
    }
    Ok(body)
}

/// Parses the query string of GET /edge/anomalies (SPEC §5); unknown parameters are ignored.
pub fn parse_query(query: &str) -> Result<AnomalyQuery, String> {
    let mut q = AnomalyQuery::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(raw).ok_or_else(|| format!("{name} is not URL-encoded text"))?;
        let value = value.trim();
        match name {
            "siteId" => q.site_id = Some(integer(name, value)?),
            "pumpId" => q.pump_id = Some(integer(name, value)?),
            "sensorId" => q.sensor_id = Some(integer(name, value)?),
            "startDate" => q.start = Some(date(name, value)?),
            "endDate" => q.end = Some(date(name, value)?),
            "page" => q.page = positive(name, value)?,
            "pageSize" => q.page_size = positive(name, value)?.min(MAX_PAGE_SIZE),
            "sortDirection" => {
                q.sort = match value.to_ascii_lowercase().as_str() {
                    "asc" => SortDirection::Asc,
                    "desc" => SortDirection::Desc,
                    _ => return Err(format!("sortDirection must be asc or desc, got {value:?}")),
                }
            }
            _ => {}
        }
    }
    Ok(q)
}

fn integer(name: &str, value: &str) -> Result<i64, String> {
    value
        .parse()
        .map_err(|_| format!("{name} must be an integer, got {value:?}"))
}

fn positive(name: &str, value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "{name} must be a whole number from 1, got {value:?}"
        )),
    }
}

fn date(name: &str, value: &str) -> Result<Timestamp, String> {
    // Date-only values mean midnight UTC; text without an offset is UTC.
    Timestamp::parse(value, time::UtcOffset::UTC).map_err(|_| {
        format!(
            "{name} must be an ISO 8601 date or date-time such as 2024-11-18 or 2024-11-18T14:32:00Z, got {value:?}"
        )
    })
}

/// Decodes `%XX` escapes and `+` (a space in query strings); `None` for broken escapes or
/// text that is not UTF-8.
fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_parses() {
        let q = parse_query(
            "siteId=35482&pumpId=1&sensorId=101&startDate=2024-11-18&endDate=2024-11-19T06%3A00%3A00%2B02%3A00&page=3&pageSize=50&sortDirection=ASC&unknown=x",
        )
        .unwrap();
        assert_eq!(q.site_id, Some(35482));
        assert_eq!(q.pump_id, Some(1));
        assert_eq!(q.sensor_id, Some(101));
        assert_eq!(q.start.unwrap().to_string(), "2024-11-18T00:00:00Z");
        assert_eq!(q.end.unwrap().to_string(), "2024-11-19T04:00:00Z");
        assert_eq!((q.page, q.page_size, q.sort), (3, 50, SortDirection::Asc));
    }

    #[test]
    fn defaults_and_clamping() {
        let q = parse_query("").unwrap();
        assert_eq!((q.page, q.page_size, q.sort), (1, 25, SortDirection::Desc));
        assert_eq!(parse_query("pageSize=5000").unwrap().page_size, 1000);
    }

    #[test]
    fn bad_parameters_say_why() {
        let cases = [
            ("siteId=abc", "siteId must be an integer, got \"abc\""),
            ("page=0", "page must be a whole number from 1, got \"0\""),
            (
                "pageSize=-1",
                "pageSize must be a whole number from 1, got \"-1\"",
            ),
            (
                "sortDirection=up",
                "sortDirection must be asc or desc, got \"up\"",
            ),
            ("startDate=%zz", "startDate is not URL-encoded text"),
        ];
        for (query, expected) in cases {
            assert_eq!(parse_query(query).unwrap_err(), expected, "{query}");
        }
        assert!(
            parse_query("endDate=tomorrow")
                .unwrap_err()
                .starts_with("endDate must be an ISO 8601")
        );
    }
}
