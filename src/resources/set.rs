//! Mesos `Value.Set`: a set of strings (e.g. a `gpus` or `zones` resource of type SET).

use std::collections::BTreeSet;
use std::fmt;

/// A set of distinct items, kept sorted so equal sets compare and print the same.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ItemSet(BTreeSet<String>);

impl ItemSet {
    /// The empty set.
    pub const fn new() -> ItemSet {
        ItemSet(BTreeSet::new())
    }

    /// The items, sorted.
    pub fn items(&self) -> impl ExactSizeIterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is no item.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `item` is in the set.
    pub fn contains(&self, item: &str) -> bool {
        self.0.contains(item)
    }

    /// True when every item of `self` is in `other`.
    pub fn is_subset(&self, other: &ItemSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// `self ∪ other` (Mesos set addition).
    pub fn union(&self, other: &ItemSet) -> ItemSet {
        ItemSet(self.0.union(&other.0).cloned().collect())
    }

    /// `self ∩ other`.
    pub fn intersection(&self, other: &ItemSet) -> ItemSet {
        ItemSet(self.0.intersection(&other.0).cloned().collect())
    }

    /// `self \ other`.
    pub fn difference(&self, other: &ItemSet) -> ItemSet {
        ItemSet(self.0.difference(&other.0).cloned().collect())
    }
}

impl<S: Into<String>> FromIterator<S> for ItemSet {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> ItemSet {
        ItemSet(iter.into_iter().map(Into::into).collect())
    }
}

/// `{a, b}`, as Mesos prints sets.
impl fmt::Display for ItemSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(item)?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(items: &[&str]) -> ItemSet {
        items.iter().copied().collect()
    }

    #[test]
    fn union_difference_subset() {
        let a = s(&["gpu0", "gpu1"]);
        let b = s(&["gpu1", "gpu2"]);
        assert_eq!(a.union(&b), s(&["gpu0", "gpu1", "gpu2"]));
        assert_eq!(a.difference(&b), s(&["gpu0"]));
        assert_eq!(a.intersection(&b), s(&["gpu1"]));
        assert!(s(&["gpu1"]).is_subset(&a));
        assert!(!b.is_subset(&a));
        assert!(ItemSet::new().is_subset(&a));
        assert_eq!(s(&["b", "a", "a"]).len(), 2);
        assert_eq!(s(&["b", "a"]).to_string(), "{a, b}");
        assert!(a.contains("gpu0") && !a.contains("gpu2"));
    }
}
