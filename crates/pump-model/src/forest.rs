//! Bagged regression trees: smartcore grows each tree, this module owns its storage and
//! inference.
//!
//! smartcore 0.7's forests expose neither their trees nor per-tree predictions, so the
//! bagging (bootstrap rows, a random subset of features per tree) is done here, and each
//! grown `DecisionTreeRegressor` is converted, through its serde form, into a [`Tree`] of
//! plain nodes. The model file therefore holds our own small node type, which is checked on
//! load (a corrupt tree is an error, not a panic or an endless walk) and walked without
//! building a matrix.

use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::tree::decision_tree_regressor::{
    DecisionTreeRegressor, DecisionTreeRegressorParameters,
};

/// One node of a tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Node {
    /// A leaf and its value.
    Leaf(f32),
    /// A split: `x[feature] <= threshold` goes to `left`, anything else to `right`.
    Split {
        feature: u16,
        threshold: f64,
        left: u32,
        right: u32,
    },
}

/// A regression tree; node 0 is the root and children always come after their parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tree {
    pub nodes: Vec<Node>,
}

impl Tree {
    /// The leaf value for one row of features. `validate` has made every walk finite and in
    /// bounds; the `get` only keeps an unvalidated tree from panicking.
    pub(crate) fn predict(&self, x: &[f64]) -> f64 {
        let mut i = 0usize;
        while let Some(node) = self.nodes.get(i) {
            match node {
                Node::Leaf(v) => return f64::from(*v),
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    let v = x.get(usize::from(*feature)).copied().unwrap_or(f64::NAN);
                    i = if v <= *threshold { *left } else { *right } as usize;
                }
            }
        }
        f64::NAN
    }

    /// Checks that every child index points forward and inside the tree and every feature
    /// exists, so that every walk ends at a leaf.
    pub(crate) fn validate(&self, features: usize) -> Result<(), String> {
        if self.nodes.is_empty() {
            return Err("a tree has no nodes".into());
        }
        for (i, node) in self.nodes.iter().enumerate() {
            match node {
                Node::Leaf(v) if !v.is_finite() => {
                    return Err(format!("node {i} has a non-finite value"));
                }
                Node::Leaf(_) => {}
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    let ok = |c: u32| (c as usize) > i && (c as usize) < self.nodes.len();
                    if !ok(*left) || !ok(*right) {
                        return Err(format!("node {i} has a child out of order"));
                    }
                    if usize::from(*feature) >= features || threshold.is_nan() {
                        return Err(format!("node {i} splits on an unknown feature"));
                    }
                }
            }
        }
        Ok(())
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }
}

/// How to grow a forest.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ForestParams {
    pub trees: usize,
    pub max_depth: u16,
    pub min_samples_leaf: usize,
    /// Share of the rows drawn (with replacement) for each tree.
    pub sample_fraction: f64,
    /// Share of the features each tree may split on.
    pub feature_fraction: f64,
    pub seed: u64,
    pub threads: usize,
}

/// Bagged regression trees and the mean decrease in impurity of each feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Forest {
    pub trees: Vec<Tree>,
    /// Normalised to sum 1 (all zero when no tree split).
    pub importance: Vec<f64>,
}

impl Forest {
    /// Mean and standard deviation of the trees' predictions.
    pub(crate) fn mean_spread(&self, x: &[f64]) -> (f64, f64) {
        let n = self.trees.len().max(1) as f64;
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        for tree in &self.trees {
            let v = tree.predict(x);
            sum += v;
            sum_sq += v * v;
        }
        let mean = sum / n;
        (mean, (sum_sq / n - mean * mean).max(0.0).sqrt())
    }

    /// Share of trees predicting at most `threshold`.
    pub(crate) fn share_at_most(&self, x: &[f64], threshold: f64) -> f64 {
        let n = self.trees.len().max(1) as f64;
        self.trees
            .iter()
            .filter(|t| t.predict(x) <= threshold)
            .count() as f64
            / n
    }

    pub(crate) fn validate(&self, features: usize) -> Result<(), String> {
        if self.trees.is_empty() {
            return Err("a forest has no trees".into());
        }
        if self.importance.len() != features || self.importance.iter().any(|v| !v.is_finite()) {
            return Err("feature importances do not match the features".into());
        }
        self.trees.iter().try_for_each(|t| t.validate(features))
    }

    pub(crate) fn nodes(&self) -> usize {
        self.trees.iter().map(Tree::len).sum()
    }
}

