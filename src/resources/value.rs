//! The quantity part of a resource: a scalar, ranges or a set.

use std::fmt;

use super::{ItemSet, Quantity, Ranges};

/// Which of Mesos' `Value.Type`s a resource has (TEXT is not a resource type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ValueKind {
    Scalar,
    Ranges,
    Set,
}

impl ValueKind {
    /// The `Value.Type` enum name (`"SCALAR"`, `"RANGES"`, `"SET"`).
    pub const fn name(self) -> &'static str {
        match self {
            ValueKind::Scalar => "SCALAR",
            ValueKind::Ranges => "RANGES",
            ValueKind::Set => "SET",
        }
    }

    /// Parses a `Value.Type` enum name; `None` for TEXT and anything unknown.
    pub fn from_name(name: &str) -> Option<ValueKind> {
        match name {
            "SCALAR" => Some(ValueKind::Scalar),
            "RANGES" => Some(ValueKind::Ranges),
            "SET" => Some(ValueKind::Set),
            _ => None,
        }
    }
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The amount of one resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    Scalar(Quantity),
    Ranges(Ranges),
    Set(ItemSet),
}

impl Value {
    /// The kind of this value.
    pub const fn kind(&self) -> ValueKind {
        match self {
            Value::Scalar(_) => ValueKind::Scalar,
            Value::Ranges(_) => ValueKind::Ranges,
            Value::Set(_) => ValueKind::Set,
        }
    }

    /// The empty value of a kind.
    pub const fn zero(kind: ValueKind) -> Value {
        match kind {
            ValueKind::Scalar => Value::Scalar(Quantity::ZERO),
            ValueKind::Ranges => Value::Ranges(Ranges::new()),
            ValueKind::Set => Value::Set(ItemSet::new()),
        }
    }

    /// True for a zero scalar, empty ranges or an empty set.
    pub fn is_zero(&self) -> bool {
        match self {
            Value::Scalar(q) => q.is_zero(),
            Value::Ranges(r) => r.is_empty(),
            Value::Set(s) => s.is_empty(),
        }
    }

    /// The amount in thousandths of a unit: the scalar itself, or 1000 per range value / item.
    pub fn millis(&self) -> i64 {
        let count = match self {
            Value::Scalar(q) => return q.millis(),
            Value::Ranges(r) => r.count(),
            Value::Set(s) => s.len() as u64,
        };
        i64::try_from(count)
            .unwrap_or(i64::MAX)
            .saturating_mul(super::quantity::SCALE)
    }

    /// `self + other` (sum, union), or `None` when the kinds differ.
    pub fn add(&self, other: &Value) -> Option<Value> {
        Some(match (self, other) {
            (Value::Scalar(a), Value::Scalar(b)) => Value::Scalar(*a + *b),
            (Value::Ranges(a), Value::Ranges(b)) => Value::Ranges(a.union(b)),
            (Value::Set(a), Value::Set(b)) => Value::Set(a.union(b)),
            _ => return None,
        })
    }

    /// True when `self` fits in `other` (`<=`, subset); false when the kinds differ.
    pub fn fits_in(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Scalar(a), Value::Scalar(b)) => a <= b,
            (Value::Ranges(a), Value::Ranges(b)) => a.is_subset(b),
            (Value::Set(a), Value::Set(b)) => a.is_subset(b),
            _ => false,
        }
    }

    /// `self - other` when `other` fits in `self`, else `None`.
    pub fn checked_sub(&self, other: &Value) -> Option<Value> {
        Some(match (self, other) {
            (Value::Scalar(a), Value::Scalar(b)) => Value::Scalar(a.checked_sub(*b)?),
            (Value::Ranges(a), Value::Ranges(b)) if b.is_subset(a) => {
                Value::Ranges(a.difference(b))
            }
            (Value::Set(a), Value::Set(b)) if b.is_subset(a) => Value::Set(a.difference(b)),
            _ => return None,
        })
    }

    /// What `other` has that `self` lacks (what is missing for `other` to fit in `self`).
    pub fn shortfall(&self, other: &Value) -> Value {
        match (self, other) {
            (Value::Scalar(a), Value::Scalar(b)) => Value::Scalar(b.saturating_sub(*a)),
            (Value::Ranges(a), Value::Ranges(b)) => Value::Ranges(b.difference(a)),
            (Value::Set(a), Value::Set(b)) => Value::Set(b.difference(a)),
            _ => other.clone(),
        }
    }

    /// `self ∩ other` for ranges and sets, `min` for scalars; `None` when the kinds differ.
    pub fn common(&self, other: &Value) -> Option<Value> {
        Some(match (self, other) {
            (Value::Scalar(a), Value::Scalar(b)) => Value::Scalar(*a.min(b)),
            (Value::Ranges(a), Value::Ranges(b)) => Value::Ranges(a.intersection(b)),
            (Value::Set(a), Value::Set(b)) => Value::Set(a.intersection(b)),
            _ => return None,
        })
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Scalar(q) => q.fmt(f),
            Value::Ranges(r) => r.fmt(f),
            Value::Set(s) => s.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(v: f64) -> Value {
        Value::Scalar(Quantity::from_f64(v).unwrap())
    }

    fn ranges(pairs: &[(u64, u64)]) -> Value {
        Value::Ranges(Ranges::from_pairs(pairs.iter().copied()).unwrap())
    }

    fn set(items: &[&str]) -> Value {
        Value::Set(items.iter().copied().collect())
    }

    #[test]
    fn arithmetic_per_kind() {
        assert_eq!(scalar(0.1).add(&scalar(0.2)), Some(scalar(0.3)));
        assert_eq!(
            ranges(&[(1, 2)]).add(&ranges(&[(3, 4)])),
            Some(ranges(&[(1, 4)]))
        );
        assert_eq!(set(&["a"]).add(&set(&["b"])), Some(set(&["a", "b"])));
        assert_eq!(scalar(1.0).add(&set(&["a"])), None);
        assert_eq!(scalar(1.0).checked_sub(&scalar(0.25)), Some(scalar(0.75)));
        assert_eq!(scalar(1.0).checked_sub(&scalar(1.5)), None);
        assert_eq!(ranges(&[(1, 4)]).checked_sub(&ranges(&[(5, 5)])), None);
        assert_eq!(set(&["a"]).checked_sub(&set(&["b"])), None);
        assert!(scalar(0.3).fits_in(&scalar(0.1).add(&scalar(0.2)).unwrap()));
        assert!(!ranges(&[(1, 1)]).fits_in(&scalar(5.0)));
    }

    #[test]
    fn shortfall_names_what_is_missing() {
        assert_eq!(scalar(1.0).shortfall(&scalar(1.5)), scalar(0.5));
        assert_eq!(
            ranges(&[(1, 4)]).shortfall(&ranges(&[(3, 6)])),
            ranges(&[(5, 6)])
        );
        assert_eq!(set(&["a"]).shortfall(&set(&["a", "b"])), set(&["b"]));
    }

    #[test]
    fn millis_counts_values_and_items() {
        assert_eq!(scalar(1.5).millis(), 1500);
        assert_eq!(ranges(&[(31000, 31009)]).millis(), 10_000);
        assert_eq!(set(&["a", "b"]).millis(), 2000);
        assert!(Value::zero(ValueKind::Ranges).is_zero());
        assert_eq!(ValueKind::from_name("SET"), Some(ValueKind::Set));
        assert_eq!(ValueKind::from_name("TEXT"), None);
    }
}
