//! Calibration fitted on out-of-fold predictions: isotonic regression for the failure
//! probability, and residual quantiles and mean errors for the RUL interval and confidence.

use serde::{Deserialize, Serialize};

/// A non-decreasing map from raw score to probability (pool-adjacent-violators), linear
/// between the centres of its blocks and flat beyond the ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Isotonic {
    /// Block centres (mean raw score), ascending.
    x: Vec<f64>,
    /// Block probabilities, non-decreasing, in [0, 1].
    y: Vec<f64>,
}

impl Isotonic {
    /// Fits on `(score, outcome)` pairs; outcome 1 for a failure within the horizon.
    pub(crate) fn fit(pairs: &[(f64, bool)]) -> Isotonic {
        let mut sorted: Vec<(f64, f64)> = pairs
            .iter()
            .filter(|(s, _)| s.is_finite())
            .map(|&(s, o)| (s, if o { 1.0 } else { 0.0 }))
            .collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Blocks of (sum score, sum outcome, count).
        let mut blocks: Vec<(f64, f64, f64)> = Vec::new();
        for (s, o) in sorted {
            blocks.push((s, o, 1.0));
            while blocks.len() >= 2 {
                let (s2, o2, n2) = blocks[blocks.len() - 1];
                let (s1, o1, n1) = blocks[blocks.len() - 2];
                if o1 / n1 < o2 / n2 {
                    break;
                }
                blocks.pop();
                let last = blocks.len() - 1;
                blocks[last] = (s1 + s2, o1 + o2, n1 + n2);
            }
        }
        if blocks.is_empty() {
            return Isotonic {
                x: vec![0.0],
                y: vec![0.0],
            };
        }
        Isotonic {
            x: blocks.iter().map(|b| b.0 / b.2).collect(),
            y: blocks.iter().map(|b| b.1 / b.2).collect(),
        }
    }

    pub(crate) fn apply(&self, score: f64) -> f64 {
        let i = self.x.partition_point(|&x| x < score);
        let p = if i == 0 {
            self.y[0]
        } else if i >= self.x.len() {
            self.y[self.y.len() - 1]
        } else {
            let (x0, x1, y0, y1) = (self.x[i - 1], self.x[i], self.y[i - 1], self.y[i]);
            if x1 > x0 {
                y0 + (y1 - y0) * (score - x0) / (x1 - x0)
            } else {
                y1
            }
        };
        p.clamp(0.0, 1.0)
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        let ok = !self.x.is_empty()
            && self.x.len() == self.y.len()
            && self.x.iter().all(|v| v.is_finite())
            && self.y.iter().all(|v| (0.0..=1.0).contains(v))
            && self.x.windows(2).all(|w| w[0] <= w[1])
            && self.y.windows(2).all(|w| w[0] <= w[1]);
        ok.then_some(())
            .ok_or_else(|| "probability calibration is not a non-decreasing map".into())
    }
}

/// What out-of-fold errors say about predictions in one region.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct ErrorCell {
    /// Median of `true − predicted`, days: added to the trees' mean, it makes the point
    /// prediction the median of the outcomes, which is what minimises the absolute error.
    pub median: f64,
    /// 10 % quantile of `true − predicted`, days.
    pub low: f64,
    /// 90 % quantile of `true − predicted`, days.
    pub high: f64,
    /// Mean absolute error of the median-corrected prediction, days.
    pub mae: f64,
    /// Share of median-corrected predictions within the confidence tolerance of the truth.
    pub within: f64,
    /// At least 10 % of the cell's true RULs sit at the cap ("not within the horizon"): the
    /// interval then reaches the cap, since a residual cannot say how far beyond it they lie.
    pub reaches_cap: bool,
}

/// Out-of-fold RUL errors by predicted RUL (bins) and, within each, by the spread of the
/// trees (bins): the 80 % interval and the expected error of a prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ErrorTable {
    /// Inner edges of the predicted-RUL bins, ascending.
    rul_edges: Vec<f64>,
    /// Per RUL bin: inner edges of its spread bins and its cells (one more than edges).
    groups: Vec<(Vec<f64>, Vec<ErrorCell>)>,
}

