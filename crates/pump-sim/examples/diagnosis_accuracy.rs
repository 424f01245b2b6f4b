//! Diagnosis accuracy per failure mode on a simulated fleet.
//!
//! `cargo run --release -p pump-sim --example diagnosis_accuracy -- [SEED] [PUMPS] [DAYS]`
//! (defaults: 7, 40, 90).

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("SEED, PUMPS and DAYS are whole numbers"))
        .collect();
    let seed = args.first().copied().unwrap_or(7);
    let pumps = args.get(1).copied().unwrap_or(40) as usize;
    let days = args.get(2).copied().unwrap_or(90) as u32;
    let config = pump_sim::FleetConfig::new(seed, pumps, days);
    let fleet = pump_sim::simulate_fleet(&config).expect("valid fleet configuration");
    let report = pump_sim::score_diagnosis(&fleet);
    println!("Diagnosis accuracy, simulated fleet seed {seed}, {pumps} pumps, {days} days");
    println!("(non-Normal readings in the last 72 h of each pump's data)\n");
    print!("{}", report.to_markdown());
}
