//! satyr 0.2.1's five heuristics (`ff`, `ffd`, `mr`, `bf`, `bfd`) with its exact decisions:
//! stable descending sorts, first bin on ties, the same weight arithmetic. Capacities are
//! fixed-point (exact), where satyr subtracted floats.

use super::best_fit::BestFit;
use super::fit_tree::FitTree;
use super::problem::{fits, Packing, Problem};
use super::weight::{weigh, Weights};

/// First-Fit: items in the given order, each into the first bin where it fits.
pub fn ff(problem: &Problem) -> Packing {
    first_fit(problem, (0..problem.item_count()).collect())
}

/// First-Fit-Decreasing: First-Fit over the items sorted by decreasing satyr weight.
pub fn ffd(problem: &Problem, weights: &Weights) -> Packing {
    first_fit(problem, decreasing(problem, weights))
}

/// Best-Fit: items in the given order, each into the bin with the smallest weighted leftover.
pub fn bf(problem: &Problem, weights: &Weights) -> Packing {
    best_fit(problem, weights, (0..problem.item_count()).collect())
}

/// Best-Fit-Decreasing: Best-Fit over the items sorted by decreasing satyr weight.
pub fn bfd(problem: &Problem, weights: &Weights) -> Packing {
    best_fit(problem, weights, decreasing(problem, weights))
}

/// Item indices sorted by decreasing `weight(items)`, ties in input order (Python's stable
/// `sorted(..., reverse=True)`).
pub fn decreasing(problem: &Problem, weights: &Weights) -> Vec<usize> {
    let w = weigh(problem.items().data(), problem.dims(), weights.terms());
    let mut order: Vec<usize> = (0..problem.item_count()).collect();
    order.sort_by(|&a, &b| w[b].partial_cmp(&w[a]).unwrap_or(std::cmp::Ordering::Equal));
    order
}

/// First-Fit over items in `order`.
pub fn first_fit(problem: &Problem, order: Vec<usize>) -> Packing {
    let d = problem.dims();
    let mut caps = problem.capacities();
    let mut tree = FitTree::new(&caps, d);
    let mut assignment = vec![None; problem.item_count()];
    for &i in &order {
        let item = problem.item(i);
        if let Some(b) = tree.first_fit(&caps, item) {
            take(&mut caps, d, b, item);
            tree.update(&caps, b);
            assignment[i] = Some(b);
        }
    }
    Packing { assignment, order }
}

/// Max-Rest: each item goes to the bin with the largest weighted remaining capacity (weights
/// relative to all bins); if it does not fit there it is skipped, no other bin is tried.
pub fn mr(problem: &Problem, weights: &Weights) -> Packing {
    let d = problem.dims();
    let mut caps = problem.capacities();
    let n = problem.item_count();
    let mut assignment = vec![None; n];
    for (i, slot) in assignment.iter_mut().enumerate() {
        let w = weigh(&caps, d, weights.terms());
        // Python's max(): the first of equal maxima.
        let mut best: Option<usize> = None;
        for (b, &wb) in w.iter().enumerate() {
            if best.map_or(true, |x| wb > w[x]) {
                best = Some(b);
            }
        }
        let item = problem.item(i);
        if let Some(b) = best.filter(|&b| fits(item, &caps[b * d..(b + 1) * d])) {
            take(&mut caps, d, b, item);
            *slot = Some(b);
        }
    }
    Packing {
        assignment,
        order: (0..n).collect(),
    }
}

/// Best-Fit over items in `order` (see [`super::best_fit`] for how it stays fast and exact).
pub fn best_fit(problem: &Problem, weights: &Weights, order: Vec<usize>) -> Packing {
    let mut state = BestFit::new(problem, weights);
    let mut assignment = vec![None; problem.item_count()];
    for &i in &order {
        let item = problem.item(i);
        if let Some(b) = state.choose(item) {
            state.take(b, item);
            assignment[i] = Some(b);
        }
    }
    Packing { assignment, order }
}

#[inline]
fn take(caps: &mut [i64], d: usize, bin: usize, item: &[i64]) {
    for (c, x) in caps[bin * d..(bin + 1) * d].iter_mut().zip(item) {
        *c -= x;
    }
}
