//! Client settings (SPEC §4, the `api` part of deployment_config.json).

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// Settings of a [`Client`](crate::Client).
///
/// Debug output shows the token as `[redacted]`:
///
/// ```
/// use anomaly_client::ClientConfig;
/// let config = ClientConfig::new("https://api.example.com/api/v1", "s3cret-token");
/// assert!(!format!("{config:?}").contains("s3cret"));
/// ```
#[derive(Clone)]
pub struct ClientConfig {
    /// The API's base URL, e.g. `https://sp-api-sink.azurewebsites.net/api/v1`; must be https
    /// unless the host is loopback.
    pub base_url: String,
    /// The bearer token.
    pub token: String,
    /// Attempts in all for one call, the first included (`api.retry_attempts`); 0 counts as 1.
    pub retry_attempts: u32,
    /// The base of the exponential backoff (`api.retry_delay_seconds`): before attempt
    /// `n + 1` the client waits a uniformly random time in `[0, retry_delay × 2^n]`.
    pub retry_delay: Duration,
    /// Overall limit on one attempt: connecting, sending and reading the answer
    /// (`api.timeout_seconds`).
    pub timeout: Duration,
    /// Limit on establishing the connection.
    pub connect_timeout: Duration,
    /// The longest single wait between attempts, whether from backoff or from the server's
    /// `Retry-After`, so that a server cannot stall an hourly edge run.
    pub max_retry_after: Duration,
}

impl ClientConfig {
    /// Settings with SPEC defaults: 3 attempts, 5 s retry delay, 30 s timeout, 10 s connect
    /// timeout, waits of at most 60 s.
    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into(),
            token: token.into(),
            retry_attempts: 3,
            retry_delay: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("token", &"[redacted]")
            .field("retry_attempts", &self.retry_attempts)
            .field("retry_delay", &self.retry_delay)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_retry_after", &self.max_retry_after)
            .finish()
    }
}

/// Why a [`ClientConfig`] cannot be used. Never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The base URL is not an http(s) URL with a host.
    #[error("api.base_url {url:?} is not a usable URL: {reason}")]
    BadUrl {
        /// The URL as configured.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Plain http to a host that is not loopback would send the token in clear text.
    #[error(
        "api.base_url {url:?} is not https: the token would cross the network in clear text (plain http is only allowed to loopback)"
    )]
    InsecureUrl {
        /// The URL as configured.
        url: String,
    },
    /// The token is empty or cannot be sent in a header.
    #[error("the API token {0} — check ANOMALY_API_TOKEN or api.bearer_token")]
    BadToken(&'static str),
}

/// Checks the base URL and returns it without a trailing slash.
pub(crate) fn check_base_url(url: &str) -> Result<String, ConfigError> {
    let bad = |reason| ConfigError::BadUrl {
        url: url.to_string(),
        reason,
    };
    let trimmed = url.trim().trim_end_matches('/');
    let (scheme, rest) = trimmed
        .split_once("://")
        .ok_or_else(|| bad("it has no scheme (https://…)"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return Err(bad("it has no host"));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(trimmed.to_string()),
        "http" if is_loopback(host) => Ok(trimmed.to_string()),
        "http" => Err(ConfigError::InsecureUrl {
            url: url.to_string(),
        }),
        _ => Err(bad("the scheme is neither https nor http")),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub(crate) fn check_token(token: &str) -> Result<(), ConfigError> {
    if token.trim().is_empty() {
        return Err(ConfigError::BadToken("is empty"));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConfigError::BadToken(
            "contains spaces, control or non-ASCII characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_to_loopback() {
        let ok = [
            (
                "https://api.example.com/api/v1/",
                "https://api.example.com/api/v1",
            ),
            (
                "http://127.0.0.1:8080/api/v1",
                "http://127.0.0.1:8080/api/v1",
            ),
            ("http://localhost/api/v1", "http://localhost/api/v1"),
            ("http://[::1]:9000/api/v1", "http://[::1]:9000/api/v1"),
            ("http://127.8.0.1/x", "http://127.8.0.1/x"),
        ];
        for (url, expected) in ok {
            assert_eq!(check_base_url(url).as_deref(), Ok(expected), "{url}");
        }
        assert!(matches!(
            check_base_url("http://api.example.com/api/v1"),
            Err(ConfigError::InsecureUrl { .. })
        ));
        assert!(matches!(
            check_base_url("http://127.0.0.1.evil.example/api/v1"),
            Err(ConfigError::InsecureUrl { .. })
        ));
        assert!(matches!(
            check_base_url("api.example.com"),
            Err(ConfigError::BadUrl { .. })
        ));
        assert!(matches!(
            check_base_url("ftp://x/y"),
            Err(ConfigError::BadUrl { .. })
        ));
        assert!(matches!(
            check_base_url("https:///v1"),
            Err(ConfigError::BadUrl { .. })
        ));
    }

    #[test]
    fn tokens_that_cannot_be_sent_are_refused_without_echo() {
        let err = check_token("abc\r\nX-Evil: 1").unwrap_err();
        assert!(!err.to_string().contains("abc"));
        assert_eq!(check_token(""), Err(ConfigError::BadToken("is empty")));
        assert_eq!(check_token("tok-123"), Ok(()));
    }
}
