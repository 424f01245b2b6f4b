//! Diagnosis accuracy on a simulated fleet (SPEC §3.5), through pump-core's real reader,
//! evaluator and rules. The full per-mode table comes from
//! `cargo run --release -p pump-sim --example diagnosis_accuracy`.

use pump_sim::{FleetConfig, score_diagnosis, simulate_fleet};

#[test]
fn diagnosis_names_the_true_mode_on_a_simulated_fleet() {
    let fleet = simulate_fleet(&FleetConfig::new(7, 40, 90)).unwrap();
    let report = score_diagnosis(&fleet);
    eprintln!("{}", report.to_markdown());
    assert_eq!(report.by_mode.len(), 7, "every mode is scored");
    let overall = report.overall_accuracy().unwrap();
    assert!(overall >= 0.80, "overall accuracy {overall:.2}");
    for (mode, score) in &report.by_mode {
        let a = score.accuracy().unwrap();
        // Motor faults on variable-speed pumps look like bearing wear (the drive sets the
        // speed, so a sag cannot be seen); every other mode is right far more often.
        let floor = if mode == "motor_fault" { 0.45 } else { 0.85 };
        assert!(a >= floor, "{mode}: accuracy {a:.2} below {floor}");
    }
    let healthy = report.healthy.accuracy().unwrap();
    assert!(
        healthy >= 0.95,
        "healthy pumps given a failure mode: {healthy:.2}"
    );
}
