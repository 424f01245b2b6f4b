//! The client against the real reference sink over loopback.

mod common;

use anomaly_client::{
    AnomalyId, Client, Disposition, QueryError, QueryFilter, SortDirection, StoredAnomaly,
    SubmitError,
};
use anomaly_sink::{NewAnomaly, Store};
use common::{TOKEN, anomaly, client_for, start_sink, start_sink_with, test_config};
use pump_core::Timestamp;
use serde_json::json;
use std::collections::HashSet;

fn ids(items: &[StoredAnomaly]) -> Vec<i64> {
    items
        .iter()
        .map(|a| match a.id {
            AnomalyId::Number(n) => n,
            AnomalyId::Text(ref t) => panic!("text id {t}"),
        })
        .collect()
}

#[test]
fn submit_answers_the_stored_anomaly() {
    let dir = tempfile::tempdir().unwrap();
    let sink = start_sink(&dir.path().join("sink.db"));
    let client = client_for(&sink);
    let before = Timestamp::from(time::OffsetDateTime::now_utc()).plus(time::Duration::seconds(-1));

    let sent = anomaly(35482, 1, 101, "2024-11-18T14:32:00Z");
    let stored = client.submit(&sent).unwrap();
    assert_eq!(stored.id, AnomalyId::Number(1));
    assert!(
        stored.created_at >= before,
        "createdAt {}",
        stored.created_at
    );
    assert_eq!(stored.payload.as_ref(), Some(&sent));
    assert_eq!(stored.site_id(), Some(35482));
    assert_eq!(stored.status(), Some("Warning"));
    assert_eq!(stored.raw["additionalContext"]["event_id"], sent.event_id());

    let second = client
        .submit(&anomaly(35482, 1, 101, "2024-11-18T15:32:00Z"))
        .unwrap();
    assert_eq!(second.id, AnomalyId::Number(2));
}

#[test]
fn resubmission_with_the_same_idempotency_key_stores_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let sink = start_sink(&dir.path().join("sink.db"));
    let client = client_for(&sink);
    let sent = anomaly(35482, 1, 101, "2024-11-18T14:32:00Z");

    let first = client.submit(&sent).unwrap();
    let again = client.submit(&sent).unwrap();
    assert_eq!(again, first);

    // Racing resubmissions (a retry overlapping a slow first attempt) still store one row.
    let racing = anomaly(35482, 1, 101, "2024-11-18T16:32:00Z");
    let ids: HashSet<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| client.submit(&racing).unwrap().id.to_string()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(ids.len(), 1, "{ids:?}");

    let page = client.query(&QueryFilter::default()).unwrap();
    assert_eq!(page.total, 2);
}

/// Two sites × two pumps × two sensors × four hours = 32 anomalies.
fn seed_grid(client: &Client) {
    for site in [1, 2] {
        for pump in [1, 2] {
            for sensor in [101, 102] {
                for hour in 0..4 {
                    let ts = format!("2024-11-18T{:02}:00:00Z", 10 + hour);
                    client.submit(&anomaly(site, pump, sensor, &ts)).unwrap();
                }
            }
        }
    }
}

