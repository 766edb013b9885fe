//! The engine of satyr's Best-Fit, fast and decision-exact.
//!
//! satyr weighs the leftovers `capacity - item` of the candidate bins (those the item fits)
//! relative to their per-term sums over the candidates, then takes the first minimum. The sums
//! are common to all candidates, so a cheap key `Σ_a (k_a / total_a) · capacity_a` ranks them
//! (the item's own part is the same for every candidate). satyr's float expression is
//! evaluated only when candidates with different leftovers come within a rigorous rounding
//! bound of the minimum key.
//!
//! Capacities are also kept column by column as `f64` (integers up to 2^50, so exact), which
//! lets the per-bin passes run as straight vector loops.

use super::problem::{to_float, Problem};
use super::weight::{share, Weights};

/// Above this, sums of integer-valued `f64`s may round; they are redone in integers.
const EXACT_F64: f64 = 9_007_199_254_740_992.0; // 2^53

/// Lanes of the manual reductions (independent accumulators the compiler can vectorise).
const LANES: usize = 4;

pub struct BestFit<'a> {
    dims: usize,
    bins: usize,
    /// Remaining capacities, row-major (exact).
    caps: Vec<i64>,
    /// The same, column-major as `f64`.
    cols: Vec<f64>,
    /// `(dimension, k)` in satyr's summation order.
    terms: &'a [(usize, f64)],
    /// Largest capacity of every weighted dimension (bounds every remaining capacity).
    tops: Vec<f64>,
    magnitude: f64,
    // Scratch, one entry per bin or per term.
    mask: Vec<f64>,
    keys: Vec<f64>,
    coef: Vec<f64>,
}

impl<'a> BestFit<'a> {
    pub fn new(problem: &Problem, weights: &'a Weights) -> Self {
        let (dims, bins) = (problem.dims(), problem.bin_count());
        let caps = problem.capacities();
        let mut cols = vec![0.0; dims * bins];
        for b in 0..bins {
            for a in 0..dims {
                cols[a * bins + b] = caps[b * dims + a] as f64;
            }
        }
        let terms = weights.terms();
        let tops = terms
            .iter()
            .map(|&(col, _)| (0..bins).map(|b| caps[b * dims + col]).max().unwrap_or(0) as f64)
            .collect();
        Self {
            dims,
            bins,
            caps,
            cols,
            terms,
            tops,
            magnitude: weights.magnitude(),
            mask: vec![0.0; bins],
            keys: vec![0.0; bins],
            coef: vec![0.0; terms.len()],
        }
    }

    fn col(&self, dim: usize) -> &[f64] {
        &self.cols[dim * self.bins..(dim + 1) * self.bins]
    }

    /// The bin satyr's Best-Fit picks for `item`, or `None` when it fits nowhere.
    pub fn choose(&mut self, item: &[i64]) -> Option<usize> {
        let m = self.bins;
        // mask[b] = 1.0 where the item fits, else 0.0.
        self.mask.fill(1.0);
        for (a, &x) in item.iter().enumerate() {
            let x = x as f64;
            let col = &self.cols[a * m..(a + 1) * m];
            for (mk, &c) in self.mask.iter_mut().zip(col) {
                *mk = if c < x { 0.0 } else { *mk };
            }
        }
        let count = lane_sum(&self.mask);
        if count == 0.0 {
            return None;
        }
        let n = count as i128;
        // Exact per-term totals of the candidates' leftovers, and the cheap key's factors.
        let mut scale = 0.0;
        for (j, &(dim, k)) in self.terms.iter().enumerate() {
            let sum = masked_sum(&self.mask, self.col(dim));
            let cap_total: i128 = if sum < EXACT_F64 {
                sum as i128
            } else {
                // Too large for exact f64 sums: redo in integers.
                (0..m)
                    .filter(|&b| self.mask[b] != 0.0)
                    .map(|b| i128::from(self.caps[b * self.dims + dim]))
                    .sum()
            };
            let total = cap_total - n * i128::from(item[dim]);
            self.coef[j] = if total == 0 { 0.0 } else { k / total as f64 };
            scale += self.coef[j].abs() * self.tops[j];
        }
        // Keys of the candidates; +inf elsewhere.
        self.keys.fill(0.0);
        for (j, &(dim, _)) in self.terms.iter().enumerate() {
            let c = self.coef[j];
            let col = &self.cols[dim * m..(dim + 1) * m];
            for (key, &v) in self.keys.iter_mut().zip(col) {
                *key += c * v;
            }
        }
        for (key, &mk) in self.keys.iter_mut().zip(&self.mask) {
            *key = if mk == 0.0 { f64::INFINITY } else { *key };
        }
        let min_key = lane_min(&self.keys);
        // Both the key and satyr's weight are within this of the exact real value (see the
        // module docs); twice each, with a wide margin.
        let a = self.terms.len() as f64;
        let eps = 4.0 * f64::EPSILON * (count + a + 16.0) * (scale + 1.1 * self.magnitude);
        let bound = min_key + eps;
        let first = self.keys.iter().position(|&k| k <= bound)?;
        let contested =
            (first + 1..m).any(|b| self.keys[b] <= bound && !self.same_leftover(b, first));
        if !contested {
            // Equal leftovers give equal weights: the first wins.
            return Some(first);
        }
        Some(self.exact_min(item, bound))
    }

