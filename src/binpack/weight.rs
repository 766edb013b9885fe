//! satyr's weight formula: w_i = Σ_a k_a · x_{i,a} / Σ_j x_{j,a}, evaluated with the same
//! floating-point operations in the same order as satyr 0.2.1, so that sorting and
//! first-on-ties choices come out identical.

use super::problem::to_float;
use crate::{Error, Result};

/// Weighted dimensions `(dimension, k)` in summation order (satyr's keyword order).
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    terms: Vec<(usize, f64)>,
}

impl Weights {
    /// At least one term; every dimension below `dims`, every factor finite.
    pub fn new(terms: Vec<(usize, f64)>, dims: usize) -> Result<Self> {
        if terms.is_empty() {
            return Err(Error::InvalidArgument(
                "missing resource weights: give at least one, e.g. cpus=1, mem=1".into(),
            ));
        }
        for &(dim, k) in &terms {
            if dim >= dims {
                return Err(Error::InvalidArgument(format!(
                    "weight for dimension {dim}, but there are only {dims}"
                )));
            }
            if !k.is_finite() {
                return Err(Error::InvalidArgument(format!(
                    "weight factor must be finite, got {k}"
                )));
            }
        }
        Ok(Self { terms })
    }

    /// Weight 1 for every dimension, in dimension order.
    pub fn uniform(dims: usize) -> Self {
        Self {
            terms: (0..dims).map(|d| (d, 1.0)).collect(),
        }
    }

    pub fn terms(&self) -> &[(usize, f64)] {
        &self.terms
    }

    /// Sum of the absolute factors (scale of a weight, for error bounds).
    pub fn magnitude(&self) -> f64 {
        self.terms.iter().map(|t| t.1.abs()).sum()
    }
}

/// One term of satyr's weight: `k * (x / s)`, where a zero sum contributes nothing.
#[inline]
pub fn share(k: f64, x: f64, sum: f64) -> f64 {
    k * (x / sum)
}

/// satyr's `weight(rows, **weights)`: rows are the `rows` consecutive records of `stride`
/// fixed-point values in `data`; a term `(column, k)` reads `record[column]`.
pub fn weigh(data: &[i64], stride: usize, terms: &[(usize, f64)]) -> Vec<f64> {
    let rows = data.len().checked_div(stride).unwrap_or(0);
    let mut out = vec![0.0f64; rows];
    for &(col, k) in terms {
        // Python's sum(): left to right from 0.
        let mut sum = 0.0f64;
        for r in 0..rows {
            sum += to_float(data[r * stride + col]);
        }
        if sum == 0.0 {
            // satyr catches ZeroDivisionError: the attribute adds 0 to every weight.
            continue;
        }
        for (r, w) in out.iter_mut().enumerate() {
            *w += share(k, to_float(data[r * stride + col]), sum);
        }
    }
    out
}
