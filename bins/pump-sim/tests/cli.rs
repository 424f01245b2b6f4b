//! The `pump-sim` binary: arguments, files, summary line and exit codes.

use std::fs;
use std::process::{Command, Output};

fn pump_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pump-sim"))
        .args(args)
        .env_remove("PUMP_SIM_SEED")
        .output()
        .expect("pump-sim runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn help_names_every_option() {
    let out = pump_sim(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--seed",
        "--pumps",
        "--days",
        "--out",
        "--start",
        "--interval-minutes",
        "--healthy-fraction",
        "--failure-days",
        "--no-faults",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help:\n{help}");
    }
}

#[test]
fn writes_a_fleet_and_one_summary_line() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("fleet");
    let out = pump_sim(&[
        "--seed",
        "7",
        "--pumps",
        "3",
        "--days",
        "2",
        "--out",
        out_dir.to_str().unwrap(),
        "--start",
        "2024-06-01 06:00:00",
        "--interval-minutes",
        "30",
        "--healthy-fraction",
        "0",
        "--failure-days",
        "1..1.5",
        "--no-faults",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let summary = stderr(&out);
    assert_eq!(summary.lines().count(), 1, "{summary}");
    assert!(
        summary.starts_with(
            "pump-sim: 3 pumps (0 healthy, 3 failed in window, 0 degrading but censored), "
        ),
        "{summary}"
    );
    let pump = fs::read_to_string(out_dir.join("operational/pump_01.csv")).unwrap();
    let mut lines = pump.lines().skip(1);
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("2024-06-01 06:00:00,Pump 01,")
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("2024-06-01 06:30:00,Pump 01,")
    );
    let failures = fs::read_to_string(out_dir.join("failures.csv")).unwrap();
    assert_eq!(failures.lines().count(), 4, "{failures}");
    for day in failures.lines().skip(1).map(|l| &l[8..18]) {
        assert!(day == "2024-06-02" || day == "2024-06-03", "{failures}");
    }
    assert!(out_dir.join("baseline.csv").is_file());
    assert!(out_dir.join("ground_truth.json").is_file());
}

#[test]
fn same_arguments_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let path = dir.path().join(name);
        let out = pump_sim(&[
            "--seed",
            "5",
            "--pumps",
            "2",
            "--days",
            "3",
            "--out",
            path.to_str().unwrap(),
            "-q",
        ]);
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}",
            stderr(&out)
        );
        fs::read(path.join("operational/pump_02.csv")).unwrap()
    };
    assert_eq!(run("a"), run("b"));
}

#[test]
fn bad_arguments_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    for (args, needle) in [
        (
            vec![
                "--seed",
                "1",
                "--pumps",
                "2",
                "--days",
                "3",
                "--out",
                out_dir,
                "--healthy-fraction",
                "1.5",
            ],
            "healthy-fraction must be between 0 and 1",
        ),
        (
            vec![
                "--seed", "1", "--pumps", "0", "--days", "3", "--out", out_dir,
            ],
            "pumps must be between 1 and 999",
        ),
        (
            vec!["--pumps", "2", "--days", "3", "--out", out_dir],
            "--seed",
        ),
        (
            vec![
                "--seed",
                "1",
                "--pumps",
                "2",
                "--days",
                "3",
                "--out",
                out_dir,
                "--start",
                "yesterday",
            ],
            "yesterday",
        ),
        (
            vec![
                "--seed",
                "1",
                "--pumps",
                "2",
                "--days",
                "3",
                "--out",
                out_dir,
                "--failure-days",
                "5",
            ],
            "MIN..MAX",
        ),
    ] {
        let out = pump_sim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    assert!(
        fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written"
    );
}

#[test]
fn an_unwritable_folder_exits_1_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("blocker");
    fs::write(&blocker, "").unwrap();
    let out = pump_sim(&[
        "--seed",
        "1",
        "--pumps",
        "1",
        "--days",
        "1",
        "--out",
        blocker.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("blocker"), "{}", stderr(&out));
}
