//! The engine of satyr's Best-Fit, fast and decision-exact.
//!
//! satyr weighs the leftovers `capacity - item` of the candidate bins (those the item fits)
//! relative to their per-term sums over the candidates, then takes the first minimum. The sums
//! are common to all candidates, so a cheap key `Σ_a (k_a / total_a) · capacity_a` ranks them
//! (the item's own part is the same for every candidate). satyr's float expression is
//! evaluated only when candidates with different leftovers come within a rigorous rounding
//! bound of the minimum key.
//!
//! Bins with equal remaining capacity behave alike (same fit, same key, same leftover), so
//! they are kept as one group: a scan visits each distinct capacity once, and the first bin of
//! a group stands for it (satyr's `min()` returns the first of equal weights). Clusters of
//! identical agents, and the still-empty bins of any packing, collapse this way.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use super::problem::{to_float, Problem};
use super::weight::{share, Weights};

pub struct BestFit<'a> {
    dims: usize,
    bins: usize,
    /// Remaining capacities, row-major (exact).
    caps: Vec<i64>,
    /// `(dimension, k)` in satyr's summation order.
    terms: &'a [(usize, f64)],
    /// The cheap key's factor per dimension (terms on one dimension add up).
    coef: Vec<f64>,
    /// Largest capacity per dimension (bounds every remaining capacity).
    tops: Vec<f64>,
    magnitude: f64,
    groups: Groups,
    /// Capacity totals fit in `i64` (they do unless quantities are astronomically large).
    narrow: bool,
    // Scratch.
    fit: Vec<bool>,
    keys: Vec<f64>,
    near: Vec<usize>,
    totals: Vec<i128>,
    narrow_totals: Vec<i64>,
}

/// A multiply-rotate hasher for the integer rows (SipHash's DoS resistance is not needed:
/// the keys are capacities, and a collision only costs time).
#[derive(Default)]
struct RowHasher(u64);

impl Hasher for RowHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_i64(&mut self, v: i64) {
        self.write_u64(v as u64);
    }

    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Bins grouped by equal remaining capacity. Slots of emptied groups are reused; an unused
/// slot has capacity -1 everywhere, so nothing fits it.
struct Groups {
    dims: usize,
    rows: Vec<i64>,
    counts: Vec<i64>,
    /// Lowest bin index of each group.
    firsts: Vec<usize>,
    members: Vec<BTreeSet<usize>>,
    slot_of: Vec<usize>,
    index: HashMap<Vec<i64>, usize, BuildHasherDefault<RowHasher>>,
    free: Vec<usize>,
}

impl Groups {
    fn new(caps: &[i64], dims: usize, bins: usize) -> Self {
        let mut groups = Self {
            dims,
            rows: Vec::new(),
            counts: Vec::new(),
            firsts: Vec::new(),
            members: Vec::new(),
            slot_of: vec![0; bins],
            index: HashMap::default(),
            free: Vec::new(),
        };
        for b in 0..bins {
            groups.insert(b, &caps[b * dims..(b + 1) * dims]);
        }
        groups
    }

    fn slots(&self) -> usize {
        self.counts.len()
    }

    fn row(&self, slot: usize) -> &[i64] {
        &self.rows[slot * self.dims..(slot + 1) * self.dims]
    }

    fn insert(&mut self, bin: usize, row: &[i64]) {
        let slot = match self.index.get(row) {
            Some(&slot) => slot,
            None => {
                let slot = self.free.pop().unwrap_or_else(|| {
                    self.rows.resize(self.rows.len() + self.dims, -1);
                    self.counts.push(0);
                    self.firsts.push(usize::MAX);
                    self.members.push(BTreeSet::new());
                    self.counts.len() - 1
                });
                self.rows[slot * self.dims..(slot + 1) * self.dims].copy_from_slice(row);
                self.firsts[slot] = usize::MAX;
                self.index.insert(row.to_vec(), slot);
                slot
            }
        };
        self.members[slot].insert(bin);
        self.counts[slot] += 1;
        self.firsts[slot] = self.firsts[slot].min(bin);
        self.slot_of[bin] = slot;
    }

    fn remove(&mut self, bin: usize) {
        let slot = self.slot_of[bin];
        self.members[slot].remove(&bin);
        self.counts[slot] -= 1;
        if self.counts[slot] == 0 {
            let row = &mut self.rows[slot * self.dims..(slot + 1) * self.dims];
            self.index.remove(&*row);
            row.fill(-1);
            self.firsts[slot] = usize::MAX;
            self.free.push(slot);
        } else if self.firsts[slot] == bin {
            // Invariant: the group is not empty, so it has a first member.
            self.firsts[slot] = *self.members[slot].first().expect("non-empty group");
        }
    }
}

