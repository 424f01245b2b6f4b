//! The README.md inside an artifact: how an operator deploys this pump's artifact.

use pump_core::{Baseline, DeploymentConfig, Grade, Parameter};
use pump_model::ModelMetadata;
use std::fmt::Write;

fn bound(x: Option<f64>) -> String {
    x.map_or("not checked".into(), |v| format!("{v:+}%"))
}

/// The deployment instructions for one artifact. A function of its inputs only (no clock),
/// so that the artifact stays byte-identical for identical inputs.
pub fn deployment_readme(
    baseline: &Baseline,
    grade: &Grade,
    version: &str,
    deployment: &DeploymentConfig,
    model: Option<&ModelMetadata>,
    has_binary: bool,
) -> String {
    let pump = &baseline.pump_id;
    let slug: String = pump
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let dir = format!("/opt/pump-edge/{slug}");
    let mut s = String::new();
    let _ = writeln!(s, "# Pump artifact: {pump}, version {version}\n");
    let _ = writeln!(
        s,
        "This artifact holds everything the edge program needs to watch **{pump}**: its baseline, \
         its tolerance grade, the CSV column mapping, the deployment settings{}.\n",
        if model.is_some() {
            " and a trained failure-prediction model"
        } else {
            " (no model: tolerance-only, no ML prediction)"
        }
    );
    let _ = writeln!(s, "## What it checks\n");
    let _ = writeln!(
        s,
        "Tolerance grade **{}** (ISO 9906:2012 as applied by the original system):\n",
        grade.name
    );
    let _ = writeln!(
        s,
        "| parameter | baseline | lowest deviation | highest deviation | mandatory |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|");
    for p in Parameter::ALL {
        if let Some(limit) = grade.limit(p) {
            let base = baseline
                .values
                .value(p)
                .map_or("—".to_string(), |v| v.to_string());
            let _ = writeln!(
                s,
                "| {p} | {base} | {} | {} | {} |",
                bound(limit.min),
                bound(limit.max),
                if limit.mandatory { "yes" } else { "no" }
            );
        }
    }
    if let Some(m) = model {
        let _ = writeln!(
            s,
            "\nModel: {} ({}), RUL capped at {} days; predictions need {} evaluated readings.",
            m.model_name, m.framework, m.rul_cap_days, m.min_data_points_for_ml
        );
        if let Some(h) = &m.held_out {
            if let Some(e) = &h.rul_capped {
                let _ = writeln!(
                    s,
                    "Cross-fitted RUL error (pumps predicted by trees that never saw them): MAE {:.1} days, RMSE {:.1} days.",
                    e.mae, e.rmse
                );
            }
            if let Some(p) = &h.probability {
                let _ = writeln!(
                    s,
                    "Cross-fitted 7-day failure probability: Brier {:.3}.",
                    p.brier
                );
            }
        }
    }
    let binary = if has_binary {
        format!("The edge binary is included: `{dir}/bin/edge-infer`.")
    } else {
        "Install `edge-infer` for this box's CPU (see the project's docs/operations.md) at \
         `/usr/local/bin/edge-infer`."
            .to_string()
    };
    let exe = if has_binary {
        format!("{dir}/bin/edge-infer")
    } else {
        "/usr/local/bin/edge-infer".into()
    };
    let _ = writeln!(s, "\n## Deploy\n");
    let _ = writeln!(
        s,
        "1. Unzip into its own folder and check it:\n\n   ```sh\n   sudo mkdir -p {dir}\n   sudo unzip {slug}_v{version}.zip -d {dir}\n   {exe} --help\n   ```\n\n   {binary}\n"
    );
    let _ = writeln!(
        s,
        "2. Set the API token. It is read from the environment variable `ANOMALY_API_TOKEN` \
         (it overrides `api.bearer_token` in `config/deployment_config.json`). Keep it in a \
         file only root can read:\n\n   ```sh\n   echo 'ANOMALY_API_TOKEN=<your token>' | sudo tee /etc/pump-edge/{slug}.env\n   sudo chmod 600 /etc/pump-edge/{slug}.env\n   ```\n\n   Anomalies go to `{}` (site {}, pump {}).\n",
        deployment.api.base_url, deployment.site.site_id, deployment.site.pump_id
    );
    let _ = writeln!(
        s,
        "3. Run it every hour on the latest sensor export (here `/var/lib/scada/{slug}.csv`), \
         either with cron:\n\n   ```cron\n   5 * * * * . /etc/pump-edge/{slug}.env; export ANOMALY_API_TOKEN; {exe} --artifact {dir} /var/lib/scada/{slug}.csv {dir}/results/latest.json 2>> /var/log/pump-edge-{slug}.log\n   ```\n"
    );
    let _ = writeln!(
        s,
        "   or with a systemd service and timer:\n\n   ```ini\n   # /etc/systemd/system/pump-edge-{slug}.service\n   [Unit]\n   Description=Pump anomaly detection for {pump}\n   After=network-online.target\n\n   [Service]\n   Type=oneshot\n   EnvironmentFile=/etc/pump-edge/{slug}.env\n   ExecStart={exe} --artifact {dir} /var/lib/scada/{slug}.csv {dir}/results/latest.json\n\n   # /etc/systemd/system/pump-edge-{slug}.timer\n   [Unit]\n   Description=Hourly pump anomaly detection for {pump}\n\n   [Timer]\n   OnCalendar=hourly\n   Persistent=true\n\n   [Install]\n   WantedBy=timers.target\n   ```\n\n   ```sh\n   sudo mkdir -p {dir}/results\n   sudo systemctl daemon-reload\n   sudo systemctl enable --now pump-edge-{slug}.timer\n   ```\n"
    );
    let _ = writeln!(s, "## Where things go\n");
    let _ = writeln!(
        s,
        "- Results of each run: the output file you name (above: `{dir}/results/latest.json`), \
         written atomically.\n- State kept between runs (history, debounce timers): \
         `{dir}/edge_state.json` (the artifact folder unless `--state-dir` says otherwise).\n- \
         Anomalies not yet delivered: `{dir}/unsent_anomalies/`, re-sent oldest first at each \
         run; ones the server refused for good: `{dir}/unsent_anomalies/rejected/`, with the \
         server's answer beside each.\n- Logs: standard error (the cron line above appends \
         them to `/var/log/pump-edge-{slug}.log`; under systemd, `journalctl -u pump-edge-{slug}`).\n"
    );
    let _ = writeln!(
        s,
        "Exit codes: 0 done (whatever the pump's status), 2 usage, 3 input data error, 4 artifact \
         or configuration error, 1 anything else.\n\nTo upgrade, unzip the new version into the \
         same folder's parent as a new folder and pass `--state-dir {dir}` so history, debounce \
         state and the spool carry over."
    );
    s
}