/// Trees grown by one thread: (tree index, tree, feature importances).
type Grown = Result<Vec<(usize, Tree, Vec<f64>)>, String>;

/// Row-major features: `rows × width`.
pub(crate) struct Matrix<'a> {
    pub data: &'a [f64],
    pub width: usize,
}

impl Matrix<'_> {
    pub(crate) fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.width..(i + 1) * self.width]
    }
}

/// Grows a forest on the rows `rows` of `x` with targets `y` (indexed like `x`), calling
/// `tick` after each tree. Trees are grown on `params.threads` threads; tree `k` always
/// draws from the seed `(params.seed, k)`, so the forest does not depend on the thread count.
pub(crate) fn fit_forest(
    x: &Matrix<'_>,
    y: &[f64],
    rows: &[usize],
    params: &ForestParams,
    tick: &(dyn Fn() + Sync),
) -> Result<Forest, String> {
    if rows.is_empty() {
        return Err("no training rows".into());
    }
    let threads = params.threads.clamp(1, params.trees.max(1));
    let results: Vec<Grown> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..params.trees)
                        .step_by(threads)
                        .map(|k| {
                            let (tree, importance) = fit_tree(x, y, rows, params, k)?;
                            tick();
                            Ok((k, tree, importance))
                        })
                        .collect::<Result<Vec<_>, String>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a tree-growing thread panicked".into()))
            })
            .collect()
    });
    let mut grown = Vec::with_capacity(params.trees);
    for r in results {
        grown.extend(r?);
    }
    grown.sort_by_key(|(k, _, _)| *k);
    let mut importance = vec![0.0; x.width];
    let mut trees = Vec::with_capacity(grown.len());
    for (_, tree, imp) in grown {
        for (a, b) in importance.iter_mut().zip(imp) {
            *a += b;
        }
        trees.push(tree);
    }
    let total: f64 = importance.iter().sum();
    if total > 0.0 {
        importance.iter_mut().for_each(|v| *v /= total);
    }
    Ok(Forest { trees, importance })
}

fn fit_tree(
    x: &Matrix<'_>,
    y: &[f64],
    rows: &[usize],
    params: &ForestParams,
    k: usize,
) -> Result<(Tree, Vec<f64>), String> {
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed ^ (k as u64).wrapping_mul(0x9E37_79B9));
    let n = ((rows.len() as f64 * params.sample_fraction).round() as usize).max(1);
    let drawn: Vec<usize> = (0..n)
        .map(|_| rows[rng.random_range(0..rows.len())])
        .collect();
    let m = ((x.width as f64 * params.feature_fraction).round() as usize).clamp(1, x.width);
    let mut columns = sample(&mut rng, x.width, m).into_vec();
    columns.sort_unstable();

    // Column-major, as smartcore stores it.
    let mut values = Vec::with_capacity(n * m);
    for &c in &columns {
        values.extend(drawn.iter().map(|&r| x.data[r * x.width + c]));
    }
    let targets: Vec<f64> = drawn.iter().map(|&r| y[r]).collect();
    let matrix = DenseMatrix::new(n, m, values, true).map_err(|e| e.to_string())?;
    let parameters = DecisionTreeRegressorParameters::default()
        .with_max_depth(params.max_depth)
        .with_min_samples_leaf(params.min_samples_leaf)
        .with_min_samples_split(params.min_samples_leaf * 2);
    let grown: DecisionTreeRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>> =
        DecisionTreeRegressor::fit(&matrix, &targets, parameters).map_err(|e| e.to_string())?;
    let local = grown
        .compute_feature_importances(false)
        .map_err(|e| e.to_string())?;
    let mut importance = vec![0.0; x.width];
    for (&c, v) in columns.iter().zip(local) {
        importance[c] = v;
    }
    let tree = convert(&grown, &columns)?;
    tree.validate(x.width)?;
    Ok((tree, importance))
}