#[test]
fn query_honours_every_filter_and_both_sort_directions() {
    let dir = tempfile::tempdir().unwrap();
    let sink = start_sink(&dir.path().join("sink.db"));
    let client = client_for(&sink);
    seed_grid(&client);
    let all = QueryFilter {
        page_size: 100,
        ..QueryFilter::default()
    };

    let page = client.query(&all).unwrap();
    assert_eq!(
        (page.total, page.skip, page.take, page.items.len()),
        (32, 0, 100, 32)
    );

    let cases: [(&str, QueryFilter, u64); 7] = [
        (
            "site",
            QueryFilter {
                site_id: Some(2),
                ..all.clone()
            },
            16,
        ),
        (
            "pump",
            QueryFilter {
                pump_id: Some(1),
                ..all.clone()
            },
            16,
        ),
        (
            "sensor",
            QueryFilter {
                sensor_id: Some(102),
                ..all.clone()
            },
            16,
        ),
        (
            "site+pump+sensor",
            QueryFilter {
                site_id: Some(1),
                pump_id: Some(2),
                sensor_id: Some(101),
                ..all.clone()
            },
            4,
        ),
        (
            // Inclusive start, exclusive end: 11:00 and 12:00 of each of the 8 series.
            "date range",
            QueryFilter {
                start_date: Some("2024-11-18T11:00:00Z".parse().unwrap()),
                end_date: Some("2024-11-18T13:00:00Z".parse().unwrap()),
                ..all.clone()
            },
            16,
        ),
        (
            "start only",
            QueryFilter {
                start_date: Some("2024-11-18T13:00:00Z".parse().unwrap()),
                ..all.clone()
            },
            8,
        ),
        (
            "unknown site",
            QueryFilter {
                site_id: Some(999),
                ..all.clone()
            },
            0,
        ),
    ];
    for (name, filter, expected) in cases {
        let page = client.query(&filter).unwrap();
        assert_eq!(page.total, expected, "{name}");
        assert_eq!(page.items.len() as u64, expected, "{name}");
        for item in &page.items {
            if let Some(site) = filter.site_id {
                assert_eq!(item.site_id(), Some(site), "{name}");
            }
            if let Some(pump) = filter.pump_id {
                assert_eq!(item.pump_id(), Some(pump), "{name}");
            }
            if let Some(sensor) = filter.sensor_id {
                assert_eq!(item.sensor_id(), Some(sensor), "{name}");
            }
            let t = item.timestamp().unwrap();
            assert!(filter.start_date.is_none_or(|s| t >= s), "{name}: {t}");
            assert!(filter.end_date.is_none_or(|e| t < e), "{name}: {t}");
        }
    }

    // Sorted by timestamp, then id: newest first by default, oldest first on request.
    let one_series = QueryFilter {
        site_id: Some(1),
        pump_id: Some(1),
        sensor_id: Some(101),
        ..all.clone()
    };
    let desc = client.query(&one_series).unwrap();
    let stamps: Vec<String> = desc
        .items
        .iter()
        .map(|a| a.timestamp().unwrap().to_string())
        .collect();
    assert_eq!(
        stamps,
        [
            "2024-11-18T13:00:00Z",
            "2024-11-18T12:00:00Z",
            "2024-11-18T11:00:00Z",
            "2024-11-18T10:00:00Z"
        ]
    );
    assert_eq!(ids(&desc.items), [4, 3, 2, 1]);
    let asc = client
        .query(&QueryFilter {
            sort: SortDirection::Asc,
            ..one_series
        })
        .unwrap();
    assert_eq!(ids(&asc.items), [1, 2, 3, 4]);

    // Same timestamp: id breaks the tie, in the same direction.
    let at_ten = QueryFilter {
        start_date: Some("2024-11-18T10:00:00Z".parse().unwrap()),
        end_date: Some("2024-11-18T10:00:01Z".parse().unwrap()),
        sort: SortDirection::Asc,
        ..all
    };
    let tied = ids(&client.query(&at_ten).unwrap().items);
    assert_eq!(tied, [1, 5, 9, 13, 17, 21, 25, 29]);
}

#[test]
fn paging_through_a_thousand_anomalies() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sink.db");
    // Seeded in one transaction (one disk sync); the API path is covered by the other tests.
    let seeded: Vec<NewAnomaly> = (0..1000)
        .map(|i| {
            let t = Timestamp::from_unix_seconds(1_731_900_000 + i * 60);
            NewAnomaly::from_value(
                serde_json::to_value(anomaly(7, 1 + i % 3, 101, &t.to_string())).unwrap(),
            )
            .unwrap()
        })
        .collect();
    Store::open(&db)
        .unwrap()
        .insert_batch(seeded.iter().map(|a| (a, None)))
        .unwrap();
    let sink = start_sink(&db);
    let client = client_for(&sink);

    let filter = QueryFilter {
        page_size: 100,
        ..QueryFilter::default()
    };
    let mut all = client.query_all(&filter, None);
    let items: Vec<StoredAnomaly> = all.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(all.total(), Some(1000));
    assert_eq!(items.len(), 1000);
    let got = ids(&items);
    assert_eq!(
        got,
        (1..=1000).rev().collect::<Vec<_>>(),
        "newest first, no gaps, no repeats"
    );

    // The third page on its own.
    let page = client
        .query(&QueryFilter {
            page: 3,
            ..filter.clone()
        })
        .unwrap();
    assert_eq!((page.total, page.skip, page.take), (1000, 200, 100));
    assert_eq!(ids(&page.items).first(), Some(&800));

    // max_results stops early, mid-page; a filter's total stops at the end.
    assert_eq!(client.query_all(&filter, Some(250)).count(), 250);
    let pump_two = QueryFilter {
        pump_id: Some(2),
        page_size: 25,
        ..filter.clone()
    };
    assert_eq!(client.query_all(&pump_two, None).count(), 333);
    let past_the_end = QueryFilter { page: 11, ..filter };
    assert_eq!(client.query_all(&past_the_end, None).count(), 0);

    // pageSize over the maximum is clamped, and `take` says so.
    let big = client
        .query(&QueryFilter {
            page_size: 5000,
            ..QueryFilter::default()
        })
        .unwrap();
    assert_eq!((big.take, big.items.len()), (1000, 1000));
}

