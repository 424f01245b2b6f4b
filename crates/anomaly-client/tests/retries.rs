//! The retry rules of SPEC §5 against a small scripted server on loopback.

mod common;

use anomaly_client::{Client, Disposition, RecordingClock, SubmitError};
use common::{anomaly, test_config};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

const TOKEN: &str = "scripted-token-0001";

/// What the scripted server does with one connection.
#[derive(Clone)]
enum Step {
    /// Answer with a status, extra headers and a body.
    Answer(u16, Vec<(&'static str, String)>, String),
    /// Read the request, then say nothing for this long before closing.
    Hang(Duration),
    /// Read the request, then close the connection without an answer.
    Drop,
}

fn answer(status: u16, body: &str) -> Step {
    Step::Answer(status, Vec::new(), body.to_string())
}

fn stored() -> Step {
    answer(
        201,
        r#"{"id": 41, "createdAt": "2024-11-18T14:32:01Z", "sourceType": "log", "description": "d"}"#,
    )
}

/// A server that answers one connection per step, each on its own thread, and records the
/// requests it received (request line and headers).
struct Scripted {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl Scripted {
    fn start(steps: Vec<Step>) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        let acceptor = std::thread::spawn(move || {
            let mut handlers = Vec::new();
            for step in steps {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let recorded = Arc::clone(&recorded);
                handlers.push(std::thread::spawn(move || serve(stream, &step, &recorded)));
            }
            for h in handlers {
                let _ = h.join();
            }
        });
        Scripted {
            addr,
            requests,
            acceptor: Some(acceptor),
        }
    }

    fn base_url(&self) -> String {
        format!("http://{}/api/v1", self.addr)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        // Unused steps would keep the acceptor waiting: poke it until it ends.
        if let Some(acceptor) = self.acceptor.take() {
            while !acceptor.is_finished() {
                let _ = TcpStream::connect(self.addr);
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

fn serve(stream: TcpStream, step: &Step, recorded: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return; // a poke from Drop
        }
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
    }
    let mut body = vec![0; content_length];
    let _ = reader.read_exact(&mut body);
    recorded.lock().unwrap().push(head);
    let mut stream = stream;
    match step {
        Step::Answer(status, headers, body) => {
            let mut text = format!(
                "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                text.push_str(&format!("{name}: {value}\r\n"));
            }
            text.push_str("\r\n");
            text.push_str(body);
            let _ = stream.write_all(text.as_bytes());
        }
        Step::Hang(d) => std::thread::sleep(*d),
        Step::Drop => {}
    }
}

fn client(server: &Scripted, attempts: u32) -> (Client, Arc<RecordingClock>) {
    let clock = Arc::new(RecordingClock::default());
    let config = anomaly_client::ClientConfig {
        retry_attempts: attempts,
        retry_delay: Duration::from_millis(100),
        timeout: Duration::from_millis(200),
        ..test_config(&server.base_url(), TOKEN)
    };
    let client = Client::new(config).unwrap().with_clock(clock.clone());
    (client, clock)
}

fn submit(client: &Client) -> Result<anomaly_client::StoredAnomaly, SubmitError> {
    client.submit(&anomaly(35482, 1, 101, "2024-11-18T14:32:00Z"))
}

#[test]
fn a_500_then_201_takes_two_attempts() {
    let server = Scripted::start(vec![answer(500, "{}"), stored()]);
    let (client, clock) = client(&server, 3);
    let stored = submit(&client).unwrap();
    assert_eq!(stored.id.to_string(), "41");
    assert_eq!(server.requests().len(), 2);
    let waits = clock.waits();
    assert_eq!(waits.len(), 1);
    assert!(waits[0] <= Duration::from_millis(100), "{waits:?}");

    // Every attempt carries the token, the JSON type and the same Idempotency-Key.
    let expected_key = anomaly(35482, 1, 101, "2024-11-18T14:32:00Z")
        .event_id()
        .to_string();
    for request in server.requests() {
        let lower = request.to_ascii_lowercase();
        assert!(
            request.starts_with("POST /api/v1/edge/anomalies HTTP/1.1"),
            "{request}"
        );
        assert!(
            lower.contains(&format!("authorization: bearer {TOKEN}")),
            "{request}"
        );
        assert!(
            lower.contains("content-type: application/json"),
            "{request}"
        );
        assert!(
            lower.contains(&format!("idempotency-key: {expected_key}")),
            "{request}"
        );
    }
}

#[test]
fn a_503_with_retry_after_seconds_waits_that_long() {
    let busy = Step::Answer(503, vec![("Retry-After", "2".into())], "{}".into());
    let server = Scripted::start(vec![busy, stored()]);
    let (client, clock) = client(&server, 3);
    submit(&client).unwrap();
    assert_eq!(clock.waits(), [Duration::from_secs(2)]);
}

#[test]
fn retry_after_as_an_http_date_counts_from_now() {
    // The clock stands at 2024-11-18T14:32:00Z.
    let clock = Arc::new(RecordingClock::at(
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_731_940_320),
    ));
    let busy = Step::Answer(
        503,
        vec![("Retry-After", "Mon, 18 Nov 2024 14:32:07 GMT".into())],
        "{}".into(),
    );
    let server = Scripted::start(vec![busy, stored()]);
    let client = Client::new(test_config(&server.base_url(), TOKEN))
        .unwrap()
        .with_clock(clock.clone());
    submit(&client).unwrap();
    assert_eq!(clock.waits(), [Duration::from_secs(7)]);
}

#[test]
fn retry_after_is_capped_at_max_retry_after() {
    let busy = Step::Answer(429, vec![("Retry-After", "3600".into())], "{}".into());
    let server = Scripted::start(vec![busy, stored()]);
    let clock = Arc::new(RecordingClock::default());
    let config = anomaly_client::ClientConfig {
        max_retry_after: Duration::from_secs(10),
        ..test_config(&server.base_url(), TOKEN)
    };
    let client = Client::new(config).unwrap().with_clock(clock.clone());
    submit(&client).unwrap();
    assert_eq!(clock.waits(), [Duration::from_secs(10)]);
}

#[test]
fn a_429_is_retried() {
    let server = Scripted::start(vec![answer(429, "{}"), answer(408, "{}"), stored()]);
    let (client, clock) = client(&server, 3);
    submit(&client).unwrap();
    assert_eq!(server.requests().len(), 3);
    assert_eq!(clock.waits().len(), 2);
}

#[test]
fn a_400_is_not_retried_and_keeps_the_servers_answer() {
    let reason = r#"{"status": 400, "message": "missing required field sourceType"}"#;
    let server = Scripted::start(vec![answer(400, reason), stored()]);
    let (client, clock) = client(&server, 3);
    let err = submit(&client).unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert!(clock.waits().is_empty());
    assert_eq!(err.disposition(), Disposition::RejectedForGood);
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.server_answer(), Some(reason));
    assert!(
        err.to_string().starts_with("Failed to submit anomaly: the server rejected it with 400 Bad Request: {\"status\": 400, \"message\": \"missing required field sourceType\"}"),
        "{err}"
    );
}

#[test]
fn a_403_is_not_retried_and_points_at_the_token() {
    let server = Scripted::start(vec![answer(403, "{}"), stored()]);
    let (client, _) = client(&server, 3);
    let err = submit(&client).unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert_eq!(err.disposition(), Disposition::Auth);
    assert_eq!(
        err.to_string(),
        "Failed to submit anomaly: 403 Forbidden — check the API token (ANOMALY_API_TOKEN) or request a new one"
    );
}

#[test]
fn a_server_that_hangs_past_the_timeout_is_retried_then_given_up() {
    let hang = Step::Hang(Duration::from_secs(1));
    let server = Scripted::start(vec![hang.clone(), hang]);
    let (client, clock) = client(&server, 2);
    let started = Instant::now();
    let err = submit(&client).unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(err, SubmitError::TimedOut { attempts: 2, .. }),
        "{err:?}"
    );
    assert_eq!(err.disposition(), Disposition::RetryLater);
    assert!(
        err.to_string().contains("within 0.2 s after 2 attempt(s)"),
        "{err}"
    );
    assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
    assert_eq!(clock.waits().len(), 1);
}

#[test]
fn a_hang_then_an_answer_succeeds() {
    let server = Scripted::start(vec![Step::Hang(Duration::from_secs(1)), stored()]);
    let (client, _) = client(&server, 3);
    assert_eq!(submit(&client).unwrap().id.to_string(), "41");
}

#[test]
fn a_dropped_connection_is_retried() {
    let server = Scripted::start(vec![Step::Drop, stored()]);
    let (client, clock) = client(&server, 3);
    submit(&client).unwrap();
    assert_eq!(server.requests().len(), 2);
    assert_eq!(clock.waits().len(), 1);
}

#[test]
fn attempts_are_bounded_by_retry_attempts() {
    let server = Scripted::start(vec![answer(500, "{\"message\": \"db down\"}"); 5]);
    let (client, clock) = client(&server, 3);
    let err = submit(&client).unwrap_err();
    assert_eq!(server.requests().len(), 3);
    assert_eq!(clock.waits().len(), 2, "no wait after the last attempt");
    assert!(
        matches!(
            err,
            SubmitError::Unavailable {
                status: 500,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.disposition(), Disposition::RetryLater);
    assert_eq!(err.server_answer(), Some("{\"message\": \"db down\"}"));
}

#[test]
fn full_jitter_waits_lie_between_zero_and_the_doubling_ceiling() {
    let server = Scripted::start(vec![answer(502, "{}"); 6]);
    let (client, clock) = client(&server, 6);
    submit(&client).unwrap_err();
    let waits = clock.waits();
    assert_eq!(waits.len(), 5);
    for (n, wait) in waits.iter().enumerate() {
        let ceiling = Duration::from_millis(100) * 2u32.pow(n as u32);
        assert!(*wait <= ceiling, "wait {n}: {wait:?} > {ceiling:?}");
    }
    // Jitter, not a fixed schedule: five waits all exactly at their ceiling would be a bug.
    assert!(
        waits
            .iter()
            .enumerate()
            .any(|(n, w)| *w != Duration::from_millis(100) * 2u32.pow(n as u32))
    );
}

#[test]
fn an_unreachable_server_says_to_check_the_network() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let clock = Arc::new(RecordingClock::default());
    let config = anomaly_client::ClientConfig {
        retry_attempts: 2,
        ..test_config(&format!("http://127.0.0.1:{port}/api/v1"), TOKEN)
    };
    let client = Client::new(config).unwrap().with_clock(clock.clone());
    let err = submit(&client).unwrap_err();
    assert!(
        matches!(err, SubmitError::Unreachable { attempts: 2, .. }),
        "{err:?}"
    );
    assert_eq!(err.disposition(), Disposition::RetryLater);
    assert!(
        err.to_string().contains("check the network connection"),
        "{err}"
    );
    assert!(!format!("{err} {err:?}").contains(TOKEN));
}

#[test]
fn a_redirect_is_reported_not_followed() {
    let moved = Step::Answer(
        301,
        vec![("Location", "https://elsewhere.invalid/".into())],
        String::new(),
    );
    let server = Scripted::start(vec![moved]);
    let (client, _) = client(&server, 3);
    let err = submit(&client).unwrap_err();
    assert!(
        matches!(err, SubmitError::UnexpectedStatus { status: 301, .. }),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);
    assert!(err.to_string().contains("check api.base_url"), "{err}");
}

#[test]
fn a_2xx_without_a_stored_anomaly_is_retry_later() {
    let server = Scripted::start(vec![answer(201, "<html>ok</html>")]);
    let (client, _) = client(&server, 3);
    let err = submit(&client).unwrap_err();
    assert!(
        matches!(err, SubmitError::InvalidAnswer { status: 201, .. }),
        "{err:?}"
    );
    assert_eq!(err.disposition(), Disposition::RetryLater);
}

#[test]
fn a_server_echoing_the_token_has_it_scrubbed() {
    let echo = answer(400, &format!("{{\"message\": \"bad token {TOKEN}\"}}"));
    let server = Scripted::start(vec![echo]);
    let (client, _) = client(&server, 1);
    let err = submit(&client).unwrap_err();
    assert_eq!(
        err.server_answer(),
        Some("{\"message\": \"bad token [redacted]\"}")
    );
    assert!(!format!("{err} {err:?}").contains(TOKEN));
}
