//! Simulated pump fleets, for test data and benchmarks (SPEC §1).
//!
//! From a seed it makes realistic pumps: baselines that are hydraulically consistent,
//! hourly readings with a day/night demand cycle, VFD and fixed-speed drives, pump-off hours,
//! instrument noise and the faults of real exports (missing rows, empty and garbage cells,
//! repeated rows), and for most pumps a degradation with the signature of one failure mode
//! that ends in a failure, inside the window or after it (censored). It writes them in the
//! SPEC's formats (baseline CSV, operational CSVs, failure events) with a ground-truth JSON
//! that says which pump fails how and when. See docs/SIMULATOR.md for the physics.
//!
//! A key design decision of this crate is that **a pump depends only on the fleet seed and
//! its position**, never on the fleet's size: each pump draws from its own ChaCha8 stream
//! seeded from (fleet seed, index), and the fleet-level choices (healthy or which mode,
//! application, drive) come from prefix-stable sequences. Adding a pump leaves every other
//! pump byte-identical, and one pump can be simulated on its own ([`simulate_pump`]) for a
//! benchmark. The cost is that the fleet cannot be balanced as a whole: the healthy share is
//! exact for every prefix, but a fleet whose failing pumps are not a multiple of seven has
//! some modes once more than others, and a small fleet may miss a mode.
//!
//! ```
//! use pump_sim::{FleetConfig, simulate_fleet};
//! let fleet = simulate_fleet(&FleetConfig::new(7, 3, 2)).unwrap();
//! assert_eq!(fleet.pumps.len(), 3);
//! assert_eq!(fleet.pumps[0].id(), "Pump 01");
//! let csv = pump_sim::rows_to_csv_string(fleet.pumps[0].id(), &fleet.pumps[0].rows);
//! assert!(csv.starts_with("timestamp,Well ID,Flow (gpm),"));
//! ```
#![deny(missing_docs)]

pub mod config;
pub mod output;
pub mod physics;
pub mod scoring;
pub mod series;
pub mod spec;

pub use config::{ConfigError, DataFaults, DayRange, FleetConfig};
pub use output::{
    FileError, GroundTruth, OPERATIONAL_HEADER, PumpTruth, WrittenFleet, rows_to_csv_string,
    sensor_timestamp,
};
pub use physics::{SIGNATURE_MODES, Signature};
pub use scoring::{DiagnosisReport, ModeScore, score_diagnosis};
pub use series::{BadToken, Cell, OperationalRow, SimulatedPump, simulate_pump};
pub use spec::{
    Application, Baseline, Degradation, Drive, Fate, OffSchedule, PumpSpec, pump_series_seed,
};

/// A simulated fleet: its configuration and its pumps, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Fleet {
    /// What was simulated.
    pub config: FleetConfig,
    /// The pumps, `Pump 01` first.
    pub pumps: Vec<SimulatedPump>,
}

/// Simulates the fleet `config` describes.
///
/// Pumps are simulated on up to two threads (the edge-class machines this runs on have
/// two cores); the result does not depend on the thread count.
pub fn simulate_fleet(config: &FleetConfig) -> Result<Fleet, ConfigError> {
    config.validate()?;
    let simulate = |index: usize| {
        let spec = PumpSpec::for_fleet(config, index);
        simulate_pump(pump_series_seed(config.seed, index), &spec, config)
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 2);
    let pumps = if threads == 1 || config.pumps < 2 {
        (0..config.pumps).map(simulate).collect()
    } else {
        // Odd and even pumps on two threads, zipped back in order.
        std::thread::scope(|scope| {
            let odd = scope.spawn(|| {
                (1..config.pumps)
                    .step_by(2)
                    .map(simulate)
                    .collect::<Vec<_>>()
            });
            let even: Vec<SimulatedPump> = (0..config.pumps).step_by(2).map(simulate).collect();
            let odd = odd.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            let mut pumps = Vec::with_capacity(config.pumps);
            let mut odd = odd.into_iter();
            for pump in even {
                pumps.push(pump);
                pumps.extend(odd.next());
            }
            pumps
        })
    };
    Ok(Fleet {
        config: config.clone(),
        pumps,
    })
}

/// Counts that describe a fleet in one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetSummary {
    /// Pumps.
    pub pumps: usize,
    /// Healthy pumps.
    pub healthy: usize,
    /// Degrading pumps that failed inside the window.
    pub failed: usize,
    /// Degrading pumps still running at the end of the window.
    pub degrading_censored: usize,
    /// Rows over all operational files.
    pub rows: usize,
}

impl Fleet {
    /// Counts of pumps by fate, and of rows.
    pub fn summary(&self) -> FleetSummary {
        let healthy = self
            .pumps
            .iter()
            .filter(|p| p.spec.degradation().is_none())
            .count();
        let failed = self.pumps.iter().filter(|p| p.failed_at.is_some()).count();
        FleetSummary {
            pumps: self.pumps.len(),
            healthy,
            failed,
            degrading_censored: self.pumps.len() - healthy - failed,
            rows: self.pumps.iter().map(|p| p.rows.len()).sum(),
        }
    }
}
