//! Bin packing of multi-dimensional resource vectors (tasks into offers).
//!
//! * [`satyr`]: satyr 0.2.1's heuristics with its exact decisions (`ff`, `ffd`, `mr`, `bf`,
//!   `bfd`) and its weight formula ([`weight`]).
//! * [`vector`]: heuristics for multi-dimensional vector packing (decreasing-size first fit
//!   by sum / max / L2 norm, best fit by L2 leftover, bin-at-a-time dot product and L2).
//! * [`portfolio`]: runs several heuristics and keeps the best packing.
//!
//! Quantities are fixed-point thousandths (Mesos scalars), see [`problem`].

mod best_fit;
mod fit_tree;
pub mod portfolio;
pub mod problem;
pub mod satyr;
pub mod vector;
pub mod weight;

#[cfg(test)]
mod tests;

pub use problem::{Packing, Problem, Vectors};
pub use weight::Weights;

use crate::{Error, Result};

/// Every packing heuristic, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// satyr's First-Fit (items in input order).
    Ff,
    /// satyr's First-Fit-Decreasing by satyr weight.
    Ffd,
    /// satyr's Max-Rest.
    Mr,
    /// satyr's Best-Fit.
    Bf,
    /// satyr's Best-Fit-Decreasing.
    Bfd,
    /// First fit, items by decreasing sum of capacity-normalised demands.
    FfdSum,
    /// First fit, items by decreasing largest capacity-normalised demand.
    FfdMax,
    /// First fit, items by decreasing L2 norm of capacity-normalised demands.
    FfdL2,
    /// Items by decreasing L2 norm, each into the bin whose normalised leftover has the
    /// smallest L2 norm.
    BfdL2,
    /// Bin at a time: fill the current bin with the fitting item of largest dot product
    /// between its demand and the bin's remaining capacity.
    DotProduct,
    /// Bin at a time: fill the current bin with the fitting item that leaves the remaining
    /// capacity with the smallest L2 norm.
    L2,
}

impl Method {
    /// Every method, in the fixed order the portfolio breaks ties with.
    pub const ALL: [Method; 11] = [
        Method::Ff,
        Method::Ffd,
        Method::Mr,
        Method::Bf,
        Method::Bfd,
        Method::FfdSum,
        Method::FfdMax,
        Method::FfdL2,
        Method::BfdL2,
        Method::DotProduct,
        Method::L2,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::Ff => "ff",
            Method::Ffd => "ffd",
            Method::Mr => "mr",
            Method::Bf => "bf",
            Method::Bfd => "bfd",
            Method::FfdSum => "ffd_sum",
            Method::FfdMax => "ffd_max",
            Method::FfdL2 => "ffd_l2",
            Method::BfdL2 => "bfd_l2",
            Method::DotProduct => "dot_product",
            Method::L2 => "l2",
        }
    }

    /// Parses a method name (as returned by [`Method::name`]).
    pub fn from_name(name: &str) -> Result<Method> {
        Method::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
                Error::InvalidArgument(format!(
                    "unknown packing method {name:?}; known methods: {}",
                    known.join(", ")
                ))
            })
    }

    /// Whether the method ranks by satyr weights (and so needs them).
    pub fn uses_weights(self) -> bool {
        matches!(self, Method::Ffd | Method::Mr | Method::Bf | Method::Bfd)
    }
}

/// Runs one heuristic. `weights` is required by the weighted satyr heuristics and ignored by
/// the others.
pub fn pack(method: Method, problem: &Problem, weights: Option<&Weights>) -> Result<Packing> {
    let need = || {
        weights.ok_or_else(|| {
            Error::InvalidArgument(format!(
                "{} needs resource weights, e.g. cpus=1, mem=1",
                method.name()
            ))
        })
    };
    Ok(match method {
        Method::Ff => satyr::ff(problem),
        Method::Ffd => satyr::ffd(problem, need()?),
        Method::Mr => satyr::mr(problem, need()?),
        Method::Bf => satyr::bf(problem, need()?),
        Method::Bfd => satyr::bfd(problem, need()?),
        Method::FfdSum => vector::ffd_by(problem, vector::Size::Sum),
        Method::FfdMax => vector::ffd_by(problem, vector::Size::Max),
        Method::FfdL2 => vector::ffd_by(problem, vector::Size::L2),
        Method::BfdL2 => vector::bfd_l2(problem),
        Method::DotProduct => vector::bin_centric(problem, vector::Score::DotProduct),
        Method::L2 => vector::bin_centric(problem, vector::Score::L2),
    })
}
