//! [`Resources`]: a normalized collection of resource entries and its algebra.

use std::fmt;

use super::resource::{below_zero, internal_kind_error};
use super::{Quantity, Resource, ResourceKey, Value};
use crate::{Error, Result};

/// A collection of resources (an offer's or a task's), normalized: at most one entry per
/// [`ResourceKey`], no zero entries, entries in order of first appearance. Every operation
/// returns a normalized collection; entries keep the `extra` of the entry they came from (the
/// left operand's when both have the key).
#[derive(Debug, Clone, PartialEq)]
pub struct Resources<E = ()> {
    entries: Vec<Resource<E>>,
}

impl<E> Default for Resources<E> {
    fn default() -> Self {
        Resources {
            entries: Vec::new(),
        }
    }
}

impl<E> Resources<E> {
    /// No resources.
    pub fn new() -> Resources<E> {
        Resources::default()
    }

    /// Normalizes entries: same-key entries are merged into the first one (keeping its
    /// `extra`), zero entries are dropped. The same name with two value kinds is an error.
    pub fn from_entries(entries: impl IntoIterator<Item = Resource<E>>) -> Result<Resources<E>> {
        let mut out = Resources::new();
        for entry in entries {
            out.merge(entry)?;
        }
        out.entries.retain(|r| !r.value.is_zero());
        Ok(out)
    }

    /// The entries, normalized.
    pub fn entries(&self) -> &[Resource<E>] {
        &self.entries
    }

    /// Iterates over the entries.
    pub fn iter(&self) -> std::slice::Iter<'_, Resource<E>> {
        self.entries.iter()
    }

    /// The entries, by value.
    pub fn into_entries(self) -> Vec<Resource<E>> {
        self.entries
    }

    /// Number of distinct resources.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value held for `key`, if any.
    pub fn get(&self, key: &ResourceKey) -> Option<&Value> {
        self.entries
            .iter()
            .find(|r| r.key == *key)
            .map(|r| &r.value)
    }

    /// Adds one entry in place (merging into the same key; zero entries are kept until
    /// `from_entries` drops them, so `extra` of a leading zero entry still wins).
    fn merge(&mut self, entry: Resource<E>) -> Result<()> {
        match self.find_same(&entry)? {
            Some(i) => {
                let merged = self.entries[i]
                    .value
                    .add(&entry.value)
                    .ok_or_else(|| internal_kind_error(&entry.key))?;
                self.entries[i].value = merged;
            }
            None => self.entries.push(entry),
        }
        Ok(())
    }

    /// The index of the entry with `other`'s key; a kind error when an entry of the same name
    /// has another value kind.
    fn find_same<F>(&self, other: &Resource<F>) -> Result<Option<usize>> {
        let mut found = None;
        for (i, r) in self.entries.iter().enumerate() {
            if r.key.name != other.key.name {
                continue;
            }
            if r.value.kind() != other.value.kind() {
                let (x, y) = (
                    r.value.kind().min(other.value.kind()),
                    r.value.kind().max(other.value.kind()),
                );
                return Err(Error::ResourceKind(format!(
                    "resource {:?} is given both as {x} and as {y}",
                    r.key.name
                )));
            }
            if found.is_none() && r.key == other.key {
                found = Some(i);
            }
        }
        Ok(found)
    }

    /// True when `self` fits in `other`: for every key of `self`, `other` has at least as much
    /// (ranges and sets: a subset). The same name with two value kinds is an error.
    pub fn contains_in<F>(&self, other: &Resources<F>) -> Result<bool> {
        for entry in &self.entries {
            match other.find_same(entry)? {
                Some(i) if entry.value.fits_in(&other.entries[i].value) => {}
                _ => return Ok(false),
            }
        }
        Ok(true)
    }

    /// True when `other` fits in `self` (Mesos' `Resources::contains`).
    pub fn contains<F>(&self, other: &Resources<F>) -> Result<bool> {
        other.contains_in(self)
    }

    /// Same quantity for every key (zero counts as absent; `extra` is ignored).
    pub fn equals<F>(&self, other: &Resources<F>) -> bool {
        self.entries.len() == other.entries.len()
            && self.entries.iter().all(|r| {
                other
                    .entries
                    .iter()
                    .any(|o| o.key == r.key && o.value == r.value)
            })
    }

    /// Total scalar amount of `name` over every reservation, disk and flag (e.g. all `cpus`).
    pub fn scalar_total(&self, name: &str) -> Quantity {
        self.entries
            .iter()
            .filter(|r| r.key.name == name)
            .filter_map(|r| match r.value {
                Value::Scalar(q) => Some(q),
                _ => None,
            })
            .sum()
    }

    /// Number of values of ranges resource `name` plus items of set resource `name`, over
    /// every entry of that name (e.g. the number of ports).
    pub fn count(&self, name: &str) -> u64 {
        self.entries
            .iter()
            .filter(|r| r.key.name == name)
            .map(|r| match &r.value {
                Value::Scalar(_) => 0,
                Value::Ranges(ranges) => ranges.count(),
                Value::Set(items) => items.len() as u64,
            })
            .fold(0, u64::saturating_add)
    }

    /// Number of ports.
    pub fn ports_count(&self) -> u64 {
        self.count("ports")
    }

    /// One number per name, in thousandths of a unit (every kind): the scalar total, or 1000
    /// per range value or set item. For the bin-packer's vectors.
    pub fn to_vector<S: AsRef<str>>(&self, names: &[S]) -> Vec<i64> {
        names
            .iter()
            .map(|name| {
                let name = name.as_ref();
                self.entries
                    .iter()
                    .filter(|r| r.key.name == name)
                    .map(|r| r.value.millis())
                    .fold(0, i64::saturating_add)
            })
            .collect()
    }
}

