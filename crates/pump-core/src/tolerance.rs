//! ISO 9906:2012 tolerance grades as the original system applies them (SPEC §3.2).

use crate::parameter::{Parameter, ParameterValues};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// In the original tolerances.json a max of 999 or more, or a min of −999 or less, means
/// "this side is not checked".
const UNCHECKED: f64 = 999.0;

/// The tolerance of one parameter in one grade.
///
/// Invariant: when both sides are checked, `min <= max` (enforced by [`Limit::new`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limit {
    /// Mandatory parameters (flow and head in every built-in grade) weigh more in the status.
    pub mandatory: bool,
    /// Lowest allowed deviation, percent; `None` when that side is not checked.
    pub min: Option<f64>,
    /// Highest allowed deviation, percent; `None` when that side is not checked.
    pub max: Option<f64>,
}

impl Limit {
    /// A limit; `None` when `min > max` or a bound is not finite.
    pub fn new(mandatory: bool, min: Option<f64>, max: Option<f64>) -> Option<Limit> {
        if min.is_some_and(|m| !m.is_finite()) || max.is_some_and(|m| !m.is_finite()) {
            return None;
        }
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            return None;
        }
        Some(Limit {
            mandatory,
            min,
            max,
        })
    }
}

/// A tolerance grade: a name (`"1U"`) and the limit of each parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    /// Grade name, e.g. `"1U"`.
    pub name: String,
    /// Limit of each parameter; a parameter without a limit is not checked.
    pub limits: ParameterValues<Limit>,
}

impl Grade {
    /// The limit of one parameter.
    pub fn limit(&self, parameter: Parameter) -> Option<&Limit> {
        self.limits.get(parameter)
    }
}

/// How an application maps to a grade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GradeRule {
    /// Always this grade.
    Fixed(String),
    /// Depends on the nameplate horsepower.
    ByHorsepower {
        /// The dividing horsepower (134 in the built-in table).
        threshold_hp: f64,
        /// Grade below the threshold.
        below: String,
        /// Grade at or above the threshold.
        at_or_above: String,
    },
}

/// A grade could not be chosen or the tolerances file could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ToleranceError {
    /// The application is not in the mapping and no grade was named.
    #[error(
        "unknown application {application:?}; valid applications: {valid}; or name the grade explicitly (tolerance_category)"
    )]
    UnknownApplication {
        /// The application given.
        application: String,
        /// The valid ones, comma separated.
        valid: String,
    },
    /// Neither an application nor a grade was given.
    #[error("no application and no tolerance_category: cannot choose a tolerance grade")]
    NoApplication,
    /// A grade was named that the table does not have.
    #[error("unknown tolerance grade {name:?}; known grades: {known}")]
    UnknownGrade {
        /// The name given.
        name: String,
        /// The known ones.
        known: String,
    },
    /// The application's grade depends on horsepower, which the baseline lacks.
    #[error(
        "application {application:?} needs the pump's horsepower to choose between {below} and {at_or_above}"
    )]
    NeedsHorsepower {
        /// The application.
        application: String,
        /// Grade below the threshold.
        below: String,
        /// Grade at or above it.
        at_or_above: String,
    },
    /// tolerances.json is malformed.
    #[error("tolerances file: {0}")]
    File(String),
}

/// The grades and the application mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToleranceTable {
    grades: BTreeMap<String, Grade>,
    applications: Vec<(String, GradeRule)>,
}

impl ToleranceTable {
    /// The built-in table of SPEC §3.2.
    pub fn builtin() -> ToleranceTable {
        let grade = |name: &str, flow: (f64, f64), head: (f64, f64), power: f64, eff: f64| {
            let two_sided = |(lo, hi): (f64, f64)| Limit {
                mandatory: true,
                min: (lo > -UNCHECKED).then_some(lo),
                max: Some(hi),
            };
            Grade {
                name: name.to_string(),
                limits: ParameterValues {
                    flow: Some(two_sided(flow)),
                    head: Some(two_sided(head)),
                    power: Some(Limit {
                        mandatory: false,
                        min: None,
                        max: Some(power),
                    }),
                    efficiency: Some(Limit {
                        mandatory: false,
                        min: Some(eff),
                        max: None,
                    }),
                },
            }
        };
        let none = -UNCHECKED;
        let grades = [
            grade("1B", (-5.0, 5.0), (-3.0, 3.0), 4.0, -3.0),
            grade("1E", (-5.0, 5.0), (-3.0, 3.0), 4.0, 0.0),
            grade("1U", (none, 10.0), (none, 6.0), 10.0, 0.0),
            grade("2B", (-8.0, 8.0), (-5.0, 5.0), 8.0, -5.0),
            grade("2U", (none, 16.0), (none, 10.0), 16.0, -5.0),
            grade("3B", (-9.0, 9.0), (-7.0, 7.0), 9.0, -7.0),
        ];
        let by_hp = || GradeRule::ByHorsepower {
            threshold_hp: 134.0,
            below: "3B".into(),
            at_or_above: "2B".into(),
        };
        ToleranceTable {
            grades: grades.into_iter().map(|g| (g.name.clone(), g)).collect(),
            applications: vec![
                (
                    "Municipal Water and Wastewater".into(),
                    GradeRule::Fixed("1U".into()),
                ),
                ("API".into(), GradeRule::Fixed("1B".into())),
                ("Energy Conservation".into(), GradeRule::Fixed("1E".into())),
                ("Cooling Tower".into(), GradeRule::Fixed("2B".into())),
                ("General Industry".into(), by_hp()),
                ("Dewatering, drainage, and irrigation".into(), by_hp()),
            ],
        }
    }

