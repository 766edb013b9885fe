//! One resource entry: identity, amount, and whatever else its source carried.

use std::fmt;

use super::{ItemSet, Quantity, Ranges, ResourceKey, Value};
use crate::{Error, Result};

/// One resource entry (a Mesos `Resource`): what it is ([`ResourceKey`]), how much ([`Value`]),
/// and `extra`, an opaque handle on the entry it came from (the Python binding keeps the source
/// dict there, a proto binding would keep the message) so results can carry every other field
/// (`allocation_info`, `reservations`, `disk`, ...) back with only the value replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource<E = ()> {
    pub key: ResourceKey,
    pub value: Value,
    pub extra: E,
}

impl Resource<()> {
    /// An unreserved scalar resource (`cpus`, `mem`, `disk`, `gpus`, ...).
    pub fn scalar(name: impl Into<String>, value: f64) -> Result<Resource> {
        Ok(Resource::new(
            ResourceKey::unreserved(name),
            Value::Scalar(Quantity::from_f64(value)?),
        ))
    }

    /// An unreserved ranges resource (`ports`), from inclusive `(begin, end)` pairs.
    pub fn ranges(
        name: impl Into<String>,
        pairs: impl IntoIterator<Item = (u64, u64)>,
    ) -> Result<Resource> {
        Ok(Resource::new(
            ResourceKey::unreserved(name),
            Value::Ranges(Ranges::from_pairs(pairs)?),
        ))
    }

    /// An unreserved set resource.
    pub fn set<S: Into<String>>(
        name: impl Into<String>,
        items: impl IntoIterator<Item = S>,
    ) -> Resource {
        Resource::new(
            ResourceKey::unreserved(name),
            Value::Set(items.into_iter().collect::<ItemSet>()),
        )
    }

    /// A resource with no source entry.
    pub fn new(key: ResourceKey, value: Value) -> Resource {
        Resource {
            key,
            value,
            extra: (),
        }
    }
}

impl<E> Resource<E> {
    /// The same resource with another `extra`.
    pub fn with_extra<F>(self, extra: F) -> Resource<F> {
        Resource {
            key: self.key,
            value: self.value,
            extra,
        }
    }

    /// The resource name (`cpus`, `mem`, `ports`, ...).
    pub fn name(&self) -> &str {
        &self.key.name
    }

    /// The role it is reserved for, `"*"` when unreserved.
    pub fn role(&self) -> &str {
        self.key.role()
    }

    /// Errors unless `other` is the same kind of resource (single-resource arithmetic).
    pub fn check_same_kind<F>(&self, other: &Resource<F>, op: &str) -> Result<()> {
        if self.key.name != other.key.name || self.value.kind() != other.value.kind() {
            return Err(Error::ResourceKind(format!(
                "cannot {op} {} ({}) and {} ({}): different resources",
                self.key,
                self.value.kind(),
                other.key,
                other.value.kind()
            )));
        }
        if self.key != other.key {
            return Err(Error::ResourceKind(format!(
                "cannot {op} {} and {}: different reservations or resource flags",
                self.key, other.key
            )));
        }
        Ok(())
    }
}

impl<E: Clone> Resource<E> {
    /// `self + other` for the same kind of resource (else a kind error); keeps `self.extra`.
    pub fn checked_add<F>(&self, other: &Resource<F>) -> Result<Resource<E>> {
        self.check_same_kind(other, "add")?;
        let value = self
            .value
            .add(&other.value)
            .ok_or_else(|| internal_kind_error(&self.key))?;
        Ok(self.with_value(value))
    }

    /// `self - other` for the same kind of resource; an error when `other` does not fit.
    pub fn checked_sub<F>(&self, other: &Resource<F>) -> Result<Resource<E>> {
        self.check_same_kind(other, "subtract")?;
        match self.value.checked_sub(&other.value) {
            Some(value) => Ok(self.with_value(value)),
            None => Err(below_zero(&self.key, &self.value, &other.value)),
        }
    }

    /// A copy with another value.
    pub fn with_value(&self, value: Value) -> Resource<E> {
        Resource {
            key: self.key.clone(),
            value,
            extra: self.extra.clone(),
        }
    }
}

/// A kind check already passed, so a kind mismatch here is a bug; still no panic.
pub(super) fn internal_kind_error(key: &ResourceKey) -> Error {
    Error::ResourceKind(format!("{key}: mismatched value kinds"))
}

/// The error for `have - want` going below zero, naming the resource and both amounts.
pub(super) fn below_zero(key: &ResourceKey, have: &Value, want: &Value) -> Error {
    let missing = have.shortfall(want);
    Error::Resource(format!(
        "cannot subtract {key} {want} from {have}: {missing} short"
    ))
}

/// `cpus(reserved for "a"):1.5`, close to how Mesos prints resources.
impl<E> fmt::Display for Resource<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.key, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_resource_arithmetic_checks_kinds() {
        let cpus = Resource::scalar("cpus", 1.0).unwrap();
        let mem = Resource::scalar("mem", 2.0).unwrap();
        let err = cpus.checked_add(&mem).unwrap_err();
        assert!(matches!(err, Error::ResourceKind(_)));
        assert!(err.to_string().contains("cpus (SCALAR) and mem (SCALAR)"));
        let sum = cpus
            .checked_add(&Resource::scalar("cpus", 0.5).unwrap())
            .unwrap();
        assert_eq!(sum.to_string(), "cpus:1.5");
        let mut reserved = Resource::scalar("cpus", 1.0).unwrap();
        reserved.key = ResourceKey::reserved_for("cpus", "a").unwrap();
        assert!(matches!(
            cpus.checked_add(&reserved).unwrap_err(),
            Error::ResourceKind(_)
        ));
    }

    #[test]
    fn single_resource_subtraction_below_zero() {
        let cpus = Resource::scalar("cpus", 1.0).unwrap();
        let err = cpus
            .checked_sub(&Resource::scalar("cpus", 1.5).unwrap())
            .unwrap_err();
        assert!(matches!(err, Error::Resource(_)));
        assert_eq!(
            err.to_string(),
            "cannot subtract cpus 1.5 from 1: 0.5 short"
        );
        let ports = Resource::ranges("ports", [(1, 5)]).unwrap();
        let taken = ports
            .checked_sub(&Resource::ranges("ports", [(2, 3)]).unwrap())
            .unwrap();
        assert_eq!(taken.to_string(), "ports:[1-1, 4-5]");
        let err = ports
            .checked_sub(&Resource::ranges("ports", [(5, 6)]).unwrap())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot subtract ports [5-6] from [1-5]: [6-6] short"
        );
    }
}
