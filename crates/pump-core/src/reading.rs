//! One row of sensor data, after column mapping and unit scaling.

use crate::parameter::{Parameter, ParameterValues};
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

/// One sensor reading of one pump.
///
/// Values are in the units of SPEC §2.1 after the column mapping's scaling; `None` means
/// unknown (missing column, empty cell, or a value that is not a valid number). A value is
/// never invented: an unknown value is never replaced by zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// Instant of the reading, UTC.
    pub timestamp: Timestamp,
    /// Pump id from the `Well ID` column, when the file has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pump_id: Option<String>,
    /// Flow, head, power and efficiency.
    pub values: ParameterValues<f64>,
    /// Suction pressure, psi (may be negative: vacuum at the inlet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suction: Option<f64>,
    /// Motor speed, rpm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
    /// Line of the source file this reading came from (1 is the header), 0 when not from a file.
    #[serde(default)]
    pub line: u64,
}

impl Reading {
    /// A reading with no values, at `timestamp`.
    pub fn new(timestamp: Timestamp) -> Reading {
        Reading {
            timestamp,
            pump_id: None,
            values: ParameterValues::empty(),
            suction: None,
            speed: None,
            line: 0,
        }
    }

    /// The value of one graded parameter.
    pub fn value(&self, parameter: Parameter) -> Option<f64> {
        self.values.value(parameter)
    }

    /// Sets one graded parameter (builder style, for tests and simulators).
    pub fn with(mut self, parameter: Parameter, value: f64) -> Reading {
        self.values.set(parameter, Some(value));
        self
    }
}

/// When a pump counts as not running (SPEC §2.1): it is off, not "Flow −100 %".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunningRule {
    /// Below this speed (rpm) the pump is off.
    pub min_speed_rpm: f64,
    /// At or below this flow (gpm) the pump is off.
    pub min_flow_gpm: f64,
}

impl RunningRule {
    /// The SPEC's defaults: 10 % of the baseline speed when known, else 1 rpm; flow 0 gpm.
    pub fn default_for(baseline_speed_rpm: Option<f64>) -> RunningRule {
        let min_speed_rpm = match baseline_speed_rpm {
            Some(n) if n > 0.0 => n * 0.1,
            _ => 1.0,
        };
        RunningRule {
            min_speed_rpm,
            min_flow_gpm: 0.0,
        }
    }

    /// Why `reading` is not running, or `None` when it runs (or nothing says it is off).
    pub fn not_running_reason(&self, reading: &Reading) -> Option<String> {
        if let Some(speed) = reading.speed
            && speed < self.min_speed_rpm
        {
            return Some(format!(
                "not running: speed {speed} rpm below {} rpm",
                self.min_speed_rpm
            ));
        }
        if let Some(flow) = reading.value(Parameter::Flow)
            && flow <= self.min_flow_gpm
        {
            return Some(format!(
                "not running: flow {flow} gpm at or below {} gpm",
                self.min_flow_gpm
            ));
        }
        None
    }
}
