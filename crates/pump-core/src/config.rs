//! deployment_config.json (SPEC §4): API, site and reporting settings of one pump.
//!
//! Read by walking the JSON by hand rather than by derive, so that an unknown key is a
//! warning naming its path, and a wrong type an error naming its path (`api.retry_attempts:
//! expected a whole number`), as operators editing the file by hand need.

use crate::debounce::ReportingRules;
use crate::parameter::{Parameter, ParameterValues};
use crate::payload::SiteInfo;
use crate::reading::RunningRule;
use crate::status::Status;
use crate::timestamp::parse_utc_offset;
use serde_json::{Map, Value};
use std::fmt;
use time::UtcOffset;

/// The environment variable that, when set, overrides `api.bearer_token`.
pub const TOKEN_ENV: &str = "ANOMALY_API_TOKEN";

/// A bearer token. It has no `Display`, and its `Debug` is redacted, so it cannot reach a
/// log or an error message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it (the Authorization header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// False when empty or still the placeholder of the shipped template.
    pub fn is_configured(&self) -> bool {
        let t = self.0.trim();
        !t.is_empty() && !t.contains("YOUR_") && !t.contains("${")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// `api`: where and how anomalies are delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiSettings {
    /// Base URL, e.g. `https://host/api/v1`; https unless the host is loopback.
    pub base_url: String,
    /// Bearer token (after `${VAR}` substitution and the `ANOMALY_API_TOKEN` override).
    pub bearer_token: Secret,
    /// Attempts per submission, at least 1 (default 3).
    pub retry_attempts: u32,
    /// Base delay of the exponential backoff, seconds (default 5).
    pub retry_delay_seconds: f64,
    /// Overall timeout of one request, seconds (default 30).
    pub timeout_seconds: f64,
}

/// `inference_settings`.
#[derive(Debug, Clone, PartialEq)]
pub struct InferenceSettings {
    /// Evaluated readings needed before the model predicts (default 168).
    pub min_data_points_for_ml: usize,
    /// Whether the results JSON is written (default true).
    pub save_results_locally: bool,
    /// Days of history and results kept (default 30).
    pub results_retention_days: u32,
    /// Offset of timestamps that have none (default UTC).
    pub timezone_offset: UtcOffset,
    /// Explicit running rule; `None` means the SPEC's defaults from the baseline.
    pub running_min_speed_rpm: Option<f64>,
    /// Flow at or below which the pump is off (default 0).
    pub running_min_flow_gpm: f64,
    /// Measurement allowance per parameter, percent (default 0).
    pub measurement_allowance_pct: ParameterValues<f64>,
}

impl InferenceSettings {
    /// The running rule for a pump with this baseline speed.
    pub fn running_rule(&self, baseline_speed_rpm: Option<f64>) -> RunningRule {
        let default = RunningRule::default_for(baseline_speed_rpm);
        RunningRule {
            min_speed_rpm: self.running_min_speed_rpm.unwrap_or(default.min_speed_rpm),
            min_flow_gpm: self.running_min_flow_gpm,
        }
    }
}

/// The whole deployment configuration of one pump.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentConfig {
    /// Delivery settings.
    pub api: ApiSettings,
    /// Site, pump and sensor ids.
    pub site: SiteInfo,
    /// Whether anomalies are sent at all (default true).
    pub reporting_enabled: bool,
    /// Which anomalies are reported and the debounce window.
    pub reporting: ReportingRules,
    /// Most anomalies kept in the spool; the oldest are dropped beyond it (default 10000).
    pub spool_max_files: usize,
    /// Evaluation settings.
    pub inference: InferenceSettings,
}