    /// Reads the original system's tolerances.json on top of the built-in table: its
    /// categories redefine or add grades, its `application_mapping` redefines or adds
    /// applications. Other keys (descriptions, notes) are ignored.
    pub fn from_original_json(text: &str) -> Result<ToleranceTable, ToleranceError> {
        let err = |m: String| ToleranceError::File(m);
        let root: Value = serde_json::from_str(text).map_err(|e| err(e.to_string()))?;
        let mut table = ToleranceTable::builtin();
        if let Some(categories) = root.get("categories") {
            let categories = categories
                .as_object()
                .ok_or_else(|| err("\"categories\" is not an object".into()))?;
            for (name, category) in categories {
                let tolerances = category
                    .get("tolerances")
                    .and_then(Value::as_object)
                    .ok_or_else(|| err(format!("categories.{name}: no \"tolerances\" object")))?;
                let mut limits = ParameterValues::empty();
                for (key, t) in tolerances {
                    let at = format!("categories.{name}.tolerances.{key}");
                    let Some(p) = Parameter::from_name(key) else {
                        continue; // a parameter this product does not grade
                    };
                    let num = |field: &str| -> Result<Option<f64>, ToleranceError> {
                        match t.get(field) {
                            None | Some(Value::Null) => Ok(None),
                            Some(v) => v
                                .as_f64()
                                .map(Some)
                                .ok_or_else(|| err(format!("{at}.{field}: not a number"))),
                        }
                    };
                    let max = num("max_deviation")?.filter(|&m| m < UNCHECKED);
                    let min = num("min_deviation")?.filter(|&m| m > -UNCHECKED);
                    let mandatory = match t.get("mandatory") {
                        None => matches!(p, Parameter::Flow | Parameter::Head),
                        Some(v) => v
                            .as_bool()
                            .ok_or_else(|| err(format!("{at}.mandatory: not true/false")))?,
                    };
                    let limit = Limit::new(mandatory, min, max)
                        .ok_or_else(|| err(format!("{at}: min_deviation above max_deviation")))?;
                    limits.set(p, Some(limit));
                }
                table.grades.insert(
                    name.clone(),
                    Grade {
                        name: name.clone(),
                        limits,
                    },
                );
            }
        }
        if let Some(mapping) = root.get("application_mapping") {
            let mapping = mapping
                .as_object()
                .ok_or_else(|| err("\"application_mapping\" is not an object".into()))?;
            for (application, rule) in mapping {
                let rule = parse_rule(rule).ok_or_else(|| {
                    err(format!(
                        "application_mapping.{application}: expected a grade name or \
                         {{\"hp_less_than_N\": grade, \"hp_greater_equal_N\": grade}}"
                    ))
                })?;
                table.set_application(application, rule);
            }
        }
        for (application, rule) in &table.applications {
            let names: Vec<&String> = match rule {
                GradeRule::Fixed(g) => vec![g],
                GradeRule::ByHorsepower {
                    below, at_or_above, ..
                } => vec![below, at_or_above],
            };
            for g in names {
                if !table.grades.contains_key(g) {
                    return Err(err(format!(
                        "application_mapping.{application}: unknown grade {g:?}"
                    )));
                }
            }
        }
        Ok(table)
    }

