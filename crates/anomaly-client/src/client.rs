//! The client: submit with retries, query with paging.

use crate::config::{ClientConfig, ConfigError, check_base_url, check_token};
use crate::error::{Failure, QueryError, SubmitError};
use crate::retry::{
    Clock, SystemClock, backoff_ceiling, full_jitter, is_retryable_status, parse_retry_after,
};
use crate::types::{Page, QueryFilter, StoredAnomaly};
use pump_core::AnomalyPayload;
use serde_json::Value;
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use ureq::Agent;
use ureq::http::Response;

/// The largest answer the client reads: a page of 1000 anomalies is about 2 MB.
const MAX_ANSWER_BYTES: u64 = 32 * 1024 * 1024;

/// A blocking client of the central anomaly API.
///
/// Cheap to clone and safe to share between threads (connections are pooled).
#[derive(Clone)]
pub struct Client {
    config: ClientConfig,
    anomalies_url: String,
    agent: Agent,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `config`. Refuses a base URL that is not https unless its host is
    /// loopback (the token would cross the network in clear text), and a token that cannot
    /// be sent in a header.
    pub fn new(config: ClientConfig) -> Result<Client, ConfigError> {
        let base_url = check_base_url(&config.base_url)?;
        check_token(&config.token)?;
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            // A redirect would drop the Authorization header and turn POST into GET: report
            // it as the wrong base URL it is instead of following it.
            .max_redirects(0)
            .timeout_global(Some(config.timeout))
            .timeout_connect(Some(config.connect_timeout))
            .user_agent(concat!("anomaly-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Client {
            anomalies_url: format!("{base_url}/edge/anomalies"),
            config: ClientConfig { base_url, ..config },
            agent,
            clock: Arc::new(SystemClock),
        })
    }

    /// The same client waiting on `clock` between attempts (tests pass a
    /// [`RecordingClock`](crate::RecordingClock)).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Client {
        self.clock = clock;
        self
    }

    /// The settings in use (base URL without trailing slash).
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Submits one anomaly: POST `{base_url}/edge/anomalies` with its event id as
    /// `Idempotency-Key`, retrying as SPEC §5 says. A 2xx with the stored anomaly is
    /// success; a server that saw the key before answers with the first stored anomaly.
    pub fn submit(&self, anomaly: &AnomalyPayload) -> Result<StoredAnomaly, SubmitError> {
        let body = serde_json::to_vec(anomaly).map_err(|e| SubmitError::Unencodable {
            reason: e.to_string(),
        })?;
        let key = anomaly.event_id();
        self.submit_body(&body, (!key.is_empty()).then_some(key))
    }

    /// Submits an anomaly given as JSON (e.g. read back from the spool, or from another
    /// producer), with an optional `Idempotency-Key`. Same rules as [`Client::submit`].
    pub fn submit_json(
        &self,
        anomaly: &Value,
        idempotency_key: Option<&str>,
    ) -> Result<StoredAnomaly, SubmitError> {
        let body = serde_json::to_vec(anomaly).map_err(|e| SubmitError::Unencodable {
            reason: e.to_string(),
        })?;
        self.submit_body(&body, idempotency_key)
    }

    fn submit_body(
        &self,
        body: &[u8],
        idempotency_key: Option<&str>,
    ) -> Result<StoredAnomaly, SubmitError> {
        let url = &self.anomalies_url;
        let bearer = format!("Bearer {}", self.config.token);
        // A key that cannot travel in a header is left out rather than failing the call.
        let key =
            idempotency_key.filter(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_graphic()));
        if idempotency_key.is_some() && key.is_none() {
            tracing::warn!("the idempotency key cannot be sent in a header; submitting without it");
        }
        let (status, answer) = self
            .with_retries("submit anomaly", || {
                let mut request = self
                    .agent
                    .post(url)
                    .header("Authorization", &bearer)
                    .header("Accept", "application/json")
                    .content_type("application/json");
                if let Some(key) = key {
                    request = request.header("Idempotency-Key", key);
                }
                request.send(body)
            })
            .map_err(|f| SubmitError::from_failure(f, url, self.config.timeout))?;
        let invalid = |reason: String| SubmitError::InvalidAnswer {
            status,
            reason,
            server_answer: answer.clone(),
        };
        let value: Value = serde_json::from_str(&answer)
            .map_err(|e| invalid(format!("the answer is not JSON: {e}")))?;
        StoredAnomaly::from_json(value).map_err(invalid)
    }

    /// One page of stored anomalies matching `filter`.
    pub fn query(&self, filter: &QueryFilter) -> Result<Page, QueryError> {
        let url = &self.anomalies_url;
        let bearer = format!("Bearer {}", self.config.token);
        let params = filter.params();
        let (status, answer) = self
            .with_retries("query anomalies", || {
                let mut request = self
                    .agent
                    .get(url)
                    .header("Authorization", &bearer)
                    .header("Accept", "application/json");
                for (name, value) in &params {
                    request = request.query(name, value);
                }
                request.call()
            })
            .map_err(|f| QueryError::from_failure(f, url, self.config.timeout))?;
        parse_page(&answer, filter).map_err(|reason| QueryError::InvalidAnswer { status, reason })
    }

    /// Every stored anomaly matching `filter`, page after page from `filter.page`, stopping
    /// at the server's `total`, at an empty page, or after `max_results` anomalies.
    ///
    /// An error ends the iteration after it is yielded.
    pub fn query_all(&self, filter: &QueryFilter, max_results: Option<usize>) -> QueryAll<'_> {
        QueryAll {
            client: self,
            filter: filter.clone(),
            max_results,
            buffer: VecDeque::new(),
            yielded: 0,
            total: None,
            finished: false,
        }
    }

    /// Runs `attempt` up to `retry_attempts` times as SPEC §5 says; `Ok` with a 2xx status
    /// and the answer's body.
    fn with_retries(
        &self,
        what: &str,
        mut attempt: impl FnMut() -> Result<Response<ureq::Body>, ureq::Error>,
    ) -> Result<(u16, String), Failure> {
        let attempts = self.config.retry_attempts.max(1);
        let mut made = 0;
        loop {
            made += 1;
            let outcome = attempt().and_then(|mut response| {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(MAX_ANSWER_BYTES)
                    .read_to_vec()?;
                Ok((status, retry_after, body))
            });
            let (failure, retry_after) = match outcome {
                Ok((status, _, body)) if (200..300).contains(&status) => {
                    return Ok((status, self.scrub(&body)));
                }
                Ok((status, retry_after, body)) => {
                    let failure = Failure::Status {
                        status,
                        body: self.scrub(&body),
                        attempts: made,
                    };
                    if !is_retryable_status(status) {
                        return Err(failure);
                    }
                    (failure, retry_after)
                }
                Err(e) => (transport_failure(e, made), None),
            };
            if made >= attempts {
                return Err(failure);
            }
            let wait = retry_after
                .and_then(|value| parse_retry_after(&value, self.clock.now()))
                .unwrap_or_else(|| full_jitter(backoff_ceiling(self.config.retry_delay, made - 1)))
                .min(self.config.max_retry_after);
            tracing::warn!(
                attempt = made,
                of = attempts,
                wait_s = wait.as_secs_f64(),
                "{what}: {}; retrying",
                describe(&failure)
            );
            self.clock.sleep(wait);
        }
    }

    /// The server's answer as text, with the token blanked out in case a server echoes it.
    fn scrub(&self, body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        let token = self.config.token.as_str();
        // Very short tokens would blank out ordinary text; real tokens are long.
        if token.len() >= 4 && text.contains(token) {
            text.replace(token, "[redacted]")
        } else {
            text.into_owned()
        }
    }
}