impl<'a> BestFit<'a> {
    pub fn new(problem: &Problem, weights: &'a Weights) -> Self {
        let (dims, bins) = (problem.dims(), problem.bin_count());
        let caps = problem.capacities();
        let coef = vec![0.0; dims];
        let tops = (0..dims)
            .map(|a| (0..bins).map(|b| caps[b * dims + a]).max().unwrap_or(0) as f64)
            .collect();
        let narrow = (0..dims).all(|a| {
            (0..bins)
                .map(|b| i128::from(caps[b * dims + a]))
                .sum::<i128>()
                < 1 << 62
        });
        let groups = Groups::new(&caps, dims, bins);
        Self {
            dims,
            bins,
            caps,
            terms: weights.terms(),
            coef,
            tops,
            magnitude: weights.magnitude(),
            groups,
            narrow,
            fit: Vec::new(),
            keys: Vec::new(),
            near: Vec::new(),
            totals: vec![0; dims],
            narrow_totals: vec![0; dims],
        }
    }

    /// The bin satyr's Best-Fit picks for `item`, or `None` when it fits nowhere.
    pub fn choose(&mut self, item: &[i64]) -> Option<usize> {
        let slots = self.groups.slots();
        self.fit.resize(slots, false);
        self.keys.resize(slots, 0.0);
        // Which groups fit, how many bins that is, and their capacity totals (exact).
        let rows = &self.groups.rows[..slots * self.dims];
        let counts = &self.groups.counts[..slots];
        let count = if self.narrow {
            let count = match self.dims {
                1 => survey::<1>(rows, counts, item, &mut self.fit, &mut self.narrow_totals),
                2 => survey::<2>(rows, counts, item, &mut self.fit, &mut self.narrow_totals),
                3 => survey::<3>(rows, counts, item, &mut self.fit, &mut self.narrow_totals),
                4 => survey::<4>(rows, counts, item, &mut self.fit, &mut self.narrow_totals),
                5 => survey::<5>(rows, counts, item, &mut self.fit, &mut self.narrow_totals),
                6 => survey::<6>(rows, counts, item, &mut self.fit, &mut self.narrow_totals),
                _ => survey::<0>(rows, counts, item, &mut self.fit, &mut self.narrow_totals),
            };
            for (t, &n) in self.totals.iter_mut().zip(&self.narrow_totals) {
                *t = i128::from(n);
            }
            count
        } else {
            survey_wide(rows, counts, item, &mut self.fit, &mut self.totals)
        };
        if count == 0 {
            return None;
        }
        // The cheap key's factors: k / (total leftover over the candidates).
        self.coef.fill(0.0);
        for &(dim, k) in self.terms {
            let total = self.totals[dim] - i128::from(count) * i128::from(item[dim]);
            if total != 0 {
                self.coef[dim] += k / total as f64;
            }
        }
        let (fit, coef, keys) = (&self.fit, &self.coef, &mut self.keys);
        let min_key = match self.dims {
            1 => rank::<1>(rows, fit, coef, keys),
            2 => rank::<2>(rows, fit, coef, keys),
            3 => rank::<3>(rows, fit, coef, keys),
            4 => rank::<4>(rows, fit, coef, keys),
            5 => rank::<5>(rows, fit, coef, keys),
            6 => rank::<6>(rows, fit, coef, keys),
            _ => rank::<0>(rows, fit, coef, keys),
        };
        // Both the key and satyr's weight are within a few ulps per candidate of the exact
        // real value; twice each, with a wide margin (see `tests::real_ties...`).
        let scale: f64 = self
            .coef
            .iter()
            .zip(&self.tops)
            .map(|(f, t)| f.abs() * t)
            .sum();
        let n = count as f64 + self.terms.len() as f64 + 16.0;
        let bound = min_key + 4.0 * f64::EPSILON * n * (scale + 1.1 * self.magnitude);
        let mut near = std::mem::take(&mut self.near);
        near.clear();
        near.extend((0..slots).filter(|&s| self.keys[s] <= bound));
        let lead = *near.first()?;
        let contested = near.iter().any(|&s| !self.same_leftover(s, lead));
        let chosen = if contested {
            self.exact_min(item, &near)
        } else {
            // Equal leftovers give equal weights: the first bin wins.
            near.iter().map(|&s| self.groups.firsts[s]).min()?
        };
        self.near = near;
        Some(chosen)
    }

    fn same_leftover(&self, x: usize, y: usize) -> bool {
        let (rx, ry) = (self.groups.row(x), self.groups.row(y));
        self.terms.iter().all(|&(c, _)| rx[c] == ry[c])
    }