/// deployment_config.json is unusable (an artifact or configuration error, exit code 4).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// Not JSON.
    #[error("not valid JSON: {0}")]
    Json(String),
    /// A key has the wrong type or value.
    #[error("{key}: {reason}")]
    BadValue {
        /// Path of the key, e.g. `api.retry_attempts`.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A required key is absent.
    #[error("{key}: missing")]
    Missing {
        /// Path of the key.
        key: String,
    },
    /// `${NAME}` names an unset environment variable.
    #[error("{key}: environment variable {name} is not set")]
    UnsetVariable {
        /// Path of the key.
        key: String,
        /// The variable.
        name: String,
    },
}

/// Replaces every `${NAME}` in `text` from `env`.
fn substitute(
    text: &str,
    key: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(ConfigError::BadValue {
                key: key.into(),
                reason: "unclosed ${".into(),
            });
        };
        let name = &after[..end];
        let value = env(name).ok_or_else(|| ConfigError::UnsetVariable {
            key: key.into(),
            name: name.into(),
        })?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Walks one JSON object, recording which keys were used.
struct Section<'a> {
    path: &'a str,
    map: Option<&'a Map<String, Value>>,
    used: Vec<&'static str>,
}

impl<'a> Section<'a> {
    fn new(path: &'a str, value: Option<&'a Value>) -> Result<Section<'a>, ConfigError> {
        let map = match value {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(_) => {
                return Err(ConfigError::BadValue {
                    key: path.into(),
                    reason: "expected an object".into(),
                });
            }
        };
        Ok(Section {
            path,
            map,
            used: Vec::new(),
        })
    }

    fn key(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    fn get(&mut self, name: &'static str) -> Option<&'a Value> {
        self.used.push(name);
        self.map.and_then(|m| m.get(name)).filter(|v| !v.is_null())
    }

    fn bad(&self, name: &str, reason: &str) -> ConfigError {
        ConfigError::BadValue {
            key: self.key(name),
            reason: reason.into(),
        }
    }

    fn string(
        &mut self,
        name: &'static str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => substitute(s, &self.key(name), env).map(Some),
            Some(_) => Err(self.bad(name, "expected a string")),
        }
    }

    fn integer(&mut self, name: &'static str) -> Result<Option<i64>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.bad(name, "expected a whole number")),
        }
    }

    fn count(&mut self, name: &'static str, min: i64) -> Result<Option<i64>, ConfigError> {
        match self.integer(name)? {
            Some(n) if n < min => Err(self.bad(name, &format!("must be at least {min}"))),
            other => Ok(other),
        }
    }

    fn number(&mut self, name: &'static str) -> Result<Option<f64>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .map(Some)
                .ok_or_else(|| self.bad(name, "expected a number, 0 or more")),
        }
    }

    fn boolean(&mut self, name: &'static str) -> Result<Option<bool>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| self.bad(name, "expected true or false")),
        }
    }

    fn unknown_keys(&self, warnings: &mut Vec<String>) {
        if let Some(m) = self.map {
            for k in m.keys() {
                if !self.used.contains(&k.as_str()) {
                    warnings.push(format!("unknown key {} ignored", self.key(k)));
                }
            }
        }
    }
}

fn per_parameter<T>(
    section: &mut Section<'_>,
    read: impl Fn(&Value) -> Option<T>,
    what: &str,
) -> Result<ParameterValues<T>, ConfigError> {
    let mut out = ParameterValues::empty();
    for p in Parameter::ALL {
        let name = p.as_str();
        section.used.push(name);
        if let Some(v) = section
            .map
            .and_then(|m| m.get(name))
            .filter(|v| !v.is_null())
        {
            let value = read(v).ok_or_else(|| section.bad(name, what))?;
            out.set(p, Some(value));
        }
    }
    Ok(out)
}

/// True for `localhost`, `127.x.x.x` and `[::1]`.
fn is_loopback_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host == "[::1]"
        || host.strip_prefix("127.").is_some_and(|rest| {
            rest.split('.').count() == 3 && rest.split('.').all(|o| o.parse::<u8>().is_ok())
        })
}