#[test]
fn a_wrong_token_is_refused_without_leaking_it() {
    let dir = tempfile::tempdir().unwrap();
    let sink = start_sink(&dir.path().join("sink.db"));
    let wrong = "wrong-token-must-not-leak-42";
    let client = Client::new(test_config(&sink.base_url(), wrong)).unwrap();

    let err = client
        .submit(&anomaly(1, 1, 101, "2024-11-18T14:32:00Z"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Failed to submit anomaly: 401 Unauthorized — check the API token (ANOMALY_API_TOKEN) or request a new one"
    );
    assert_eq!(err.disposition(), Disposition::Auth);
    assert_eq!(err.status(), Some(401));
    assert!(
        err.server_answer()
            .unwrap()
            .contains("missing or invalid bearer token")
    );
    for text in [err.to_string(), format!("{err:?}"), format!("{client:?}")] {
        assert!(!text.contains(wrong), "{text}");
        assert!(!text.contains(TOKEN), "{text}");
    }

    let err = client.query(&QueryFilter::default()).unwrap_err();
    assert!(
        matches!(err, QueryError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains(wrong));
    // Nothing was stored.
    assert_eq!(
        client_for(&sink)
            .query(&QueryFilter::default())
            .unwrap()
            .total,
        0
    );
}

#[test]
fn anomalies_survive_a_restart_of_the_sink() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sink.db");
    let sent = anomaly(35482, 1, 101, "2024-11-18T14:32:00Z");

    let sink = start_sink(&db);
    let first = client_for(&sink).submit(&sent).unwrap();
    sink.shutdown();

    let sink = start_sink(&db);
    let client = client_for(&sink);
    let page = client.query(&QueryFilter::default()).unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0], first);
    // The idempotency key is remembered too, and ids keep increasing.
    assert_eq!(client.submit(&sent).unwrap(), first);
    let next = client
        .submit(&anomaly(35482, 1, 101, "2024-11-18T15:32:00Z"))
        .unwrap();
    assert_eq!(next.id, AnomalyId::Number(2));
}

#[test]
fn invalid_anomalies_are_rejected_for_good_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let sink = start_sink(&dir.path().join("sink.db"));
    let client = client_for(&sink);
    let cases = [
        (
            json!({"description": "d"}),
            "missing required field sourceType",
        ),
        (
            json!({"sourceType": "log"}),
            "missing required field description",
        ),
        (
            json!({"sourceType": "log", "description": 3}),
            "description must be a string, not a number",
        ),
        (
            json!({"sourceType": "log", "description": "d", "siteId": "35482"}),
            "siteId must be an integer, not a string",
        ),
        (
            json!({"sourceType": "log", "description": "d", "sensorId": 1.5}),
            "sensorId must be an integer, not the number 1.5",
        ),
        (
            json!({"sourceType": "log", "description": "d", "timestamp": "18/11/2024"}),
            "timestamp must be an RFC 3339 date-time",
        ),
        (
            json!(["not", "an", "object"]),
            "body must be a JSON object, not an array",
        ),
    ];
    for (body, reason) in cases {
        let err = client.submit_json(&body, None).unwrap_err();
        assert!(
            matches!(err, SubmitError::Rejected { status: 400, .. }),
            "{body}: {err:?}"
        );
        assert_eq!(err.disposition(), Disposition::RejectedForGood);
        let answer: serde_json::Value = serde_json::from_str(err.server_answer().unwrap()).unwrap();
        assert!(
            answer["message"].as_str().unwrap().starts_with(reason),
            "{body}: {answer}"
        );
        assert!(err.to_string().contains(reason), "{err}");
    }

    // Broken JSON can only come from a raw request.
    let mut response = ureq::post(format!("{}/edge/anomalies", sink.base_url()))
        .config()
        .http_status_as_error(false)
        .build()
        .header("Authorization", format!("Bearer {TOKEN}"))
        .send("{\"sourceType\": ")
        .unwrap();
    assert_eq!(response.status(), 400);
    let answer: serde_json::Value = response.body_mut().read_json().unwrap();
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("body is not valid JSON"),
        "{answer}"
    );
    assert_eq!(client.query(&QueryFilter::default()).unwrap().total, 0);
}

#[test]
fn an_oversized_body_is_refused_with_413() {
    let dir = tempfile::tempdir().unwrap();
    let sink = start_sink_with(&dir.path().join("sink.db"), |c| c.max_body_bytes = 4096);
    let client = client_for(&sink);

    let mut big = anomaly(1, 1, 101, "2024-11-18T14:32:00Z");
    big.description = "x".repeat(10_000);
    let err = client.submit(&big).unwrap_err();
    assert!(
        matches!(err, SubmitError::Rejected { status: 413, .. }),
        "{err:?}"
    );
    assert_eq!(err.disposition(), Disposition::RejectedForGood);
    assert!(
        err.server_answer()
            .unwrap()
            .contains("larger than the limit of 4096 bytes")
    );

    // The sink is still serving, and a normal anomaly fits.
    client
        .submit(&anomaly(1, 1, 101, "2024-11-18T14:32:00Z"))
        .unwrap();
}