    fn same_leftover(&self, x: usize, y: usize) -> bool {
        let d = self.dims;
        self.terms
            .iter()
            .all(|&(c, _)| self.caps[x * d + c] == self.caps[y * d + c])
    }

    /// satyr's `min(zip(containers, weight(leftovers)))` with satyr's own float expression,
    /// over the candidates whose key is within `bound` (the others cannot win).
    fn exact_min(&self, item: &[i64], bound: f64) -> usize {
        let d = self.dims;
        let leftover = |b: usize, col: usize| to_float(self.caps[b * d + col] - item[col]);
        let cands = || (0..self.bins).filter(|&b| self.mask[b] != 0.0);
        // Python's sum() over the candidates' leftovers, left to right from 0.
        let sums: Vec<f64> = self
            .terms
            .iter()
            .map(|&(col, _)| cands().fold(0.0, |s, b| s + leftover(b, col)))
            .collect();
        let weight = |b: usize| -> f64 {
            self.terms
                .iter()
                .zip(&sums)
                .filter(|(_, &s)| s != 0.0)
                .fold(0.0, |w, (&(col, k), &s)| w + share(k, leftover(b, col), s))
        };
        let mut best: Option<(usize, f64)> = None;
        for b in cands().filter(|&b| self.keys[b] <= bound) {
            let w = weight(b);
            if best.map_or(true, |(_, bw)| w < bw) {
                best = Some((b, w));
            }
        }
        // Invariant: the minimum key lies within its own bound, so some bin was weighed.
        best.map(|(b, _)| b)
            .expect("the best key lies within its own bound")
    }

    /// Places `item` into bin `b`.
    pub fn take(&mut self, b: usize, item: &[i64]) {
        let d = self.dims;
        for (a, &x) in item.iter().enumerate() {
            self.caps[b * d + a] -= x;
            self.cols[a * self.bins + b] = self.caps[b * d + a] as f64;
        }
    }
}

/// Sum with independent accumulators (exact here: integer values below 2^53).
fn lane_sum(values: &[f64]) -> f64 {
    let mut acc = [0.0f64; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a += v;
        }
    }
    acc.iter().chain(rest).sum()
}

/// `Σ mask[b] · values[b]` with independent accumulators (masks are 0 or 1).
fn masked_sum(mask: &[f64], values: &[f64]) -> f64 {
    let mut acc = [0.0f64; LANES];
    let chunks = mask.chunks_exact(LANES).zip(values.chunks_exact(LANES));
    for (mk, vs) in chunks {
        for ((a, &k), &v) in acc.iter_mut().zip(mk).zip(vs) {
            *a += k * v;
        }
    }
    let tail = mask.len() - mask.len() % LANES;
    let rest: f64 = mask[tail..]
        .iter()
        .zip(&values[tail..])
        .map(|(k, v)| k * v)
        .sum();
    acc.iter().sum::<f64>() + rest
}

fn lane_min(values: &[f64]) -> f64 {
    let mut acc = [f64::INFINITY; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a = if v < *a { v } else { *a };
        }
    }
    rest.iter()
        .chain(&acc)
        .fold(f64::INFINITY, |m, &v| if v < m { v } else { m })
}
