//! The packager as a real process on the simulated fleet in testdata/fleet-small:
//! train, package, verify, inspect; determinism; errors and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fleet() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fleet-small")
}

fn packager(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_packager"))
        .args(args)
        .output()
        .expect("packager runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn operational() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(fleet().join("operational"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    files.sort();
    files
}

fn package_args<'a>(baseline: &'a str, output: &'a str) -> Vec<&'a str> {
    vec![
        "--pump",
        "Pump 01",
        "--baseline",
        baseline,
        "--output",
        output,
        "--version",
        "1.0.0",
    ]
}

#[test]
fn tolerance_only_artifact_verifies_and_inspects() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = fleet().join("baseline.csv").display().to_string();
    let zip = dir.path().join("pump01_v1.0.0.zip").display().to_string();
    let out = packager(&package_args(&baseline, &zip));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("tolerance-only artifact"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).starts_with(&format!("wrote {zip}")));

    let verify = packager(&["verify", &zip]);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    let v = text(&verify.stdout);
    assert!(
        v.contains("verified") && v.contains("model:          no (tolerance-only)"),
        "{v}"
    );
    assert!(
        v.contains("config/baseline.json") && v.contains("README.md"),
        "{v}"
    );

    let inspect = packager(&["inspect", &zip]);
    assert!(inspect.status.success(), "{}", text(&inspect.stderr));
    let i = text(&inspect.stdout);
    // Pump 01 is an Energy Conservation pump: grade 1E.
    assert!(
        i.contains("grade 1E") && i.contains("model: none (tolerance-only)"),
        "{i}"
    );
    let json = packager(&["inspect", "--format", "json", &zip]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["grade"]["name"], "1E");
    assert_eq!(v["baseline"]["well_id"], "Pump 01");
    assert_eq!(v["baseline"]["tolerance_category"], "1E");
}

#[test]
fn train_package_verify_inspect_end_to_end_and_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = fleet().join("baseline.csv").display().to_string();
    let failures = fleet().join("failures.csv").display().to_string();
    let ops = operational();
    let build = |name: &str| {
        let zip = dir.path().join(name).display().to_string();
        let mut args = package_args(&baseline, &zip);
        args.push("--operational");
        args.extend(ops.iter().map(String::as_str));
        args.extend(["--failures", &failures]);
        let out = packager(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        std::fs::read(&zip).unwrap()
    };
    let a = build("a.zip");
    let b = build("b.zip");
    assert_eq!(a, b, "the same inputs give the same bytes, model included");

    let zip = dir.path().join("a.zip").display().to_string();
    let verify = packager(&["verify", &zip]);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    assert!(text(&verify.stdout).contains("model:          yes"));
    let inspect = packager(&["inspect", &zip]);
    let i = text(&inspect.stdout);
    assert!(i.contains("model: 70 features, RUL cap 30 days"), "{i}");
    assert!(i.contains("cross-fitted RUL (capped): MAE"), "{i}");

    // The same model trained separately and packaged with --model gives the same artifact.
    let model_dir = dir.path().join("model").display().to_string();
    let mut args = vec![
        "train",
        "--baseline",
        &baseline,
        "--failures",
        &failures,
        "--out",
        &model_dir,
        "--operational",
    ];
    args.extend(ops.iter().map(String::as_str));
    let out = packager(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let c = dir.path().join("c.zip").display().to_string();
    let mut args = package_args(&baseline, &c);
    args.extend(["--model", &model_dir]);
    let out = packager(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&c).unwrap(), a);
}

#[test]
fn a_changed_byte_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = fleet().join("baseline.csv").display().to_string();
    let folder = dir.path().join("artifact");
    let zip = dir.path().join("a.zip").display().to_string();
    assert!(packager(&package_args(&baseline, &zip)).status.success());
    pump_artifact::extract(Path::new(&zip), &folder).unwrap();
    let readme = folder.join("README.md");
    let mut bytes = std::fs::read(&readme).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&readme, bytes).unwrap();
    let out = packager(&["verify", &folder.display().to_string()]);
    assert_eq!(out.status.code(), Some(4));
    let e = text(&out.stderr);
    assert!(e.contains("README.md") && e.contains("sha256"), "{e}");
}

#[test]
fn embedded_binary_lands_under_bin() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = fleet().join("baseline.csv").display().to_string();
    let zip = dir.path().join("a.zip").display().to_string();
    let exe = env!("CARGO_BIN_EXE_packager");
    let mut args = package_args(&baseline, &zip);
    args.extend(["--binary", exe]);
    let out = packager(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let artifact = pump_artifact::Artifact::open(&zip).unwrap();
    assert_eq!(
        artifact.file("bin/edge-infer").unwrap(),
        std::fs::read(exe).unwrap()
    );
    let readme = String::from_utf8(artifact.file("README.md").unwrap().to_vec()).unwrap();
    assert!(
        readme.contains("bin/edge-infer") && readme.contains("OnCalendar=hourly"),
        "{readme}"
    );
}

#[test]
fn errors_are_one_line_naming_the_input_with_their_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("a.zip").display().to_string();
    let baseline = fleet().join("baseline.csv").display().to_string();

    // Unknown pump: configuration error, listing the pumps there are.
    let mut args = package_args(&baseline, &zip);
    args[1] = "Pump 99";
    let out = packager(&args);
    assert_eq!(out.status.code(), Some(4));
    let e = text(&out.stderr);
    assert!(
        e.contains("no pump \"Pump 99\"") && e.contains("Pump 01, Pump 02"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");

    // Unknown application: configuration error naming the valid ones, unless a grade is given.
    let odd = dir.path().join("odd.csv");
    std::fs::write(
        &odd,
        "Well ID,horsepower,application,baseline_flow_gpm,baseline_discharge_pressure_psi,baseline_power_hp,baseline_efficiency_percent\nPump 01,50,Fountains,400,100,40,80\n",
    )
    .unwrap();
    let odd = odd.display().to_string();
    let out = packager(&package_args(&odd, &zip));
    assert_eq!(out.status.code(), Some(4));
    let e = text(&out.stderr);
    assert!(
        e.contains("Fountains")
            && e.contains("Cooling Tower")
            && e.contains("--tolerance-category"),
        "{e}"
    );
    let mut args = package_args(&odd, &zip);
    args.extend(["--tolerance-category", "2B"]);
    assert!(packager(&args).status.success());

    // A malformed baseline: input error naming the file, line and column.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "Well ID,baseline_flow_gpm\nPump 01,lots\n").unwrap();
    let bad = bad.display().to_string();
    let out = packager(&package_args(&bad, &zip));
    assert_eq!(out.status.code(), Some(3));
    let e = text(&out.stderr);
    assert!(
        e.contains(&bad) && e.contains("line 2") && e.contains("baseline_flow_gpm"),
        "{e}"
    );

    // A missing operational file: input error naming it.
    let mut args = package_args(&baseline, &zip);
    let failures = fleet().join("failures.csv").display().to_string();
    args.extend([
        "--operational",
        "/nonexistent/ops.csv",
        "--failures",
        &failures,
    ]);
    let out = packager(&args);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("/nonexistent/ops.csv"));

    // Usage errors are 2 (clap).
    assert_eq!(packager(&["--pump", "x"]).status.code(), Some(2));
    assert!(!Path::new(&zip).exists() || std::fs::metadata(&zip).unwrap().len() > 0);
}
