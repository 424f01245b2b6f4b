//! testdata/fleet-small is what `testdata/regenerate.sh` makes: regenerating it must give
//! the same bytes, so the fixtures cannot drift from the simulator silently.

use pump_sim::{FleetConfig, simulate_fleet};
use std::fs;
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fleet-small")
}

/// Every file under `root`, relative to it, sorted.
fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    files.sort();
    files
}

#[test]
fn fleet_small_fixture_is_exactly_what_the_simulator_makes() {
    // The arguments of testdata/regenerate.sh: --seed 42 --pumps 8 --days 30, defaults
    // for the rest (hourly from 2024-01-01T00:00:00Z, 30 % healthy, typical faults).
    let fleet = simulate_fleet(&FleetConfig::new(42, 8, 30)).unwrap();
    let fresh = tempfile::tempdir().unwrap();
    fleet.write_to(fresh.path()).unwrap();

    let fixture = fixture_dir();
    let expected = files_under(fresh.path());
    assert_eq!(expected.len(), 3 + 8, "{expected:?}");
    assert_eq!(
        files_under(&fixture),
        expected,
        "file list of {}",
        fixture.display()
    );
    for rel in &expected {
        let want = fs::read(fresh.path().join(rel)).unwrap();
        let have = fs::read(fixture.join(rel)).unwrap();
        assert!(
            want == have,
            "{} differs from a fresh simulation: run testdata/regenerate.sh if the change is intended",
            rel.display()
        );
    }
    let total: usize = expected
        .iter()
        .map(|rel| fs::metadata(fixture.join(rel)).unwrap().len() as usize)
        .sum();
    assert!(total < 2_000_000, "fixture is {total} bytes");
}