/// Central share of residuals the interval holds.
pub(crate) const INTERVAL_LOW_QUANTILE: f64 = 0.10;
/// Upper quantile of the interval.
pub(crate) const INTERVAL_HIGH_QUANTILE: f64 = 0.90;

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let i = pos.floor() as usize;
    let j = (i + 1).min(sorted.len() - 1);
    sorted[i] + (sorted[j] - sorted[i]) * (pos - i as f64)
}

/// Inner edges splitting `values` into `bins` groups of about equal size, without repeats.
fn edges(values: &mut [f64], bins: usize) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    let mut out: Vec<f64> = (1..bins)
        .map(|b| quantile(values, b as f64 / bins as f64))
        .collect();
    out.dedup();
    out
}

/// The errors of one cell.
///
/// A true RUL at the cap means "at least the cap", so its residual is unknown but larger
/// than any other: quantiles are taken with those residuals at the top. When at least 10 %
/// of the truths sit at the cap, the upper end of an 80 % interval is the cap itself, and the
/// interval is `[20 % quantile, cap]` so that it still holds 80 %, not 90 %.
fn cell(points: &[(f64, f64, f64)], cap: f64, tolerance: f64) -> ErrorCell {
    let n = points.len().max(1) as f64;
    let mut finite: Vec<f64> = points
        .iter()
        .filter(|p| p.2 < cap)
        .map(|&(p, _, t)| t - p)
        .collect();
    finite.sort_by(f64::total_cmp);
    let at_cap = (n - finite.len() as f64) / n;
    // Quantile `q` of all residuals, the cap's at +∞; `None` when it falls among those.
    let level = |q: f64| {
        let scaled = q * n / finite.len().max(1) as f64;
        (scaled <= 1.0 && !finite.is_empty()).then(|| quantile(&finite, scaled))
    };
    let reaches_cap = at_cap >= 1.0 - INTERVAL_HIGH_QUANTILE;
    let (low, high) = if reaches_cap {
        let low = level(INTERVAL_LOW_QUANTILE + 1.0 - INTERVAL_HIGH_QUANTILE);
        (low.unwrap_or(cap), cap)
    } else {
        let low = level(INTERVAL_LOW_QUANTILE).unwrap_or(0.0);
        (low, level(INTERVAL_HIGH_QUANTILE).unwrap_or(cap))
    };
    // A median among the capped truths: a residual of a whole cap puts the prediction there.
    let median = level(0.5).unwrap_or(cap);
    let errors: Vec<f64> = points
        .iter()
        .map(|&(p, _, t)| ((p + median).clamp(0.0, cap) - t).abs())
        .collect();
    ErrorCell {
        median,
        low,
        high,
        mae: errors.iter().sum::<f64>() / n,
        within: errors.iter().filter(|&&e| e <= tolerance).count() as f64 / n,
        reaches_cap,
    }
}

fn bin(edges: &[f64], v: f64) -> usize {
    edges.partition_point(|&e| e < v)
}

