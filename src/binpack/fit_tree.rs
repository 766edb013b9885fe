//! A segment tree over bins holding, per node, the largest remaining capacity in every
//! dimension. A subtree whose maxima do not cover an item holds no bin the item fits in, so
//! first-fit and "all bins that fit" searches skip full regions of the bin list.
//!
//! Leaves are blocks of [`BLOCK`] consecutive bins scanned linearly (cheaper than descending to
//! single bins). The remaining capacities themselves live outside the tree, row-major.

use super::problem::fits;

/// Bins per leaf.
const BLOCK: usize = 8;

pub struct FitTree {
    dims: usize,
    bins: usize,
    /// Number of leaves (a power of two).
    leaves: usize,
    /// Per node (1-based heap order), `dims` maxima; unused leaves hold -1 (nothing fits).
    max: Vec<i64>,
}

impl FitTree {
    /// Builds the tree over `caps`, the row-major remaining capacities of `bins` bins.
    pub fn new(caps: &[i64], dims: usize) -> Self {
        let bins = caps.len().checked_div(dims).unwrap_or(0);
        let leaves = bins.div_ceil(BLOCK).max(1).next_power_of_two();
        let mut tree = Self {
            dims,
            bins,
            leaves,
            max: vec![-1; 2 * leaves * dims],
        };
        for leaf in 0..leaves {
            tree.refresh_leaf(caps, leaf);
        }
        for node in (1..leaves).rev() {
            tree.pull(node);
        }
        tree
    }

    /// Re-reads bin `bin` after its capacity changed.
    pub fn update(&mut self, caps: &[i64], bin: usize) {
        let leaf = bin / BLOCK;
        self.refresh_leaf(caps, leaf);
        let mut node = (self.leaves + leaf) / 2;
        while node >= 1 {
            self.pull(node);
            node /= 2;
        }
    }

    /// The first bin (lowest index) where `item` fits.
    pub fn first_fit(&self, caps: &[i64], item: &[i64]) -> Option<usize> {
        self.first_in(caps, item, 1)
    }

    /// Calls `visit` for every bin where `item` fits, in increasing bin order.
    pub fn for_each_fit(&self, caps: &[i64], item: &[i64], mut visit: impl FnMut(usize)) {
        self.each_in(caps, item, 1, &mut visit);
    }

    fn first_in(&self, caps: &[i64], item: &[i64], root: usize) -> Option<usize> {
        // Depth-first, left to right, without recursion: climb to the next right sibling
        // whenever a subtree is exhausted.
        let mut node = root;
        loop {
            if self.covers(node, item) {
                if node >= self.leaves {
                    let found = self
                        .block(node - self.leaves)
                        .find(|&b| fits(item, self.row(caps, b)));
                    if found.is_some() {
                        return found;
                    }
                } else {
                    node *= 2;
                    continue;
                }
            }
            // Next subtree to the right: climb while we are a right child.
            while node & 1 == 1 {
                node /= 2;
            }
            if node <= root {
                return None;
            }
            node += 1;
        }
    }

    fn each_in(&self, caps: &[i64], item: &[i64], node: usize, visit: &mut impl FnMut(usize)) {
        if !self.covers(node, item) {
            return;
        }
        if node >= self.leaves {
            for b in self.block(node - self.leaves) {
                if fits(item, self.row(caps, b)) {
                    visit(b);
                }
            }
            return;
        }
        self.each_in(caps, item, 2 * node, visit);
        self.each_in(caps, item, 2 * node + 1, visit);
    }

    #[inline]
    fn covers(&self, node: usize, item: &[i64]) -> bool {
        fits(item, &self.max[node * self.dims..(node + 1) * self.dims])
    }

    #[inline]
    fn row<'a>(&self, caps: &'a [i64], bin: usize) -> &'a [i64] {
        &caps[bin * self.dims..(bin + 1) * self.dims]
    }

    fn block(&self, leaf: usize) -> std::ops::Range<usize> {
        let start = (leaf * BLOCK).min(self.bins);
        start..(start + BLOCK).min(self.bins)
    }

    fn refresh_leaf(&mut self, caps: &[i64], leaf: usize) {
        let d = self.dims;
        let node = self.leaves + leaf;
        let range = self.block(leaf);
        let acc = &mut self.max[node * d..(node + 1) * d];
        acc.fill(-1);
        for b in range {
            for (m, c) in acc.iter_mut().zip(&caps[b * d..(b + 1) * d]) {
                *m = (*m).max(*c);
            }
        }
    }

    fn pull(&mut self, node: usize) {
        let d = self.dims;
        for a in 0..d {
            let l = self.max[2 * node * d + a];
            let r = self.max[(2 * node + 1) * d + a];
            self.max[node * d + a] = l.max(r);
        }
    }
}