fn transport_failure(error: ureq::Error, attempts: u32) -> Failure {
    match error {
        ureq::Error::Timeout(_) => Failure::Timeout { attempts },
        ureq::Error::Io(ref io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) =>
        {
            Failure::Timeout { attempts }
        }
        other => Failure::Connection {
            cause: other.to_string(),
            attempts,
        },
    }
}

fn describe(failure: &Failure) -> String {
    match failure {
        Failure::Status { status, .. } => {
            format!("answer {status} {}", crate::error::reason_phrase(*status))
        }
        Failure::Timeout { .. } => "timed out".to_string(),
        Failure::Connection { cause, .. } => format!("connection failed ({cause})"),
    }
}

fn parse_page(answer: &str, filter: &QueryFilter) -> Result<Page, String> {
    let value: Value =
        serde_json::from_str(answer).map_err(|e| format!("the answer is not JSON: {e}"))?;
    let items = value
        .get("items")
        .and_then(Value::as_array)
        .ok_or("it has no items array")?;
    let total = value
        .get("total")
        .and_then(Value::as_u64)
        .ok_or("it has no total")?;
    let page_size = u64::from(filter.page_size.max(1));
    let skip = value
        .get("skip")
        .and_then(Value::as_u64)
        .unwrap_or(u64::from(filter.page.max(1) - 1) * page_size);
    let take = value
        .get("take")
        .and_then(Value::as_u64)
        .unwrap_or(page_size);
    let items = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            StoredAnomaly::from_json(item.clone()).map_err(|reason| format!("item {i}: {reason}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        total,
        skip,
        take,
    })
}

/// Iterator over every page of a query; see [`Client::query_all`].
#[derive(Debug)]
pub struct QueryAll<'c> {
    client: &'c Client,
    filter: QueryFilter,
    max_results: Option<usize>,
    buffer: VecDeque<StoredAnomaly>,
    yielded: usize,
    total: Option<u64>,
    finished: bool,
}

impl QueryAll<'_> {
    /// The server's `total` for the query, once the first page has been fetched.
    pub fn total(&self) -> Option<u64> {
        self.total
    }
}

impl Iterator for QueryAll<'_> {
    type Item = Result<StoredAnomaly, QueryError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.max_results.is_some_and(|max| self.yielded >= max) {
            return None;
        }
        if self.buffer.is_empty() && !self.finished {
            match self.client.query(&self.filter) {
                Err(e) => {
                    self.finished = true;
                    return Some(Err(e));
                }
                Ok(page) => {
                    let fetched = page.items.len() as u64;
                    self.total = Some(page.total);
                    // An empty page ends it too, so a server whose total is wrong cannot
                    // keep the loop going.
                    if fetched == 0 || page.skip + fetched >= page.total {
                        self.finished = true;
                    }
                    self.filter.page = self.filter.page.saturating_add(1);
                    self.buffer.extend(page.items);
                }
            }
        }
        let next = self.buffer.pop_front()?;
        self.yielded += 1;
        Some(Ok(next))
    }
}