    /// satyr's `min(zip(containers, weight(leftovers)))` with satyr's own float expression,
    /// over the `near` groups (the others cannot win); equal weights go to the first bin.
    fn exact_min(&self, item: &[i64], near: &[usize]) -> usize {
        let d = self.dims;
        // Python's sum() over the candidates' leftovers, in bin order, left to right from 0.
        let mut sums = vec![0.0f64; self.terms.len()];
        for b in 0..self.bins {
            if self.fit[self.groups.slot_of[b]] {
                for (s, &(col, _)) in sums.iter_mut().zip(self.terms) {
                    *s += to_float(self.caps[b * d + col] - item[col]);
                }
            }
        }
        let weight = |slot: usize| -> f64 {
            let row = self.groups.row(slot);
            self.terms
                .iter()
                .zip(&sums)
                .filter(|(_, &s)| s != 0.0)
                .fold(0.0, |w, (&(col, k), &s)| {
                    w + share(k, to_float(row[col] - item[col]), s)
                })
        };
        let mut best: Option<(f64, usize)> = None;
        for &slot in near {
            let candidate = (weight(slot), self.groups.firsts[slot]);
            if best.map_or(true, |b| {
                candidate.0 < b.0 || (candidate.0 == b.0 && candidate.1 < b.1)
            }) {
                best = Some(candidate);
            }
        }
        // Invariant: `near` holds at least the group of the minimum key.
        best.expect("some group is near the minimum").1
    }

    /// Places `item` into bin `b`.
    pub fn take(&mut self, b: usize, item: &[i64]) {
        let d = self.dims;
        self.groups.remove(b);
        for (c, x) in self.caps[b * d..(b + 1) * d].iter_mut().zip(item) {
            *c -= x;
        }
        let row = self.caps[b * d..(b + 1) * d].to_vec();
        self.groups.insert(b, &row);
    }
}

/// Width of a row: the constant `D`, or the item's length when `D` is 0 (any width).
#[inline(always)]
fn width<const D: usize>(item: &[i64]) -> usize {
    if D == 0 {
        item.len()
    } else {
        D
    }
}

/// Over the group rows: which fit `item` (`fit`), the capacity totals of those
/// (`totals`, each group counting as many bins as it holds) and how many bins fit.
/// `D` fixes the width at compile time so the per-row loops unroll (0: any width).
fn survey<const D: usize>(
    rows: &[i64],
    counts: &[i64],
    item: &[i64],
    fit: &mut [bool],
    totals: &mut [i64],
) -> i64 {
    let d = width::<D>(item);
    let x = &item[..d];
    totals.fill(0);
    let mut count = 0;
    for ((row, &k), ok) in rows.chunks_exact(d).zip(counts).zip(fit.iter_mut()) {
        let row = &row[..d];
        let mut fits = true;
        for a in 0..d {
            fits &= row[a] >= x[a];
        }
        *ok = fits;
        let k = k * i64::from(fits);
        count += k;
        for (t, &c) in totals[..d].iter_mut().zip(row) {
            *t += k * c;
        }
    }
    count
}

/// [`survey`] with 128-bit totals, for quantities whose sums could overflow `i64`.
fn survey_wide(
    rows: &[i64],
    counts: &[i64],
    item: &[i64],
    fit: &mut [bool],
    totals: &mut [i128],
) -> i64 {
    let d = item.len();
    totals.fill(0);
    let mut count = 0;
    for ((row, &k), ok) in rows.chunks_exact(d).zip(counts).zip(fit.iter_mut()) {
        *ok = row.iter().zip(item).all(|(c, x)| c >= x);
        if *ok {
            count += k;
            for (t, &c) in totals.iter_mut().zip(row) {
                *t += i128::from(k) * i128::from(c);
            }
        }
    }
    count
}

/// The cheap key `Σ_a coef_a · row_a` of every fitting group (+inf for the others); returns
/// the smallest.
fn rank<const D: usize>(rows: &[i64], fit: &[bool], coef: &[f64], keys: &mut [f64]) -> f64 {
    let d = if D == 0 { coef.len() } else { D };
    let coef = &coef[..d];
    let mut min = f64::INFINITY;
    for ((row, &ok), key) in rows.chunks_exact(d).zip(fit).zip(keys.iter_mut()) {
        let row = &row[..d];
        let mut k = 0.0;
        for a in 0..d {
            k += coef[a] * row[a] as f64;
        }
        *key = if ok { k } else { f64::INFINITY };
        min = if *key < min { *key } else { min };
    }
    min
}