/// Checks a base URL: https, or http to a loopback host (tests, a local sink).
pub fn check_base_url(url: &str) -> Result<(), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url:?} is not a URL"))?;
    let authority = rest.split('/').next().unwrap_or("");
    let host = if authority.starts_with('[') {
        authority
            .split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or("").to_string()
    };
    if host.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if is_loopback_host(&host) => Ok(()),
        "http" => Err(format!(
            "{url:?} is not https; plain http is only allowed to a loopback host"
        )),
        other => Err(format!("{url:?}: unsupported scheme {other:?}")),
    }
}

impl DeploymentConfig {
    /// Reads deployment_config.json. `env` looks up environment variables (for `${NAME}`
    /// and the `ANOMALY_API_TOKEN` override): pass `|k| std::env::var(k).ok()` in a binary.
    /// Returns the configuration and warnings (unknown keys).
    pub fn from_json(
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(DeploymentConfig, Vec<String>), ConfigError> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| ConfigError::Json(e.to_string()))?;
        let mut warnings = Vec::new();
        let mut top = Section::new("", Some(&root))?;
        if top.map.is_none() {
            return Err(ConfigError::Json("top level is not an object".into()));
        }

        let mut api = Section::new("api", top.get("api"))?;
        if api.map.is_none() {
            return Err(ConfigError::Missing { key: "api".into() });
        }
        let base_url = api
            .string("base_url", env)?
            .ok_or_else(|| ConfigError::Missing {
                key: "api.base_url".into(),
            })?;
        let base_url = base_url.trim_end_matches('/').to_string();
        check_base_url(&base_url).map_err(|reason| api.bad("base_url", &reason))?;
        // The override is looked up first so that an unset ${VAR} in the file does not
        // matter when the environment provides the token directly.
        let token = match env(TOKEN_ENV).filter(|t| !t.is_empty()) {
            Some(t) => {
                api.used.push("bearer_token");
                t
            }
            None => api.string("bearer_token", env)?.unwrap_or_default(),
        };
        let api_settings = ApiSettings {
            base_url,
            bearer_token: Secret::new(token),
            retry_attempts: api.count("retry_attempts", 1)?.unwrap_or(3) as u32,
            retry_delay_seconds: api.number("retry_delay_seconds")?.unwrap_or(5.0),
            timeout_seconds: api.number("timeout_seconds")?.unwrap_or(30.0),
        };
        api.unknown_keys(&mut warnings);

        let mut site = Section::new("site_info", top.get("site_info"))?;
        let site_id = site
            .integer("site_id")?
            .ok_or_else(|| ConfigError::Missing {
                key: "site_info.site_id".into(),
            })?;
        let pump_id = site
            .integer("pump_id")?
            .ok_or_else(|| ConfigError::Missing {
                key: "site_info.pump_id".into(),
            })?;
        let mut sensors = Section::new("site_info.sensor_ids", site.get("sensor_ids"))?;
        let sensor_ids = per_parameter(&mut sensors, Value::as_i64, "expected a whole number")?;
        sensors.unknown_keys(&mut warnings);
        site.unknown_keys(&mut warnings);

