//! Diagnosis of the likely failure mode from the pattern of the signals (SPEC §3.5).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A way a pump degrades and fails.
///
/// The simulator uses the same names for the modes it injects, so diagnosis accuracy can be
/// measured against ground truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureMode {
    /// Worn impeller or wear rings: flow, head and efficiency fall together, slowly.
    ImpellerWear,
    /// Vapour bubbles collapsing at the impeller: suction low, flow and head down and noisy.
    Cavitation,
    /// Clogged intake or strainer: suction pressure falls, flow falls, smoothly.
    SuctionBlockage,
    /// Partly closed or clogged discharge: head up, flow and power down.
    DischargeBlockage,
    /// Bearing wear: friction raises power, efficiency falls, hydraulics unchanged.
    BearingWear,
    /// Leaking mechanical seal or packing: delivered flow falls, head and power hold.
    SealLeak,
    /// Motor fault: speed sags, power rises and becomes erratic.
    MotorFault,
    /// A sensor, not the pump: impossible, frozen or jumping values on one channel.
    SensorFault,
    /// No rule matched.
    Unknown,
}

impl FailureMode {
    /// Every mode, `Unknown` last.
    pub const ALL: [FailureMode; 9] = [
        FailureMode::ImpellerWear,
        FailureMode::Cavitation,
        FailureMode::SuctionBlockage,
        FailureMode::DischargeBlockage,
        FailureMode::BearingWear,
        FailureMode::SealLeak,
        FailureMode::MotorFault,
        FailureMode::SensorFault,
        FailureMode::Unknown,
    ];

    /// The snake_case name used in files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureMode::ImpellerWear => "impeller_wear",
            FailureMode::Cavitation => "cavitation",
            FailureMode::SuctionBlockage => "suction_blockage",
            FailureMode::DischargeBlockage => "discharge_blockage",
            FailureMode::BearingWear => "bearing_wear",
            FailureMode::SealLeak => "seal_leak",
            FailureMode::MotorFault => "motor_fault",
            FailureMode::SensorFault => "sensor_fault",
            FailureMode::Unknown => "unknown",
        }
    }
}

impl fmt::Display for FailureMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not a failure mode name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown failure mode {0:?}")]
pub struct UnknownFailureMode(pub String);

impl FromStr for FailureMode {
    type Err = UnknownFailureMode;

    /// Parses a snake_case mode name, ignoring case and surrounding spaces; `bearing` and
    /// `seal` are accepted for the original system's short names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let t = match t.as_str() {
            "bearing" => "bearing_wear",
            "seal" => "seal_leak",
            "impeller" => "impeller_wear",
            "motor" => "motor_fault",
            other => other,
        };
        FailureMode::ALL
            .into_iter()
            .find(|m| m.as_str() == t)
            .ok_or_else(|| UnknownFailureMode(s.to_string()))
    }
}

/// The likely failure mode and a one-line reason an engineer can check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// The mode.
    pub mode: FailureMode,
    /// Why, e.g. `flow −6%, head −5%, efficiency −9% over 10 days, power flat`.
    pub reason: String,
}
