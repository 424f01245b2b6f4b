//! The deployment config loader (SPEC §4) on arbitrary text, every `${NAME}` set to "x".
#![no_main]

use libfuzzer_sys::fuzz_target;
use pump_core::DeploymentConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((config, _warnings)) = DeploymentConfig::from_json(text, &|_| Some("x".into())) {
        // A loaded config is usable: a base URL that passes the check, finite settings.
        assert!(pump_core::check_base_url(&config.api.base_url).is_ok());
        assert!(config.api.retry_attempts >= 1);
        assert!(config.api.retry_delay_seconds.is_finite());
        assert!(config.api.timeout_seconds.is_finite());
        let _ = format!("{config:?}");
    }
});