        let mut rep = Section::new("anomaly_reporting", top.get("anomaly_reporting"))?;
        let defaults = ReportingRules::default();
        let report_on_status = match rep.get("report_on_status") {
            None => defaults.report_on_status,
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().and_then(|s| s.parse::<Status>().ok()))
                .collect::<Option<Vec<Status>>>()
                .ok_or_else(|| {
                    rep.bad(
                        "report_on_status",
                        "expected a list of Normal, Warning, Critical, Failure",
                    )
                })?,
            Some(_) => return Err(rep.bad("report_on_status", "expected a list of statuses")),
        };
        let reporting = ReportingRules {
            report_on_status,
            debounce_minutes: rep.count("debounce_minutes", 0)?.map_or(60, |m| m as u32),
            include_ml_predictions: rep.boolean("include_ml_predictions")?.unwrap_or(true),
        };
        let reporting_enabled = rep.boolean("enabled")?.unwrap_or(true);
        let spool_max_files = rep
            .count("spool_max_files", 1)?
            .map_or(10_000, |n| n as usize);
        rep.unknown_keys(&mut warnings);

        let mut inf = Section::new("inference_settings", top.get("inference_settings"))?;
        let timezone_offset = match inf.string("timezone_offset", env)? {
            None => UtcOffset::UTC,
            Some(s) => parse_utc_offset(&s)
                .ok_or_else(|| inf.bad("timezone_offset", "expected an offset like \"-05:00\""))?,
        };
        let mut running = Section::new("inference_settings.running", inf.get("running"))?;
        let running_min_speed_rpm = running.number("min_speed_rpm")?;
        let running_min_flow_gpm = running.number("min_flow_gpm")?.unwrap_or(0.0);
        running.unknown_keys(&mut warnings);
        let mut allowance = Section::new(
            "inference_settings.measurement_allowance_pct",
            inf.get("measurement_allowance_pct"),
        )?;
        let measurement_allowance_pct = per_parameter(
            &mut allowance,
            |v| v.as_f64().filter(|x| x.is_finite() && *x >= 0.0),
            "expected a percentage, 0 or more",
        )?;
        allowance.unknown_keys(&mut warnings);
        let inference = InferenceSettings {
            min_data_points_for_ml: inf
                .count("min_data_points_for_ml", 1)?
                .map_or(168, |n| n as usize),
            save_results_locally: inf.boolean("save_results_locally")?.unwrap_or(true),
            results_retention_days: inf
                .count("results_retention_days", 1)?
                .map_or(30, |n| n as u32),
            timezone_offset,
            running_min_speed_rpm,
            running_min_flow_gpm,
            measurement_allowance_pct,
        };
        inf.unknown_keys(&mut warnings);
        top.unknown_keys(&mut warnings);

        Ok((
            DeploymentConfig {
                api: api_settings,
                site: SiteInfo {
                    site_id,
                    pump_id,
                    sensor_ids,
                },
                reporting_enabled,
                reporting,
                spool_max_files,
                inference,
            },
            warnings,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_EXAMPLE: &str = r#"{
      "api": {"base_url": "https://sp-api-sink.azurewebsites.net/api/v1",
              "bearer_token": "${ANOMALY_API_TOKEN}", "retry_attempts": 3, "retry_delay_seconds": 5},
      "site_info": {"site_id": 35482, "pump_id": 1,
                    "sensor_ids": {"flow": 101, "head": 102, "power": 103, "efficiency": 104}},
      "anomaly_reporting": {"enabled": true, "report_on_status": ["Warning", "Critical", "Failure"],
                            "debounce_minutes": 60, "include_ml_predictions": true},
      "inference_settings": {"min_data_points_for_ml": 168, "save_results_locally": true,
                             "results_retention_days": 30}
    }"#;

    fn env_with(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn spec_example_with_token_from_the_environment() {
        let env = env_with(&[("ANOMALY_API_TOKEN", "s3cret")]);
        let (c, warnings) = DeploymentConfig::from_json(SPEC_EXAMPLE, &env).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(c.api.bearer_token.expose(), "s3cret");
        assert_eq!(c.api.retry_attempts, 3);
        assert_eq!(c.api.timeout_seconds, 30.0);
        assert_eq!(c.site.sensor_ids.value(Parameter::Head), Some(102));
        assert_eq!(c.reporting, ReportingRules::default());
        assert_eq!(c.spool_max_files, 10_000);
        assert_eq!(c.inference.min_data_points_for_ml, 168);
        assert_eq!(c.inference.timezone_offset, UtcOffset::UTC);
        assert!(
            !format!("{c:?}").contains("s3cret"),
            "Debug redacts the token"
        );
    }

    #[test]
    fn unset_variable_is_an_error_naming_it() {
        let env = env_with(&[]);
        let e = DeploymentConfig::from_json(SPEC_EXAMPLE, &env).unwrap_err();
        assert_eq!(
            e.to_string(),
            "api.bearer_token: environment variable ANOMALY_API_TOKEN is not set"
        );
        let text = SPEC_EXAMPLE.replace("${ANOMALY_API_TOKEN}", "tok-${SITE}-x");
        let env = env_with(&[("SITE", "42")]);
        let (c, _) = DeploymentConfig::from_json(&text, &env).unwrap();
        assert_eq!(c.api.bearer_token.expose(), "tok-42-x");
    }

    #[test]
    fn wrong_types_name_the_key_and_unknown_keys_warn() {
        let env = env_with(&[("ANOMALY_API_TOKEN", "t")]);
        let text = SPEC_EXAMPLE.replace("\"retry_attempts\": 3", "\"retry_attempts\": \"three\"");
        let e = DeploymentConfig::from_json(&text, &env).unwrap_err();
        assert_eq!(e.to_string(), "api.retry_attempts: expected a whole number");
        let text = SPEC_EXAMPLE.replace(
            "\"debounce_minutes\": 60",
            "\"debounce_minutes\": 60, \"colour\": 1",
        );
        let (_, warnings) = DeploymentConfig::from_json(&text, &env).unwrap();
        assert_eq!(
            warnings,
            vec!["unknown key anomaly_reporting.colour ignored"]
        );
        let text = SPEC_EXAMPLE.replace("\"Critical\"", "\"Bad\"");
        let e = DeploymentConfig::from_json(&text, &env).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("anomaly_reporting.report_on_status"),
            "{e}"
        );
    }

    #[test]
    fn optional_settings() {
        let env = env_with(&[("ANOMALY_API_TOKEN", "t")]);
        let text = SPEC_EXAMPLE.replace(
            "\"results_retention_days\": 30",
            "\"results_retention_days\": 30, \"timezone_offset\": \"-05:00\",
             \"running\": {\"min_speed_rpm\": 300, \"min_flow_gpm\": 5},
             \"measurement_allowance_pct\": {\"efficiency\": 3}",
        );
        let (c, w) = DeploymentConfig::from_json(&text, &env).unwrap();
        assert!(w.is_empty());
        assert_eq!(
            c.inference.timezone_offset,
            UtcOffset::from_hms(-5, 0, 0).unwrap()
        );
        let rule = c.inference.running_rule(Some(1800.0));
        assert_eq!((rule.min_speed_rpm, rule.min_flow_gpm), (300.0, 5.0));
        assert_eq!(
            c.inference
                .measurement_allowance_pct
                .value(Parameter::Efficiency),
            Some(3.0)
        );
        assert_eq!(
            c.inference.measurement_allowance_pct.value(Parameter::Flow),
            None
        );
    }

    #[test]
    fn base_url_must_be_https_unless_loopback() {
        assert!(check_base_url("https://api.example.com/api/v1").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080/api/v1").is_ok());
        assert!(check_base_url("http://localhost/api/v1").is_ok());
        assert!(check_base_url("http://[::1]:9000/api/v1").is_ok());
        assert!(check_base_url("http://api.example.com/api/v1").is_err());
        assert!(check_base_url("http://127.0.0.1.evil.com/").is_err());
        assert!(check_base_url("ftp://localhost/").is_err());
        let env = env_with(&[("ANOMALY_API_TOKEN", "t")]);
        let text = SPEC_EXAMPLE.replace("https://sp-api", "http://sp-api");
        let e = DeploymentConfig::from_json(&text, &env).unwrap_err();
        assert!(e.to_string().starts_with("api.base_url: "), "{e}");
    }

    #[test]
    fn placeholder_tokens_count_as_not_configured() {
        assert!(!Secret::new("YOUR_EDGE_AI_API_TOKEN_HERE").is_configured());
        assert!(!Secret::new("").is_configured());
        assert!(Secret::new("abc").is_configured());
    }
}
