//! satyr 0.2.1's five heuristics (`ff`, `ffd`, `mr`, `bf`, `bfd`) with its exact decisions:
//! stable descending sorts, first bin on ties, the same weight arithmetic. Capacities are
//! fixed-point (exact), where satyr subtracted floats.

use super::fit_tree::FitTree;
use super::problem::{fits, to_float, Packing, Problem};
use super::weight::{share, weigh, Weights};

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

/// Best-Fit over items in `order`.
///
/// satyr weighs the leftovers `capacity - item` of the candidate bins relative to their sums
/// over the candidates. Those sums are common to all candidates, so a cheap key with the exact
/// integer sums ranks the candidates; satyr's own float expression is evaluated only when
/// several candidates come within rounding distance of the minimum.
pub fn best_fit(problem: &Problem, weights: &Weights, order: Vec<usize>) -> Packing {
    let d = problem.dims();
    let terms = weights.terms();
    let a = terms.len();
    let mut caps = problem.capacities();
    let mut tree = FitTree::new(&caps, d);
    let mut assignment = vec![None; problem.item_count()];
    let mut cands: Vec<usize> = Vec::with_capacity(problem.bin_count());
    let mut left: Vec<i64> = Vec::with_capacity(problem.bin_count() * a);
    let mut totals = vec![0i128; a];
    let mut coef = vec![0.0f64; a];
    let mut keys: Vec<f64> = Vec::with_capacity(problem.bin_count());
    for &i in &order {
        let item = problem.item(i);
        cands.clear();
        left.clear();
        totals.fill(0);
        tree.for_each_fit(&caps, item, |b| {
            cands.push(b);
            for (t, &(col, _)) in totals.iter_mut().zip(terms) {
                let l = caps[b * d + col] - item[col];
                left.push(l);
                *t += i128::from(l);
            }
        });
        if cands.is_empty() {
            continue;
        }
        for ((c, t), &(_, k)) in coef.iter_mut().zip(&totals).zip(terms) {
            *c = if *t == 0 { 0.0 } else { k / *t as f64 };
        }
        keys.clear();
        let mut min_key = f64::INFINITY;
        for row in left.chunks_exact(a) {
            let key: f64 = row.iter().zip(&coef).map(|(&l, &c)| c * l as f64).sum();
            min_key = min_key.min(key);
            keys.push(key);
        }
        let eps = weights.magnitude() * (cands.len() + a + 16) as f64 * 8.0 * f64::EPSILON;
        let chosen = pick_min(&keys, min_key + eps, &left, a, terms);
        let b = cands[chosen];
        take(&mut caps, d, b, item);
        tree.update(&caps, b);
        assignment[i] = Some(b);
    }
    Packing { assignment, order }
}

/// The candidate satyr's `min()` returns: among candidates whose cheap key is within `bound`,
/// the first with the smallest exact satyr weight.
fn pick_min(keys: &[f64], bound: f64, left: &[i64], a: usize, terms: &[(usize, f64)]) -> usize {
    let near: Vec<usize> = (0..keys.len()).filter(|&c| keys[c] <= bound).collect();
    let first = near[0]; // the minimum itself is always within the bound
    let row = |c: usize| &left[c * a..(c + 1) * a];
    if near.iter().all(|&c| row(c) == row(first)) {
        // Equal leftovers give equal weights: the first wins.
        return first;
    }
    // satyr's weight(leftovers): per-term sums over all candidates, then k * (x / sum).
    let local: Vec<(usize, f64)> = terms
        .iter()
        .enumerate()
        .map(|(j, &(_, k))| (j, k))
        .collect();
    let sums: Vec<f64> = (0..a)
        .map(|j| left.chunks_exact(a).fold(0.0, |s, r| s + to_float(r[j])))
        .collect();
    let exact = |c: usize| -> f64 {
        local
            .iter()
            .zip(&sums)
            .filter(|(_, &s)| s != 0.0)
            .fold(0.0, |w, (&(j, k), &s)| w + share(k, to_float(row(c)[j]), s))
    };
    let mut best = first;
    let mut best_w = exact(first);
    for &c in &near[1..] {
        let w = exact(c);
        if w < best_w {
            best = c;
            best_w = w;
        }
    }
    best
}

#[inline]
fn take(caps: &mut [i64], d: usize, bin: usize, item: &[i64]) {
    for (c, x) in caps[bin * d..(bin + 1) * d].iter_mut().zip(item) {
        *c -= x;
    }
}
