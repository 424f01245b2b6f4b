//! Typed errors of the client: what happened, and what to do about it.
//!
//! No error ever contains the token: the client never formats it, and server answers are
//! scrubbed of it before they are kept.

use std::time::Duration;

/// What the edge program should do with an anomaly whose submission failed (SPEC §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// Keep it in the spool and send it again on a later run: the network, the server or its
    /// answer failed, and the same submission may well succeed later.
    RetryLater,
    /// The server refused it for good (400, 404, 409, 413, 422, …: every 4xx except 401,
    /// 403, 408 and 429): move it aside with the server's answer; resending it unchanged
    /// will not help.
    RejectedForGood,
    /// The token was refused (401, 403): keep the anomaly, and fix the token.
    Auth,
}

/// Why [`Client::submit`](crate::Client::submit) failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SubmitError {
    /// 401 or 403.
    #[error(
        "Failed to submit anomaly: {status} {} — check the API token (ANOMALY_API_TOKEN) or request a new one",
        reason_phrase(*status)
    )]
    Unauthorized {
        /// The HTTP status.
        status: u16,
        /// The server's answer (body).
        server_answer: String,
    },
    /// A 4xx other than 401, 403, 408 and 429: the server will never accept this anomaly.
    #[error(
        "Failed to submit anomaly: the server rejected it with {status} {}: {} — resending it unchanged will not help",
        reason_phrase(*status), excerpt(server_answer)
    )]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The server's answer (body), to keep beside the rejected anomaly.
        server_answer: String,
    },
    /// 408, 429, 500, 502, 503 or 504 on every attempt.
    #[error(
        "Failed to submit anomaly: the server answered {status} {} on attempt {attempts} of {attempts} — it is busy or failing; keep the anomaly and retry later",
        reason_phrase(*status)
    )]
    Unavailable {
        /// The HTTP status of the last attempt.
        status: u16,
        /// The server's answer (body) to the last attempt.
        server_answer: String,
        /// Attempts made.
        attempts: u32,
    },
    /// No connection could be made, or it broke, on every attempt.
    #[error(
        "Failed to submit anomaly: cannot reach {url} after {attempts} attempt(s) ({cause}) — check the network connection and api.base_url; keep the anomaly and retry later"
    )]
    Unreachable {
        /// The URL called.
        url: String,
        /// What the last attempt ran into.
        cause: String,
        /// Attempts made.
        attempts: u32,
    },
    /// No complete answer within the timeout, on every attempt.
    #[error(
        "Failed to submit anomaly: no answer from {url} within {:.1} s after {attempts} attempt(s) — check the network or raise api.timeout_seconds; keep the anomaly and retry later",
        timeout.as_secs_f64()
    )]
    TimedOut {
        /// The URL called.
        url: String,
        /// The overall timeout of one attempt.
        timeout: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// A status the API never sends (a redirect, 501, …): most likely a wrong base URL.
    #[error(
        "Failed to submit anomaly: unexpected answer {status} {} from {url} — check api.base_url (it should end in /api/v1); keep the anomaly and retry later",
        reason_phrase(*status)
    )]
    UnexpectedStatus {
        /// The HTTP status.
        status: u16,
        /// The URL called.
        url: String,
        /// The server's answer (body).
        server_answer: String,
    },
    /// A 2xx whose body is not a stored anomaly.
    #[error(
        "Failed to submit anomaly: the server answered {status} but not with a stored anomaly ({reason}) — check api.base_url; keep the anomaly and retry later (the Idempotency-Key prevents a duplicate)"
    )]
    InvalidAnswer {
        /// The HTTP status.
        status: u16,
        /// What is missing or wrong.
        reason: String,
        /// The server's answer (body).
        server_answer: String,
    },
    /// The anomaly could not be turned into JSON (never for this product's payloads).
    #[error("Failed to submit anomaly: it cannot be encoded as JSON ({reason})")]
    Unencodable {
        /// What the encoder said.
        reason: String,
    },
}

impl SubmitError {
    /// What to do with the anomaly: spool it, move it aside as rejected, or fix the token.
    pub fn disposition(&self) -> Disposition {
        match self {
            SubmitError::Unauthorized { .. } => Disposition::Auth,
            SubmitError::Rejected { .. } | SubmitError::Unencodable { .. } => {
                Disposition::RejectedForGood
            }
            _ => Disposition::RetryLater,
        }
    }

