//! The four performance parameters that ISO 9906 grades, and a small per-parameter map.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A graded performance parameter of a pump.
///
/// Flow and head are mandatory in every grade; power and efficiency are optional. The order
/// of the variants is the order used in every output (flow, head, power, efficiency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Parameter {
    /// Volume flow rate, US gpm.
    Flow,
    /// Head: discharge pressure (psi) by default, or differential pressure (psi or ft).
    Head,
    /// Motor power, hp.
    Power,
    /// Pump efficiency, %.
    Efficiency,
}

impl Parameter {
    /// Every parameter, in output order.
    pub const ALL: [Parameter; 4] = [
        Parameter::Flow,
        Parameter::Head,
        Parameter::Power,
        Parameter::Efficiency,
    ];

    /// The lowercase name used in files and JSON (`"flow"`, `"head"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Parameter::Flow => "flow",
            Parameter::Head => "head",
            Parameter::Power => "power",
            Parameter::Efficiency => "efficiency",
        }
    }

    /// The capitalised name used in human-readable descriptions (`"Flow"`, …).
    pub fn label(self) -> &'static str {
        match self {
            Parameter::Flow => "Flow",
            Parameter::Head => "Head",
            Parameter::Power => "Power",
            Parameter::Efficiency => "Efficiency",
        }
    }

    /// Parses the lowercase name; `None` for anything else.
    pub fn from_name(name: &str) -> Option<Parameter> {
        Parameter::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl fmt::Display for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One optional value per [`Parameter`].
///
/// Serialises as a JSON object in output order, leaving out parameters without a value:
/// `{"flow": 15.0, "efficiency": -1.2}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct ParameterValues<T> {
    /// Value for flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<T>,
    /// Value for head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<T>,
    /// Value for power.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<T>,
    /// Value for efficiency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency: Option<T>,
}

impl<T> Default for ParameterValues<T> {
    fn default() -> Self {
        ParameterValues::empty()
    }
}

impl<T> ParameterValues<T> {
    /// A map with no values.
    pub const fn empty() -> Self {
        ParameterValues {
            flow: None,
            head: None,
            power: None,
            efficiency: None,
        }
    }

    /// The value of one parameter.
    pub fn get(&self, parameter: Parameter) -> Option<&T> {
        match parameter {
            Parameter::Flow => self.flow.as_ref(),
            Parameter::Head => self.head.as_ref(),
            Parameter::Power => self.power.as_ref(),
            Parameter::Efficiency => self.efficiency.as_ref(),
        }
    }

    /// Sets (or clears, with `None`) the value of one parameter.
    pub fn set(&mut self, parameter: Parameter, value: Option<T>) {
        match parameter {
            Parameter::Flow => self.flow = value,
            Parameter::Head => self.head = value,
            Parameter::Power => self.power = value,
            Parameter::Efficiency => self.efficiency = value,
        }
    }

    /// The present values, in output order.
    pub fn iter(&self) -> impl Iterator<Item = (Parameter, &T)> {
        Parameter::ALL
            .into_iter()
            .filter_map(move |p| self.get(p).map(|v| (p, v)))
    }

    /// Applies `f` to every present value.
    pub fn map<U>(&self, mut f: impl FnMut(Parameter, &T) -> U) -> ParameterValues<U> {
        let mut out = ParameterValues::empty();
        for (p, v) in self.iter() {
            out.set(p, Some(f(p, v)));
        }
        out
    }

    /// Number of present values.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// True when no parameter has a value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T: Copy> ParameterValues<T> {
    /// The value of one parameter, copied.
    pub fn value(&self, parameter: Parameter) -> Option<T> {
        self.get(parameter).copied()
    }
}
