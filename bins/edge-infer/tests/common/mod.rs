//! A site on one machine: an artifact made by the packager's library, the real anomaly-sink
//! on loopback, and edge-infer run as a real process.
#![allow(dead_code)]

use anomaly_client::{Client, ClientConfig, QueryFilter, StoredAnomaly};
use anomaly_sink::{RunningSink, Sink, SinkConfig, Tokens};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const TOKEN: &str = "edge-test-token-5f2a";

pub const HEADER: &str = "timestamp,Well ID,Flow (gpm),Discharge Pressure (psi),Suction Pressure (psi),Motor Power (hp),Pump Efficiency (%),Motor Speed (rpm)";

/// The SPEC §3.3 worked example pump.
pub const BASELINE_CSV: &str = "Well ID,pump_type,horsepower,application,baseline_flow_gpm,baseline_discharge_pressure_psi,baseline_power_hp,baseline_efficiency_percent\nWell 1,Goulds 3409,100,Municipal Water and Wastewater,500,150,75,85.5\n";

pub struct Site {
    pub dir: tempfile::TempDir,
    pub artifact: PathBuf,
    pub state: PathBuf,
    pub csv: PathBuf,
    pub out: PathBuf,
    pub sink_addr: SocketAddr,
    pub sink: Option<RunningSink>,
    db: PathBuf,
}

/// A free loopback port (bound and released).
pub fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

impl Site {
    /// An artifact for "Well 1" whose API is a sink on a free loopback port (not started).
    pub fn new() -> Site {
        Site::with_token_field("${ANOMALY_API_TOKEN}")
    }

    /// The same, with this `api.bearer_token` in the deployment config.
    pub fn with_token_field(token_field: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let sink_addr = free_addr();
        let baseline = dir.path().join("baseline.csv");
        std::fs::write(&baseline, BASELINE_CSV).unwrap();
        let deployment = dir.path().join("deployment_config.json");
        std::fs::write(
            &deployment,
            format!(
                r#"{{"api": {{"base_url": "http://{sink_addr}/api/v1", "bearer_token": "{token_field}",
                         "retry_attempts": 2, "retry_delay_seconds": 0.05, "timeout_seconds": 5}},
                   "site_info": {{"site_id": 35482, "pump_id": 1,
                                 "sensor_ids": {{"flow": 101, "head": 102, "power": 103, "efficiency": 104}}}},
                   "anomaly_reporting": {{"enabled": true, "report_on_status": ["Warning", "Critical", "Failure"],
                                         "debounce_minutes": 60, "include_ml_predictions": true}},
                   "inference_settings": {{"min_data_points_for_ml": 168, "save_results_locally": true,
                                          "results_retention_days": 30}}}}"#
            ),
        )
        .unwrap();
        let artifact = dir.path().join("well1_v1.0.0.zip");
        let request = packaging::PackageRequest {
            pump: "Well 1",
            baseline_csv: &baseline,
            version: "1.0.0",
            tolerance_category: None,
            tolerances: None,
            column_mapping: None,
            deployment_config: Some(&deployment),
            binary: None,
            model: packaging::ModelSource::None,
            tool: "packager (test)",
        };
        packaging::package(&request, &artifact).unwrap();
        let state = dir.path().join("state");
        let csv = dir.path().join("sensor.csv");
        let out = dir.path().join("results.json");
        let db = dir.path().join("sink.db");
        Site {
            dir,
            artifact,
            state,
            csv,
            out,
            sink_addr,
            sink: None,
            db,
        }
    }

    pub fn start_sink(&mut self) {
        let config = SinkConfig::new(self.sink_addr, &self.db, Tokens::parse(TOKEN));
        self.sink = Some(Sink::start(config).unwrap());
    }

    pub fn stop_sink(&mut self) {
        if let Some(s) = self.sink.take() {
            s.shutdown();
        }
    }

    /// Writes the sensor CSV: the header and these rows.
    pub fn write_csv(&self, rows: &[String]) {
        let mut text = String::from(HEADER);
        text.push('\n');
        for r in rows {
            text.push_str(r);
            text.push('\n');
        }
        std::fs::write(&self.csv, text).unwrap();
    }

    pub fn command(&self) -> Command {
        self.command_with(&self.artifact, &self.out)
    }

    /// edge-infer on this site's state and CSV with another artifact or results file.
    pub fn command_with(&self, artifact: &Path, out: &Path) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_edge-infer"));
        c.arg("--artifact")
            .arg(artifact)
            .arg("--state-dir")
            .arg(&self.state)
            .arg(&self.csv)
            .arg(out)
            .env("ANOMALY_API_TOKEN", TOKEN)
            .env_remove("EDGE_LOG")
            .stdin(Stdio::null());
        c
    }

    /// Runs edge-infer to completion.
    pub fn run(&self, extra: &[&str]) -> Output {
        self.command().args(extra).output().unwrap()
    }

    pub fn results(&self) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(&self.out).unwrap()).unwrap()
    }

    /// Every anomaly at the sink, oldest first.
    pub fn at_sink(&self) -> Vec<StoredAnomaly> {
        let client = Client::new(ClientConfig::new(
            format!("http://{}/api/v1", self.sink_addr),
            TOKEN,
        ))
        .unwrap();
        let filter = QueryFilter {
            page_size: 1000,
            sort: anomaly_client::SortDirection::Asc,
            ..QueryFilter::default()
        };
        client
            .query_all(&filter, None)
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    }

    pub fn spool_files(&self) -> Vec<String> {
        let dir = self.state.join("unsent_anomalies");
        let mut v: Vec<String> = match std::fs::read_dir(&dir) {
            Ok(d) => d
                .flatten()
                .filter(|e| e.file_type().unwrap().is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => vec![],
        };
        v.sort();
        v
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.stop_sink();
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A reading row of Well 1 at `time` with flow, head, power, efficiency.
pub fn row(time: &str, flow: f64, head: f64, power: f64, eff: f64) -> String {
    format!("{time},Well 1,{flow},{head},25,{power},{eff},1780")
}

pub fn path_str(p: &Path) -> String {
    p.display().to_string()
}