    /// Serialises in the original tolerances.json format (readable by the original system
    /// and by [`ToleranceTable::from_original_json`]).
    pub fn to_original_json(&self) -> String {
        let mut categories = serde_json::Map::new();
        for (name, grade) in &self.grades {
            let mut tolerances = serde_json::Map::new();
            for (p, limit) in grade.limits.iter() {
                tolerances.insert(
                    p.as_str().into(),
                    serde_json::json!({
                        "mandatory": limit.mandatory,
                        "max_deviation": limit.max.unwrap_or(UNCHECKED),
                        "min_deviation": limit.min.unwrap_or(-UNCHECKED),
                    }),
                );
            }
            categories.insert(
                name.clone(),
                serde_json::json!({ "tolerances": tolerances }),
            );
        }
        let mut mapping = serde_json::Map::new();
        for (application, rule) in &self.applications {
            let v = match rule {
                GradeRule::Fixed(g) => Value::String(g.clone()),
                GradeRule::ByHorsepower {
                    threshold_hp,
                    below,
                    at_or_above,
                } => serde_json::json!({
                    format!("hp_less_than_{threshold_hp}"): below,
                    format!("hp_greater_equal_{threshold_hp}"): at_or_above,
                }),
            };
            mapping.insert(application.clone(), v);
        }
        serde_json::to_string_pretty(&serde_json::json!({
            "categories": categories,
            "application_mapping": mapping,
        }))
        .unwrap_or_default()
    }

    fn set_application(&mut self, application: &str, rule: GradeRule) {
        let key = normalise(application);
        match self
            .applications
            .iter_mut()
            .find(|(a, _)| normalise(a) == key)
        {
            Some(entry) => entry.1 = rule,
            None => self
                .applications
                .push((application.trim().to_string(), rule)),
        }
    }

    /// A grade by name (exact, then ignoring case).
    pub fn grade(&self, name: &str) -> Result<&Grade, ToleranceError> {
        let name = name.trim();
        self.grades
            .get(name)
            .or_else(|| {
                self.grades
                    .values()
                    .find(|g| g.name.eq_ignore_ascii_case(name))
            })
            .ok_or_else(|| ToleranceError::UnknownGrade {
                name: name.to_string(),
                known: self.grades.keys().cloned().collect::<Vec<_>>().join(", "),
            })
    }

    /// Every grade, by name.
    pub fn grades(&self) -> impl Iterator<Item = &Grade> {
        self.grades.values()
    }

    /// The applications the mapping knows.
    pub fn applications(&self) -> impl Iterator<Item = &str> {
        self.applications.iter().map(|(a, _)| a.as_str())
    }

    /// The grade for a pump: `explicit` when given, else from its application (matched
    /// ignoring case and surrounding spaces) and, where it matters, its horsepower.
    ///
    /// ```
    /// use pump_core::ToleranceTable;
    /// let t = ToleranceTable::builtin();
    /// assert_eq!(t.grade_for(Some("general industry "), Some(133.9), None).unwrap().name, "3B");
    /// assert_eq!(t.grade_for(Some("General Industry"), Some(134.0), None).unwrap().name, "2B");
    /// assert_eq!(t.grade_for(Some("anything"), None, Some("2U")).unwrap().name, "2U");
    /// ```
    pub fn grade_for(
        &self,
        application: Option<&str>,
        horsepower: Option<f64>,
        explicit: Option<&str>,
    ) -> Result<&Grade, ToleranceError> {
        if let Some(name) = explicit.filter(|s| !s.trim().is_empty()) {
            return self.grade(name);
        }
        let application = application
            .filter(|s| !s.trim().is_empty())
            .ok_or(ToleranceError::NoApplication)?;
        let key = normalise(application);
        let rule = self
            .applications
            .iter()
            .find(|(a, _)| normalise(a) == key)
            .map(|(_, r)| r)
            .ok_or_else(|| ToleranceError::UnknownApplication {
                application: application.to_string(),
                valid: self
                    .applications
                    .iter()
                    .map(|(a, _)| format!("{a:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        match rule {
            GradeRule::Fixed(g) => self.grade(g),
            GradeRule::ByHorsepower {
                threshold_hp,
                below,
                at_or_above,
            } => match horsepower {
                Some(hp) if hp < *threshold_hp => self.grade(below),
                Some(_) => self.grade(at_or_above),
                None => Err(ToleranceError::NeedsHorsepower {
                    application: application.to_string(),
                    below: below.clone(),
                    at_or_above: at_or_above.clone(),
                }),
            },
        }
    }
}

fn normalise(s: &str) -> String {
    s.trim().to_lowercase()
}

fn parse_rule(v: &Value) -> Option<GradeRule> {
    match v {
        Value::String(g) => Some(GradeRule::Fixed(g.clone())),
        Value::Object(o) => {
            let mut below = None;
            let mut at_or_above = None;
            for (k, g) in o {
                let g = g.as_str()?.to_string();
                if let Some(n) = k.strip_prefix("hp_less_than_") {
                    below = Some((n.parse::<f64>().ok()?, g));
                } else if let Some(n) = k.strip_prefix("hp_greater_equal_") {
                    at_or_above = Some((n.parse::<f64>().ok()?, g));
                }
            }
            let ((t1, below), (t2, at_or_above)) = (below?, at_or_above?);
            (t1 == t2).then_some(GradeRule::ByHorsepower {
                threshold_hp: t1,
                below,
                at_or_above,
            })
        }
        _ => None,
    }
}
