//! Shared test helpers: anomalies shaped like SPEC §3.7, and a real sink on loopback.
#![allow(dead_code)]

use anomaly_client::{Client, ClientConfig, RecordingClock};
use anomaly_sink::{RunningSink, Sink, SinkConfig, Tokens};
use pump_core::{AnomalyKey, AnomalyPayload, Parameter, Timestamp, event_id};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub const TOKEN: &str = "test-token-0123456789";

/// The worked example of SPEC §3.7 for the given site, pump, sensor and reading time; its
/// event id (and so its Idempotency-Key) differs whenever site, pump, sensor or time do.
pub fn anomaly(site: i64, pump: i64, sensor: i64, timestamp: &str) -> AnomalyPayload {
    let t: Timestamp = timestamp.parse().expect("test timestamp");
    // As in the SPEC's site_info.sensor_ids: 101 flow, 102 head, 103 power, 104 efficiency.
    let parameter = match sensor {
        102 => Parameter::Head,
        103 => Parameter::Power,
        104 => Parameter::Efficiency,
        _ => Parameter::Flow,
    };
    let key = AnomalyKey::Parameter(parameter);
    serde_json::from_value(serde_json::json!({
        "sourceType": "log",
        "description": "Flow exceeded 15.0% (threshold: 10%)",
        "siteId": site,
        "pumpId": pump,
        "sensorId": sensor,
        "timestamp": t.to_string(),
        "logValue": 575.0,
        "additionalContext": {
            "event_id": event_id(site, pump, key, t),
            "parameter": parameter.as_str(),
            "status": "Warning",
            "tolerance_category": "1U",
            "all_deviations": {"flow": 15.0, "head": 3.2, "power": 8.5, "efficiency": -1.2},
            "baseline_values": {"flow": 500.0, "head": 150.0, "power": 75.0, "efficiency": 85.5},
            "current_values": {"flow": 575.0, "head": 154.8, "power": 81.375, "efficiency": 84.474}
        },
        "metadata": {
            "modelName": "pump-anomaly-detector",
            "modelVersion": "1.0.0",
            "confidence": 0.87,
            "prediction_rul_days": 12.5,
            "framework": "smartcore"
        }
    }))
    .expect("the SPEC example is a valid payload")
}

/// A sink on 127.0.0.1, port 0, storing in `db`.
pub fn start_sink(db: &Path) -> RunningSink {
    start_sink_with(db, |_| {})
}

/// Same, with settings changed by `adjust`.
pub fn start_sink_with(db: &Path, adjust: impl FnOnce(&mut SinkConfig)) -> RunningSink {
    let mut config = SinkConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        db,
        Tokens::parse(&format!("# test tokens\n{TOKEN}\n")),
    );
    adjust(&mut config);
    Sink::start(config).expect("sink starts")
}

/// Settings for tests: 3 attempts, tiny delays, short timeouts.
pub fn test_config(base_url: &str, token: &str) -> ClientConfig {
    ClientConfig {
        retry_attempts: 3,
        retry_delay: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        max_retry_after: Duration::from_secs(30),
        ..ClientConfig::new(base_url, token)
    }
}

/// A client of `sink` whose waits are recorded, not slept.
pub fn client_for(sink: &RunningSink) -> Client {
    Client::new(test_config(&sink.base_url(), TOKEN))
        .unwrap()
        .with_clock(Arc::new(RecordingClock::default()))
}
