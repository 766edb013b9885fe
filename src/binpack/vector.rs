//! Heuristics for multi-dimensional vector packing, in the style of Panigrahy, Talwar, Uyeda
//! and Wieder, "Heuristics for Vector Bin Packing" (2011): demands are normalised by the
//! largest bin capacity of their dimension so that every resource counts alike.
//!
//! * item-centric: items by decreasing size (sum, max or L2 norm of the normalised demand),
//!   then first fit, or best fit by the L2 norm of the normalised leftover;
//! * bin-centric: bins are filled one at a time, in order; the current bin repeatedly takes
//!   the fitting item that scores best (dot product with the remaining capacity, or smallest
//!   remaining L2 norm) until nothing fits, then the next bin is opened.
//!
//! Ties go to the lower item / bin index, so results are deterministic.

use super::fit_tree::FitTree;
use super::problem::{fits, Packing, Problem};
use super::satyr::first_fit;

/// Scalar size of a normalised demand vector for decreasing-size orders.
#[derive(Clone, Copy, Debug)]
pub enum Size {
    Sum,
    Max,
    L2,
}

/// What a bin-centric heuristic optimises when choosing the next item for the current bin.
#[derive(Clone, Copy, Debug)]
pub enum Score {
    /// Maximise Σ_a demand_a · remaining_a.
    DotProduct,
    /// Minimise Σ_a (remaining_a − demand_a)².
    L2,
}

/// Per-dimension factor turning a quantity into a share of the largest bin (0 for a
/// dimension no bin has, so it does not sway the scores).
pub fn scales(problem: &Problem) -> Vec<f64> {
    let d = problem.dims();
    let mut top = vec![0i64; d];
    for b in 0..problem.bin_count() {
        for (t, &c) in top.iter_mut().zip(problem.capacity(b)) {
            *t = (*t).max(c);
        }
    }
    top.into_iter()
        .map(|t| if t > 0 { 1.0 / t as f64 } else { 0.0 })
        .collect()
}

/// The size of every item under `size`.
pub fn sizes(problem: &Problem, size: Size) -> Vec<f64> {
    let s = scales(problem);
    (0..problem.item_count())
        .map(|i| {
            let u = problem.item(i).iter().zip(&s).map(|(&x, &f)| x as f64 * f);
            match size {
                Size::Sum => u.sum(),
                Size::Max => u.fold(0.0, f64::max),
                Size::L2 => u.map(|v| v * v).sum(),
            }
        })
        .collect()
}

/// Item indices by decreasing `size`, ties in index order.
pub fn decreasing_by(problem: &Problem, size: Size) -> Vec<usize> {
    let sz = sizes(problem, size);
    let mut order: Vec<usize> = (0..problem.item_count()).collect();
    order.sort_by(|&a, &b| sz[b].total_cmp(&sz[a]));
    order
}

/// First fit over items by decreasing `size`.
pub fn ffd_by(problem: &Problem, size: Size) -> Packing {
    first_fit(problem, decreasing_by(problem, size))
}

/// Items by decreasing L2 norm, each into the fitting bin with the smallest normalised
/// leftover norm.
pub fn bfd_l2(problem: &Problem) -> Packing {
    let d = problem.dims();
    let s = scales(problem);
    let order = decreasing_by(problem, Size::L2);
    let mut caps = problem.capacities();
    let mut tree = FitTree::new(&caps, d);
    let mut assignment = vec![None; problem.item_count()];
    for &i in &order {
        let item = problem.item(i);
        let mut best: Option<(usize, f64)> = None;
        tree.for_each_fit(&caps, item, |b| {
            let row = &caps[b * d..(b + 1) * d];
            let norm: f64 = row
                .iter()
                .zip(item)
                .zip(&s)
                .map(|((&c, &x), &f)| {
                    let v = (c - x) as f64 * f;
                    v * v
                })
                .sum();
            if best.map_or(true, |(_, n)| norm < n) {
                best = Some((b, norm));
            }
        });
        if let Some((b, _)) = best {
            for (c, x) in caps[b * d..(b + 1) * d].iter_mut().zip(item) {
                *c -= x;
            }
            tree.update(&caps, b);
            assignment[i] = Some(b);
        }
    }
    Packing { assignment, order }
}

/// Fills bins one at a time with the best-scoring fitting item.
pub fn bin_centric(problem: &Problem, score: Score) -> Packing {
    let d = problem.dims();
    let s = scales(problem);
    let n = problem.item_count();
    // Normalised demands, row-major, computed once.
    let norm: Vec<f64> = (0..n)
        .flat_map(|i| problem.item(i).iter().zip(&s).map(|(&x, &f)| x as f64 * f))
        .collect();
    let mut assignment = vec![None; n];
    let mut order = Vec::with_capacity(n);
    let mut open: Vec<usize> = (0..n).collect();
    let mut rest = vec![0.0f64; d];
    for b in 0..problem.bin_count() {
        if open.is_empty() {
            break;
        }
        let mut cap = problem.capacity(b).to_vec();
        loop {
            for ((r, &c), &f) in rest.iter_mut().zip(&cap).zip(&s) {
                *r = c as f64 * f;
            }
            let mut best: Option<(usize, f64)> = None;
            for (pos, &i) in open.iter().enumerate() {
                if !fits(problem.item(i), &cap) {
                    continue;
                }
                let u = &norm[i * d..(i + 1) * d];
                // Both scores as "larger is better".
                let value = match score {
                    Score::DotProduct => u.iter().zip(&rest).map(|(x, r)| x * r).sum::<f64>(),
                    Score::L2 => -u
                        .iter()
                        .zip(&rest)
                        .map(|(x, r)| (r - x) * (r - x))
                        .sum::<f64>(),
                };
                if best.map_or(true, |(_, v)| value > v) {
                    best = Some((pos, value));
                }
            }
            let Some((pos, _)) = best else { break };
            let i = open.remove(pos);
            for (c, x) in cap.iter_mut().zip(problem.item(i)) {
                *c -= x;
            }
            assignment[i] = Some(b);
            order.push(i);
        }
    }
    order.extend(open);
    Packing { assignment, order }
}