/// Reads a grown smartcore tree through its serde form (its nodes are private) and maps
/// its column indices back to feature indices.
fn convert(
    grown: &DecisionTreeRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>,
    columns: &[usize],
) -> Result<Tree, String> {
    let value = serde_json::to_value(grown).map_err(|e| e.to_string())?;
    let nodes = value
        .get("tree_regressor")
        .and_then(|t| t.get("nodes"))
        .and_then(|n| n.as_array())
        .ok_or("smartcore tree without nodes: has its serde form changed?")?;
    let index = |v: &serde_json::Value, key: &str| -> Result<Option<u32>, String> {
        match v.get(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| format!("smartcore node field {key} is not an index")),
        }
    };
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes {
        let output = node
            .get("output")
            .and_then(|v| v.as_f64())
            .ok_or("smartcore node without output")?;
        match (index(node, "true_child")?, index(node, "false_child")?) {
            (Some(left), Some(right)) => {
                let column = index(node, "split_feature")?.ok_or("split without feature")?;
                let feature = columns
                    .get(column as usize)
                    .and_then(|&c| u16::try_from(c).ok())
                    .ok_or("split on an unknown column")?;
                let threshold = node
                    .get("split_value")
                    .and_then(|v| v.as_f64())
                    .ok_or("split without a value")?;
                out.push(Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                });
            }
            _ => out.push(Node::Leaf(output as f32)),
        }
    }
    Ok(Tree { nodes: out })
}

#[cfg(test)]
mod tests {
    use super::*;
    use smartcore::linalg::basic::arrays::Array;

    #[test]
    fn converted_trees_predict_what_smartcore_predicts() {
        // y depends on features 0 and 2 only; grow on all three columns.
        let rows = 200;
        let mut data = Vec::new();
        let mut y = Vec::new();
        for i in 0..rows {
            let a = (i % 17) as f64;
            let b = (i % 5) as f64;
            let c = (i % 11) as f64 - 5.0;
            data.extend([a, b, c]);
            y.push(if a > 8.0 { 10.0 } else { 0.0 } + c);
        }
        let columns = [0usize, 1, 2];
        let mut col_major = Vec::new();
        for c in columns {
            col_major.extend((0..rows).map(|r| data[r * 3 + c]));
        }
        let m = DenseMatrix::new(rows, 3, col_major, true).unwrap();
        let params = DecisionTreeRegressorParameters::default().with_max_depth(6);
        let grown = DecisionTreeRegressor::fit(&m, &y, params).unwrap();
        let expected = grown.predict(&m).unwrap();
        let tree = convert(&grown, &columns).unwrap();
        tree.validate(3).unwrap();
        for r in 0..rows {
            let got = tree.predict(&data[r * 3..r * 3 + 3]);
            assert!((got - *expected.get(r)).abs() < 1e-5, "row {r}");
        }
    }

    #[test]
    fn a_forest_learns_a_step_and_reports_its_importance() {
        let rows = 400;
        let mut data = Vec::new();
        let mut y = Vec::new();
        for i in 0..rows {
            let a = (i % 20) as f64;
            let noise = ((i * 7919) % 13) as f64;
            data.extend([a, noise]);
            y.push(if a >= 10.0 { 30.0 } else { 2.0 });
        }
        let x = Matrix {
            data: &data,
            width: 2,
        };
        let all: Vec<usize> = (0..rows).collect();
        let params = ForestParams {
            trees: 8,
            max_depth: 4,
            min_samples_leaf: 5,
            sample_fraction: 1.0,
            feature_fraction: 1.0,
            seed: 3,
            threads: 2,
        };
        let forest = fit_forest(&x, &y, &all, &params, &|| {}).unwrap();
        assert_eq!(forest.trees.len(), 8);
        let (low, spread) = forest.mean_spread(&[3.0, 1.0]);
        assert!((low - 2.0).abs() < 1e-6 && spread < 1e-6);
        assert!((forest.mean_spread(&[15.0, 1.0]).0 - 30.0).abs() < 1e-6);
        assert!(forest.importance[0] > 0.99);
        // The same seed on one thread grows the same forest.
        let single = fit_forest(
            &x,
            &y,
            &all,
            &ForestParams {
                threads: 1,
                ..params
            },
            &|| {},
        );
        assert_eq!(single.unwrap(), forest);
    }

    #[test]
    fn a_tree_pointing_backwards_is_refused() {
        let tree = Tree {
            nodes: vec![Node::Split {
                feature: 0,
                threshold: 1.0,
                left: 0,
                right: 0,
            }],
        };
        assert_eq!(
            tree.validate(1).unwrap_err(),
            "node 0 has a child out of order"
        );
        // Walking it anyway never loops forever... because validate runs on load; here we
        // only check a leafless index ends the walk.
        let dangling = Tree {
            nodes: vec![Node::Split {
                feature: 0,
                threshold: 1.0,
                left: 5,
                right: 6,
            }],
        };
        assert!(dangling.predict(&[0.0]).is_nan());
    }
}