impl<E: Clone> Resources<E> {
    /// `self + other`: quantities added per key (scalars summed, ranges and sets united).
    pub fn add(&self, other: &Resources<E>) -> Result<Resources<E>> {
        let mut out = self.clone();
        for entry in &other.entries {
            out.merge(entry.clone())?;
        }
        Ok(out)
    }

    /// `self - other`, per key. Every entry of `other` must fit in `self` (else an error naming
    /// the resource and both amounts); entries that reach zero disappear.
    pub fn sub<F>(&self, other: &Resources<F>) -> Result<Resources<E>> {
        let mut out = self.clone();
        out.sub_assign(other)?;
        Ok(out)
    }

    /// `self -= other`, in place (see [`Resources::sub`]); on an error `self` is unchanged.
    pub fn sub_assign<F>(&mut self, other: &Resources<F>) -> Result<()> {
        // Checked first, so that an error leaves nothing half subtracted.
        let mut lefts = Vec::with_capacity(other.entries.len());
        for entry in &other.entries {
            let Some(i) = self.find_same(entry)? else {
                let zero = Value::zero(entry.value.kind());
                return Err(below_zero(&entry.key, &zero, &entry.value));
            };
            // A key is at most once in a normalized collection: each index comes up once.
            let have = &self.entries[i].value;
            let left = have
                .checked_sub(&entry.value)
                .ok_or_else(|| below_zero(&entry.key, have, &entry.value))?;
            lefts.push((i, left));
        }
        for (i, left) in lefts {
            self.entries[i].value = left;
        }
        self.entries.retain(|r| !r.value.is_zero());
        Ok(())
    }

    /// The entries for which `keep` is true (e.g. those of one role).
    pub fn filter(&self, mut keep: impl FnMut(&Resource<E>) -> bool) -> Resources<E> {
        Resources {
            entries: self.entries.iter().filter(|r| keep(r)).cloned().collect(),
        }
    }
}

/// `cpus:1; mem:128; ports:[31000-31005]`.
impl<E> fmt::Display for Resources<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            r.fmt(f)?;
        }
        Ok(())
    }
}