impl ErrorTable {
    /// Fits on `(predicted, spread, true)` RUL triples (true RULs capped at `cap`); each
    /// cell keeps at least `min_cell` triples (bins are merged away when there are too few).
    pub(crate) fn fit(
        triples: &[(f64, f64, f64)],
        cap: f64,
        rul_bins: usize,
        spread_bins: usize,
        min_cell: usize,
        tolerance: f64,
    ) -> ErrorTable {
        let rul_bins = rul_bins.min(triples.len() / min_cell.max(1)).max(1);
        let mut preds: Vec<f64> = triples.iter().map(|t| t.0).collect();
        let rul_edges = edges(&mut preds, rul_bins);
        let mut groups = Vec::new();
        for g in 0..=rul_edges.len() {
            let members: Vec<(f64, f64, f64)> = triples
                .iter()
                .copied()
                .filter(|t| bin(&rul_edges, t.0) == g)
                .collect();
            let k = spread_bins.min(members.len() / min_cell.max(1)).max(1);
            let mut spreads: Vec<f64> = members.iter().map(|t| t.1).collect();
            let spread_edges = edges(&mut spreads, k);
            let cells = (0..=spread_edges.len())
                .map(|s| {
                    let inside: Vec<(f64, f64, f64)> = members
                        .iter()
                        .copied()
                        .filter(|t| bin(&spread_edges, t.1) == s)
                        .collect();
                    cell(&inside, cap, tolerance)
                })
                .collect();
            groups.push((spread_edges, cells));
        }
        ErrorTable { rul_edges, groups }
    }

    pub(crate) fn lookup(&self, predicted: f64, spread: f64) -> ErrorCell {
        let (spread_edges, cells) = &self.groups[bin(&self.rul_edges, predicted)];
        cells[bin(spread_edges, spread)]
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        let finite =
            |v: &[f64]| v.iter().all(|x| x.is_finite()) && v.windows(2).all(|w| w[0] <= w[1]);
        let ok = finite(&self.rul_edges)
            && self.groups.len() == self.rul_edges.len() + 1
            && self.groups.iter().all(|(e, c)| {
                finite(e)
                    && c.len() == e.len() + 1
                    && c.iter().all(|c| {
                        c.median.is_finite()
                            && c.low.is_finite()
                            && c.high.is_finite()
                            && c.mae.is_finite()
                            && c.mae >= 0.0
                            && (0.0..=1.0).contains(&c.within)
                    })
            });
        ok.then_some(())
            .ok_or_else(|| "the RUL error table is malformed".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_pools_violators_and_interpolates() {
        let pairs = [
            (0.1, false),
            (0.2, true),
            (0.3, false),
            (0.6, true),
            (0.8, true),
        ];
        let iso = Isotonic::fit(&pairs);
        // 0.2 and 0.3 pool into one block at 0.25 with probability 0.5.
        assert_eq!(iso.x, vec![0.1, 0.25, 0.7]);
        assert_eq!(iso.y, vec![0.0, 0.5, 1.0]);
        assert_eq!(iso.apply(0.0), 0.0);
        assert!((iso.apply(0.475) - 0.75).abs() < 1e-12);
        assert_eq!(iso.apply(5.0), 1.0);
        iso.validate().unwrap();
    }

    #[test]
    fn the_error_table_holds_80_percent_of_residuals_per_cell() {
        // Predictions 0..100; errors grow with the spread.
        let triples: Vec<(f64, f64, f64)> = (0..1000)
            .map(|i| {
                let pred = (i % 100) as f64;
                let spread = (i % 7) as f64;
                // −10..=10, spread evenly and unrelated to the bins.
                let residual = ((i * 7919) % 1009) as f64 / 1008.0 * 20.0 - 10.0;
                (pred, spread, pred + residual * (1.0 + spread))
            })
            .collect();
        let table = ErrorTable::fit(&triples, 1000.0, 4, 3, 30, 5.0);
        table.validate().unwrap();
        let inside = triples
            .iter()
            .filter(|&&(p, s, t)| {
                let c = table.lookup(p, s);
                t >= p + c.low && t <= p + c.high
            })
            .count();
        assert!((780..=840).contains(&inside), "{inside}");
        let (calm, noisy) = (table.lookup(50.0, 0.0), table.lookup(50.0, 6.0));
        assert!(calm.mae < noisy.mae);
        // The calm cell holds spreads 0–2, errors up to 10, 20 and 30 days: about a third
        // within 5 days (1/2, 1/4, 1/6); the noisiest, spreads 5–6, under a tenth.
        assert!((0.3..0.4).contains(&calm.within), "{calm:?}");
        assert!(noisy.within < 0.1, "{noisy:?}");
    }
}
