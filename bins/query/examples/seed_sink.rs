//! Seeds an anomaly-sink database with the anomalies a simulated fleet reports, for demos
//! and the benchmark in docs/QUERY.md.
//!
//! ```text
//! cargo run --release -p query --example seed_sink -- --db /tmp/q/sink.db --pumps 20 --days 30
//! ```
//!
//! Simulates `--pumps` pumps over `--days` days with pump-sim (seed `--seed`, default 42),
//! evaluates every reading with pump-core's rules and debounce exactly as the edge program
//! does, builds the payloads, and stores them in one transaction (at most `--limit`, the
//! earliest first, when given). Prints how many were stored. Start the sink on the database
//! afterwards: `anomaly-sink --db /tmp/q/sink.db --tokens tokens.txt`.

#[path = "../tests/common/fleet.rs"]
mod fleet;

use anomaly_sink::{NewAnomaly, Store};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut db: Option<PathBuf> = None;
    let (mut pumps, mut days, mut seed, mut limit) = (20usize, 30u32, 42u64, None::<usize>);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => db = Some(PathBuf::from(value()?)),
            "--pumps" => pumps = value()?.parse()?,
            "--days" => days = value()?.parse()?,
            "--seed" => seed = value()?.parse()?,
            "--limit" => limit = Some(value()?.parse()?),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let db = db.ok_or("--db PATH is required")?;
    let mut anomalies = fleet::fleet_anomalies(seed, pumps, days);
    let simulated = anomalies.len();
    anomalies.sort_by_key(|a| a.timestamp);
    if let Some(limit) = limit {
        anomalies.truncate(limit);
    }
    let rows = anomalies
        .iter()
        .map(|a| {
            let new = NewAnomaly::from_value(serde_json::to_value(a)?)?;
            Ok((new, a.event_id().to_string()))
        })
        .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
    let mut store = Store::open(&db)?;
    let created = store.insert_batch(rows.iter().map(|(a, k)| (a, Some(k.as_str()))))?;
    println!(
        "stored {created} new anomalies (of {simulated} simulated) from {pumps} pumps over {days} days in {}",
        db.display()
    );
    Ok(())
}
