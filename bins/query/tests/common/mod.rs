//! Shared test helpers: a real anomaly-sink on loopback, seeded with anomalies from a
//! simulated fleet, and the query binary.
#![allow(dead_code)]

pub mod fleet;

use anomaly_sink::{NewAnomaly, RunningSink, Sink, SinkConfig, Store, Tokens};
use pump_core::AnomalyPayload;
use std::path::Path;

/// The token the test sinks accept.
pub const TOKEN: &str = "query-test-token-7c1e93b05d";

/// A sink on 127.0.0.1 (port 0) whose database holds `anomalies`, stored in order (ids 1,
/// 2, …) with their event ids as idempotency keys, in one transaction.
pub fn seeded_sink(db: &Path, anomalies: &[AnomalyPayload]) -> RunningSink {
    {
        let mut store = Store::open(db).expect("store opens");
        let rows: Vec<(NewAnomaly, String)> = anomalies
            .iter()
            .map(|a| {
                let value = serde_json::to_value(a).expect("payload serialises");
                (
                    NewAnomaly::from_value(value).expect("valid payload"),
                    a.event_id().to_string(),
                )
            })
            .collect();
        let created = store
            .insert_batch(rows.iter().map(|(a, k)| (a, Some(k.as_str()))))
            .expect("seeded");
        assert_eq!(created, anomalies.len(), "every anomaly is new");
    }
    Sink::start(SinkConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        db,
        Tokens::parse(&format!("# test tokens\n{TOKEN}\n")),
    ))
    .expect("sink starts")
}
