//! Runs several heuristics and keeps the best packing: the most items placed, then the fewest
//! bins used; remaining ties go to the earliest method in the given order.

use super::problem::{Packing, Problem};
use super::weight::Weights;
use super::{pack, Method};
use crate::{Error, Result};

/// The portfolio's default members, in tie-breaking order.
pub const DEFAULT: [Method; 9] = [
    Method::DotProduct,
    Method::L2,
    Method::BfdL2,
    Method::FfdL2,
    Method::FfdSum,
    Method::FfdMax,
    Method::Bfd,
    Method::Ffd,
    Method::Ff,
];

/// The winning method and its packing. Weighted satyr methods use `weights`, or weight 1 on
/// every dimension when none are given.
pub fn best(
    problem: &Problem,
    methods: &[Method],
    weights: Option<&Weights>,
) -> Result<(Method, Packing)> {
    if methods.is_empty() {
        return Err(Error::InvalidArgument(
            "the portfolio needs at least one method".into(),
        ));
    }
    let uniform;
    let weights = match weights {
        Some(w) => w,
        None => {
            uniform = Weights::uniform(problem.dims());
            &uniform
        }
    };
    let mut winner: Option<(Method, Packing, (usize, usize))> = None;
    for &method in methods {
        let packing = pack(method, problem, Some(weights))?;
        let rank = (packing.skipped(), packing.bins_used());
        if winner.as_ref().map_or(true, |w| rank < w.2) {
            winner = Some((method, packing, rank));
        }
    }
    // Invariant: `methods` is not empty, so a winner exists.
    let (method, packing, _) = winner.expect("non-empty portfolio has a winner");
    Ok((method, packing))
}
