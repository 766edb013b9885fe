//! Dense inputs and outputs of the packers: fixed-point resource vectors, bins, packings.

use crate::{Error, Result};

/// Mesos scalars are fixed-point numbers with three decimals; quantities are stored as integer
/// thousandths so that 0.1 + 0.2 fits into 0.3 exactly.
pub const SCALE: f64 = 1000.0;

/// Largest quantity accepted (thousandths); keeps sums of many vectors far from `i64` overflow
/// and every value exactly representable as `f64`.
const MAX_FIXED: i64 = 1 << 50;

/// Converts a float quantity to thousandths the way Mesos does (`llround(value * 1000)`).
pub fn to_fixed(value: f64) -> Result<i64> {
    if !value.is_finite() {
        return Err(Error::InvalidArgument(format!(
            "resource quantity must be a finite number, got {value}"
        )));
    }
    if value < 0.0 {
        return Err(Error::InvalidArgument(format!(
            "resource quantity must not be negative, got {value}"
        )));
    }
    let fixed = (value * SCALE).round();
    if fixed > MAX_FIXED as f64 {
        return Err(Error::InvalidArgument(format!(
            "resource quantity {value} is too large"
        )));
    }
    Ok(fixed as i64)
}

/// The float a satyr user would have written for a fixed-point quantity (the nearest double).
#[inline]
pub fn to_float(fixed: i64) -> f64 {
    fixed as f64 / SCALE
}

/// `len` vectors of `dims` fixed-point quantities, stored row after row in one buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vectors {
    dims: usize,
    data: Vec<i64>,
}

impl Vectors {
    /// Wraps row-major thousandths (`dims >= 1`); every value must be in `0..=2^50`.
    pub fn new(dims: usize, data: Vec<i64>) -> Result<Self> {
        if dims == 0 {
            return Err(Error::InvalidArgument(
                "resource vectors need at least one dimension".into(),
            ));
        }
        if data.len() % dims != 0 {
            return Err(Error::InvalidArgument(format!(
                "{} values do not form rows of {dims} dimensions",
                data.len()
            )));
        }
        if let Some(bad) = data.iter().find(|v| !(0..=MAX_FIXED).contains(*v)) {
            return Err(Error::InvalidArgument(format!(
                "resource quantity out of range: {bad} thousandths"
            )));
        }
        Ok(Self { dims, data })
    }

    /// Converts row-major float quantities (natural units: cpus, MB, ...) to fixed point.
    pub fn from_f64(dims: usize, values: &[f64]) -> Result<Self> {
        let data = values
            .iter()
            .map(|&v| to_fixed(v))
            .collect::<Result<Vec<_>>>()?;
        Self::new(dims, data)
    }

    /// Builds from rows of floats; every row must have `dims` entries.
    pub fn from_rows(dims: usize, rows: &[Vec<f64>]) -> Result<Self> {
        let mut data = Vec::with_capacity(rows.len() * dims);
        for (i, row) in rows.iter().enumerate() {
            if row.len() != dims {
                return Err(Error::InvalidArgument(format!(
                    "row {i} has {} values, expected {dims}",
                    row.len()
                )));
            }
            for &v in row {
                data.push(to_fixed(v)?);
            }
        }
        Self::new(dims, data)
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    pub fn len(&self) -> usize {
        self.data.len() / self.dims
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn row(&self, i: usize) -> &[i64] {
        &self.data[i * self.dims..(i + 1) * self.dims]
    }

    pub fn data(&self) -> &[i64] {
        &self.data
    }
}

/// Items to place into bins; both sides have the same dimensions.
#[derive(Clone, Debug)]
pub struct Problem {
    items: Vectors,
    bins: Vectors,
}

impl Problem {
    /// `items` are demands, `bins` capacities.
    pub fn new(items: Vectors, bins: Vectors) -> Result<Self> {
        if items.dims() != bins.dims() {
            return Err(Error::InvalidArgument(format!(
                "items have {} dimensions but bins have {}",
                items.dims(),
                bins.dims()
            )));
        }
        Ok(Self { items, bins })
    }

    pub fn dims(&self) -> usize {
        self.items.dims()
    }

    pub fn item_count(&self) -> usize {
        self.items.len()
    }

    pub fn bin_count(&self) -> usize {
        self.bins.len()
    }

    pub fn items(&self) -> &Vectors {
        &self.items
    }

    pub fn bins(&self) -> &Vectors {
        &self.bins
    }

    #[inline]
    pub fn item(&self, i: usize) -> &[i64] {
        self.items.row(i)
    }

    #[inline]
    pub fn capacity(&self, b: usize) -> &[i64] {
        self.bins.row(b)
    }

    /// Remaining capacities of all bins, row-major (a mutable working copy).
    pub fn capacities(&self) -> Vec<i64> {
        self.bins.data().to_vec()
    }
}

/// `demand <= capacity` in every dimension (satyr's `task <= offer`).
#[inline]
pub fn fits(demand: &[i64], capacity: &[i64]) -> bool {
    demand.iter().zip(capacity).all(|(d, c)| d <= c)
}

/// The outcome of a heuristic: where every item went and in which order items were handled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packing {
    /// `assignment[i]` is the bin of item `i`, or `None` when it was skipped.
    pub assignment: Vec<Option<usize>>,
    /// Item indices in the order the heuristic handled them (each item exactly once);
    /// bins list their items in this order and skipped items appear in this order.
    pub order: Vec<usize>,
}

impl Packing {
    /// Number of bins holding at least one item.
    pub fn bins_used(&self) -> usize {
        let mut used: Vec<usize> = self.assignment.iter().flatten().copied().collect();
        used.sort_unstable();
        used.dedup();
        used.len()
    }

    /// Number of items left out.
    pub fn skipped(&self) -> usize {
        self.assignment.iter().filter(|a| a.is_none()).count()
    }

    /// Checks that the packing is complete, consistent and respects every capacity.
    pub fn validate(&self, problem: &Problem) -> Result<()> {
        let n = problem.item_count();
        if self.assignment.len() != n || self.order.len() != n {
            return Err(Error::InvalidArgument(
                "packing does not cover every item".into(),
            ));
        }
        let mut seen = vec![false; n];
        for &i in &self.order {
            if i >= n || std::mem::replace(&mut seen[i], true) {
                return Err(Error::InvalidArgument(format!(
                    "item {i} ordered twice or unknown"
                )));
            }
        }
        let d = problem.dims();
        let mut caps = problem.capacities();
        for (i, slot) in self.assignment.iter().enumerate() {
            if let Some(b) = *slot {
                if b >= problem.bin_count() {
                    return Err(Error::InvalidArgument(format!(
                        "item {i} in unknown bin {b}"
                    )));
                }
                for (c, x) in caps[b * d..(b + 1) * d].iter_mut().zip(problem.item(i)) {
                    *c -= x;
                    if *c < 0 {
                        return Err(Error::InvalidArgument(format!("bin {b} overflows")));
                    }
                }
            }
        }
        Ok(())
    }
}
