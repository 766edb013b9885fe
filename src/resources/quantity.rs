//! Mesos scalar quantities: fixed point with three decimals.
//!
//! Mesos stores `Value.Scalar` as a double but does all arithmetic and comparison on
//! `llround(value * 1000)`, so `0.1 + 0.2 == 0.3` and a task of 0.3 cpus fits an offer of
//! `0.1 + 0.2`. [`Quantity`] keeps that integer (thousandths) and rounds the same way on input.

use std::fmt;

use crate::{Error, Result};

/// Thousandths in one unit.
pub const SCALE: i64 = 1000;

/// Largest input value accepted: keeps `value * 1000` exact-ish and the sums far from `i64::MAX`.
const MAX_INPUT: f64 = 1e15;

/// A non-negative Mesos scalar, in thousandths (`Quantity::from_millis(1500)` is 1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity(i64);

impl Quantity {
    /// Zero.
    pub const ZERO: Quantity = Quantity(0);

    /// Converts a Mesos double the way Mesos does: rounded to the nearest thousandth, halves
    /// away from zero. NaN, infinities, negative values and values above 1e15 are errors.
    pub fn from_f64(value: f64) -> Result<Quantity> {
        if value.is_nan() {
            return Err(Error::Resource("scalar value is NaN".into()));
        }
        if !value.is_finite() || value > MAX_INPUT {
            return Err(Error::Resource(format!(
                "scalar value {value} is too large (at most {MAX_INPUT:e})"
            )));
        }
        // `f64::round` rounds halves away from zero, as `std::llround` does in Mesos.
        let millis = (value * SCALE as f64).round();
        if millis < 0.0 {
            return Err(Error::Resource(format!("scalar value {value} is negative")));
        }
        // In range by the checks above, so the cast is exact.
        Ok(Quantity(millis as i64))
    }

    /// A quantity of `millis` thousandths (negative input is clamped to zero).
    pub const fn from_millis(millis: i64) -> Quantity {
        Quantity(if millis < 0 { 0 } else { millis })
    }

    /// A whole number of units.
    pub const fn from_units(units: u32) -> Quantity {
        Quantity(units as i64 * SCALE)
    }

    /// The value in thousandths.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// The value as the double Mesos puts on the wire.
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / SCALE as f64
    }

    /// True for zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`, saturating (sums of real resources never get near the limit).
    pub const fn saturating_add(self, other: Quantity) -> Quantity {
        Quantity(self.0.saturating_add(other.0))
    }

    /// `self - other`, or `None` when that would be below zero.
    pub fn checked_sub(self, other: Quantity) -> Option<Quantity> {
        (self.0 >= other.0).then(|| Quantity(self.0 - other.0))
    }

    /// `self - other`, zero when that would be below zero.
    pub fn saturating_sub(self, other: Quantity) -> Quantity {
        Quantity((self.0 - other.0).max(0))
    }
}

impl std::ops::Add for Quantity {
    type Output = Quantity;
    fn add(self, other: Quantity) -> Quantity {
        self.saturating_add(other)
    }
}

impl std::iter::Sum for Quantity {
    fn sum<I: Iterator<Item = Quantity>>(iter: I) -> Quantity {
        iter.fold(Quantity::ZERO, |a, b| a + b)
    }
}

/// Shortest decimal form: `1`, `0.5`, `0.125`.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / SCALE;
        let frac = self.0 % SCALE;
        if frac == 0 {
            return write!(f, "{whole}");
        }
        let digits = format!("{frac:03}");
        write!(f, "{whole}.{}", digits.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(v: f64) -> Quantity {
        Quantity::from_f64(v).unwrap()
    }

    #[test]
    fn point_one_plus_point_two_is_point_three() {
        assert_eq!(q(0.1) + q(0.2), q(0.3));
        assert_eq!((q(0.1) + q(0.2)).to_f64(), 0.3);
        assert!(q(0.1) + q(0.2) <= q(0.3));
    }

    #[test]
    fn rounds_to_nearest_thousandth_half_away_from_zero() {
        assert_eq!(q(0.0004).millis(), 0);
        assert_eq!(q(0.0005).millis(), 1);
        assert_eq!(q(1.2345).millis(), 1235);
        assert_eq!(q(1.23449).millis(), 1234);
        assert_eq!(q(2.5).millis(), 2500);
        assert_eq!(q(0.0015).millis(), 2);
        // A tiny negative value rounds to zero and is accepted, as in Mesos.
        assert_eq!(q(-0.0001).millis(), 0);
    }

    #[test]
    fn rejects_nan_infinity_negative_and_huge() {
        for bad in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1.0,
            -0.001,
            2e15,
        ] {
            let err = Quantity::from_f64(bad).unwrap_err();
            assert!(matches!(err, Error::Resource(_)), "{bad}: {err}");
        }
        assert!(Quantity::from_f64(-1.0)
            .unwrap_err()
            .to_string()
            .contains("negative"));
        assert!(Quantity::from_f64(f64::NAN)
            .unwrap_err()
            .to_string()
            .contains("NaN"));
    }

    #[test]
    fn subtraction_never_goes_below_zero() {
        assert_eq!(q(1.0).checked_sub(q(0.3)), Some(q(0.7)));
        assert_eq!(q(0.3).checked_sub(q(0.3)), Some(Quantity::ZERO));
        assert_eq!(q(0.3).checked_sub(q(0.301)), None);
        assert_eq!(q(0.3).saturating_sub(q(1.0)), Quantity::ZERO);
    }

    #[test]
    fn displays_shortest_decimal() {
        assert_eq!(q(1.0).to_string(), "1");
        assert_eq!(q(0.5).to_string(), "0.5");
        assert_eq!(q(0.125).to_string(), "0.125");
        assert_eq!(q(12.05).to_string(), "12.05");
        assert_eq!(Quantity::ZERO.to_string(), "0");
    }

    #[test]
    fn sums_and_units() {
        let total: Quantity = [q(0.1), q(0.2), q(0.7)].into_iter().sum();
        assert_eq!(total, Quantity::from_units(1));
        assert_eq!(Quantity::from_millis(-5), Quantity::ZERO);
    }
}