    /// The HTTP status of the last answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            SubmitError::Unauthorized { status, .. }
            | SubmitError::Rejected { status, .. }
            | SubmitError::Unavailable { status, .. }
            | SubmitError::UnexpectedStatus { status, .. }
            | SubmitError::InvalidAnswer { status, .. } => Some(*status),
            SubmitError::Unreachable { .. }
            | SubmitError::TimedOut { .. }
            | SubmitError::Unencodable { .. } => None,
        }
    }

    /// The server's answer (response body) of the last attempt, when there was one.
    pub fn server_answer(&self) -> Option<&str> {
        match self {
            SubmitError::Unauthorized { server_answer, .. }
            | SubmitError::Rejected { server_answer, .. }
            | SubmitError::Unavailable { server_answer, .. }
            | SubmitError::UnexpectedStatus { server_answer, .. }
            | SubmitError::InvalidAnswer { server_answer, .. } => Some(server_answer),
            SubmitError::Unreachable { .. }
            | SubmitError::TimedOut { .. }
            | SubmitError::Unencodable { .. } => None,
        }
    }
}

/// Why [`Client::query`](crate::Client::query) failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// 401 or 403.
    #[error(
        "Failed to query anomalies: {status} {} — check the API token (ANOMALY_API_TOKEN or --token) or request a new one",
        reason_phrase(*status)
    )]
    Unauthorized {
        /// The HTTP status.
        status: u16,
        /// The server's answer (body).
        server_answer: String,
    },
    /// A 4xx other than 401, 403, 408 and 429, e.g. a filter the server refuses.
    #[error(
        "Failed to query anomalies: the server refused the query with {status} {}: {} — check the filters",
        reason_phrase(*status), excerpt(server_answer)
    )]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The server's answer (body).
        server_answer: String,
    },
    /// 408, 429, 500, 502, 503 or 504 on every attempt.
    #[error(
        "Failed to query anomalies: the server answered {status} {} on attempt {attempts} of {attempts} — it is busy or failing; try again later",
        reason_phrase(*status)
    )]
    Unavailable {
        /// The HTTP status of the last attempt.
        status: u16,
        /// The server's answer (body) to the last attempt.
        server_answer: String,
        /// Attempts made.
        attempts: u32,
    },
    /// No connection could be made, or it broke, on every attempt.
    #[error(
        "Failed to query anomalies: cannot reach {url} after {attempts} attempt(s) ({cause}) — check the network connection and the API URL"
    )]
    Unreachable {
        /// The URL called.
        url: String,
        /// What the last attempt ran into.
        cause: String,
        /// Attempts made.
        attempts: u32,
    },
    /// No complete answer within the timeout, on every attempt.
    #[error(
        "Failed to query anomalies: no answer from {url} within {:.1} s after {attempts} attempt(s) — check the network, or ask for smaller pages",
        timeout.as_secs_f64()
    )]
    TimedOut {
        /// The URL called.
        url: String,
        /// The overall timeout of one attempt.
        timeout: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// A status the API never sends (a redirect, 501, …): most likely a wrong API URL.
    #[error(
        "Failed to query anomalies: unexpected answer {status} {} from {url} — check the API URL (it should end in /api/v1)",
        reason_phrase(*status)
    )]
    UnexpectedStatus {
        /// The HTTP status.
        status: u16,
        /// The URL called.
        url: String,
        /// The server's answer (body).
        server_answer: String,
    },
    /// A 2xx whose body is not a page of anomalies.
    #[error(
        "Failed to query anomalies: the server answered {status} but not with a page of anomalies ({reason}) — check the API URL"
    )]
    InvalidAnswer {
        /// The HTTP status.
        status: u16,
        /// What is missing or wrong.
        reason: String,
    },
}

impl QueryError {
    /// Whether the same query may succeed later (the network or the server failed).
    pub fn disposition(&self) -> Disposition {
        match self {
            QueryError::Unauthorized { .. } => Disposition::Auth,
            QueryError::Rejected { .. } => Disposition::RejectedForGood,
            _ => Disposition::RetryLater,
        }
    }

    /// The HTTP status of the last answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            QueryError::Unauthorized { status, .. }
            | QueryError::Rejected { status, .. }
            | QueryError::Unavailable { status, .. }
            | QueryError::UnexpectedStatus { status, .. }
            | QueryError::InvalidAnswer { status, .. } => Some(*status),
            QueryError::Unreachable { .. } | QueryError::TimedOut { .. } => None,
        }
    }
}

/// How one call failed after the retry policy gave up; turned into the public errors.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A final non-2xx answer.
    Status {
        status: u16,
        body: String,
        attempts: u32,
    },
    /// Every attempt timed out (the last one did, at least).
    Timeout { attempts: u32 },
    /// The connection failed or broke.
    Connection { cause: String, attempts: u32 },
}

