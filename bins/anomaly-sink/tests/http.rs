//! The sink's HTTP surface, spoken to with a plain HTTP client over loopback.

use anomaly_sink::{RunningSink, Sink, SinkConfig, Tokens};
use serde_json::{Value, json};
use std::collections::HashMap;

const TOKEN: &str = "sink-test-token-77";

fn start(dir: &tempfile::TempDir) -> RunningSink {
    let config = SinkConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        dir.path().join("sink.db"),
        Tokens::parse(&format!("{TOKEN}\n# another\nsecond-token-88\n")),
    );
    Sink::start(config).unwrap()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Sends a request and returns the status, the lower-cased headers and the body as JSON.
fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, HashMap<String, String>, Value) {
    let request = ureq::http::Request::builder().method(method).uri(url);
    let request = headers
        .iter()
        .fold(request, |r, (name, value)| r.header(*name, *value));
    let response = match body {
        Some(body) => agent().run(request.body(body.to_string()).unwrap()),
        None => agent().run(request.body(()).unwrap()),
    }
    .unwrap();
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let text = response.into_body().read_to_string().unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, headers, value)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[test]
fn healthz_answers_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let sink = start(&dir);
    let (status, _, body) = send("GET", &format!("http://{}/healthz", sink.addr()), &[], None);
    assert_eq!((status, body), (200, json!({"status": "ok"})));
}

#[test]
fn unknown_paths_and_wrong_methods() {
    let dir = tempfile::tempdir().unwrap();
    let sink = start(&dir);
    let auth = bearer(TOKEN);
    let (status, _, body) = send(
        "GET",
        &format!("{}/edge/anomaly", sink.base_url()),
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(status, 404);
    assert_eq!(body["message"], "no such resource: /api/v1/edge/anomaly");

    let (status, headers, body) = send(
        "DELETE",
        &format!("{}/edge/anomalies", sink.base_url()),
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(status, 405);
    assert_eq!(headers["allow"], "GET, POST");
    assert_eq!(body["error"], "Method Not Allowed");
}

#[test]
fn a_missing_or_wrong_token_gets_a_json_401() {
    let dir = tempfile::tempdir().unwrap();
    let sink = start(&dir);
    let url = format!("{}/edge/anomalies", sink.base_url());
    for headers in [
        vec![],
        vec![("Authorization", "Bearer nope")],
        vec![("Authorization", "Basic c2luay10ZXN0LXRva2VuLTc3")],
        vec![("Authorization", "Bearer ")],
    ] {
        let (status, response_headers, body) = send("GET", &url, &headers, None);
        assert_eq!(status, 401, "{headers:?}");
        assert_eq!(response_headers["www-authenticate"], "Bearer");
        assert_eq!(
            body,
            json!({"status": 401, "error": "Unauthorized",
                   "message": "missing or invalid bearer token (send Authorization: Bearer <token>)"})
        );
    }
    // Either token of the file is accepted, the scheme in any case.
    let (status, _, _) = send(
        "GET",
        &url,
        &[("Authorization", "bearer second-token-88")],
        None,
    );
    assert_eq!(status, 200);
}

#[test]
fn first_store_is_201_and_a_repeated_key_is_200_with_the_first_anomaly() {
    let dir = tempfile::tempdir().unwrap();
    let sink = start(&dir);
    let url = format!("{}/edge/anomalies", sink.base_url());
    let auth = bearer(TOKEN);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Idempotency-Key", "evt-1"),
    ];

    let (status, _, first) = send(
        "POST",
        &url,
        &headers,
        Some(r#"{"sourceType": "log", "description": "first", "siteId": 1, "id": 999}"#),
    );
    assert_eq!(status, 201);
    assert_eq!(first["id"], 1, "the server assigns the id");
    assert_eq!(first["description"], "first");
    let created_at = first["createdAt"].as_str().unwrap();
    assert!(
        created_at.ends_with('Z') && created_at.contains('T'),
        "{created_at}"
    );

    let (status, _, again) = send(
        "POST",
        &url,
        &headers,
        Some(r#"{"sourceType": "log", "description": "second"}"#),
    );
    assert_eq!((status, &again), (200, &first));

    let (_, _, page) = send("GET", &url, &[("Authorization", &auth)], None);
    assert_eq!(page["total"], 1);
}

#[test]
fn racing_submissions_of_one_key_store_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let sink = start(&dir);
    let url = format!("{}/edge/anomalies", sink.base_url());
    let auth = bearer(TOKEN);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    send(
                        "POST",
                        &url,
                        &[("Authorization", &auth), ("Idempotency-Key", "evt-race")],
                        Some(r#"{"sourceType": "log", "description": "race"}"#),
                    )
                    .0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        7,
        "{statuses:?}"
    );
    let (_, _, page) = send("GET", &url, &[("Authorization", &auth)], None);
    assert_eq!(page["total"], 1);
}

#[test]
fn bad_query_parameters_and_idempotency_keys_get_400() {
    let dir = tempfile::tempdir().unwrap();
    let sink = start(&dir);
    let url = format!("{}/edge/anomalies", sink.base_url());
    let auth = bearer(TOKEN);
    let (status, _, body) = send(
        "GET",
        &format!("{url}?pageSize=0"),
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "pageSize must be a whole number from 1, got \"0\""
    );

    let long_key = "k".repeat(300);
    let (status, _, body) = send(
        "POST",
        &url,
        &[("Authorization", &auth), ("Idempotency-Key", &long_key)],
        Some(r#"{"sourceType": "log", "description": "d"}"#),
    );
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "Idempotency-Key must be 1 to 255 visible ASCII characters"
    );
}

#[test]
fn a_body_over_the_limit_gets_413() {
    let dir = tempfile::tempdir().unwrap();
    let config = SinkConfig {
        max_body_bytes: 100,
        ..SinkConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            dir.path().join("sink.db"),
            Tokens::parse(TOKEN),
        )
    };
    let sink = Sink::start(config).unwrap();
    let body = format!(
        r#"{{"sourceType": "log", "description": "{}"}}"#,
        "x".repeat(200)
    );
    let (status, _, answer) = send(
        "POST",
        &format!("{}/edge/anomalies", sink.base_url()),
        &[("Authorization", &bearer(TOKEN))],
        Some(&body),
    );
    assert_eq!(status, 413);
    assert_eq!(
        answer["message"],
        "the body is larger than the limit of 100 bytes"
    );
}

#[test]
fn shutdown_releases_the_port_and_keeps_what_was_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let sink = start(&dir);
    let addr = sink.addr();
    let (status, _, _) = send(
        "POST",
        &format!("{}/edge/anomalies", sink.base_url()),
        &[("Authorization", &bearer(TOKEN))],
        Some(r#"{"sourceType": "log", "description": "kept"}"#),
    );
    assert_eq!(status, 201);
    sink.shutdown();
    // tiny_http's accept thread closes the socket just after the server is dropped.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while std::net::TcpStream::connect(addr).is_ok() {
        assert!(std::time::Instant::now() < deadline, "still listening");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let store = anomaly_sink::Store::open(&dir.path().join("sink.db")).unwrap();
    assert_eq!(store.count().unwrap(), 1);
}