/// Which public error a final status makes.
pub(crate) enum StatusClass {
    Auth,
    Retryable,
    Rejected,
    Unexpected,
}

pub(crate) fn classify(status: u16) -> StatusClass {
    match status {
        401 | 403 => StatusClass::Auth,
        s if crate::retry::is_retryable_status(s) => StatusClass::Retryable,
        400..=499 => StatusClass::Rejected,
        _ => StatusClass::Unexpected,
    }
}

impl SubmitError {
    pub(crate) fn from_failure(failure: Failure, url: &str, timeout: Duration) -> SubmitError {
        match failure {
            Failure::Status {
                status,
                body,
                attempts,
            } => match classify(status) {
                StatusClass::Auth => SubmitError::Unauthorized {
                    status,
                    server_answer: body,
                },
                StatusClass::Retryable => SubmitError::Unavailable {
                    status,
                    server_answer: body,
                    attempts,
                },
                StatusClass::Rejected => SubmitError::Rejected {
                    status,
                    server_answer: body,
                },
                StatusClass::Unexpected => SubmitError::UnexpectedStatus {
                    status,
                    url: url.to_string(),
                    server_answer: body,
                },
            },
            Failure::Timeout { attempts } => SubmitError::TimedOut {
                url: url.to_string(),
                timeout,
                attempts,
            },
            Failure::Connection { cause, attempts } => SubmitError::Unreachable {
                url: url.to_string(),
                cause,
                attempts,
            },
        }
    }
}

impl QueryError {
    pub(crate) fn from_failure(failure: Failure, url: &str, timeout: Duration) -> QueryError {
        match failure {
            Failure::Status {
                status,
                body,
                attempts,
            } => match classify(status) {
                StatusClass::Auth => QueryError::Unauthorized {
                    status,
                    server_answer: body,
                },
                StatusClass::Retryable => QueryError::Unavailable {
                    status,
                    server_answer: body,
                    attempts,
                },
                StatusClass::Rejected => QueryError::Rejected {
                    status,
                    server_answer: body,
                },
                StatusClass::Unexpected => QueryError::UnexpectedStatus {
                    status,
                    url: url.to_string(),
                    server_answer: body,
                },
            },
            Failure::Timeout { attempts } => QueryError::TimedOut {
                url: url.to_string(),
                timeout,
                attempts,
            },
            Failure::Connection { cause, attempts } => QueryError::Unreachable {
                url: url.to_string(),
                cause,
                attempts,
            },
        }
    }
}

/// The standard reason phrase of a status, or "" for an unknown one.
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    ureq::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// The server's answer shortened to one line for a message; the full text stays in the
/// error's field.
fn excerpt(answer: &str) -> String {
    const MAX_CHARS: usize = 300;
    let one_line: String = answer.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return "(empty answer)".to_string();
    }
    match one_line.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_follow_the_spec() {
        let f = |status| {
            SubmitError::from_failure(
                Failure::Status {
                    status,
                    body: String::new(),
                    attempts: 1,
                },
                "http://127.0.0.1/api/v1/edge/anomalies",
                Duration::from_secs(1),
            )
            .disposition()
        };
        for s in [400, 404, 409, 413, 422, 451] {
            assert_eq!(f(s), Disposition::RejectedForGood, "{s}");
        }
        for s in [401, 403] {
            assert_eq!(f(s), Disposition::Auth, "{s}");
        }
        for s in [408, 429, 500, 502, 503, 504, 501, 302] {
            assert_eq!(f(s), Disposition::RetryLater, "{s}");
        }
    }

    #[test]
    fn the_unauthorized_message_is_the_specs() {
        let e = SubmitError::Unauthorized {
            status: 401,
            server_answer: String::new(),
        };
        assert_eq!(
            e.to_string(),
            "Failed to submit anomaly: 401 Unauthorized — check the API token (ANOMALY_API_TOKEN) or request a new one"
        );
    }

    #[test]
    fn long_answers_are_shortened_in_messages_only() {
        let answer = format!("{{\"message\": \"{}\"}}", "x".repeat(1000));
        let e = SubmitError::Rejected {
            status: 422,
            server_answer: answer.clone(),
        };
        assert!(e.to_string().len() < 500);
        assert!(e.to_string().contains("422 Unprocessable Entity"));
        assert_eq!(e.server_answer(), Some(answer.as_str()));
    }
}
