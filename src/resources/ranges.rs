//! Mesos `Value.Ranges`: sets of `u64` values written as inclusive `[begin, end]` intervals.
//!
//! A [`Ranges`] is always normalized: sorted, with overlapping and adjacent intervals merged
//! (`[1,3] + [4,5]` is `[1,5]`), so two equal sets have equal representations.

use std::fmt;

use crate::{Error, Result};

/// One inclusive interval `[begin, end]`, `begin <= end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Range {
    pub begin: u64,
    pub end: u64,
}

impl Range {
    /// `[begin, end]`; `begin > end` is an error naming both.
    pub fn new(begin: u64, end: u64) -> Result<Range> {
        if begin > end {
            return Err(Error::Resource(format!(
                "range begin {begin} is greater than its end {end}"
            )));
        }
        Ok(Range { begin, end })
    }

    /// How many values the interval holds (`u64::MAX + 1` for the full range, hence `u128`).
    pub fn count(self) -> u128 {
        u128::from(self.end - self.begin) + 1
    }
}

/// A normalized set of `u64` values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ranges(Vec<Range>);

impl Ranges {
    /// The empty set.
    pub const fn new() -> Ranges {
        Ranges(Vec::new())
    }

    /// Normalizes any intervals (unsorted, overlapping, adjacent).
    pub fn from_ranges(ranges: impl IntoIterator<Item = Range>) -> Ranges {
        let mut v: Vec<Range> = ranges.into_iter().collect();
        v.sort_unstable();
        let mut out: Vec<Range> = Vec::with_capacity(v.len());
        for r in v {
            match out.last_mut() {
                // Overlapping or adjacent (`last.end + 1 == r.begin`, written to avoid overflow).
                Some(last) if r.begin <= last.end || r.begin - last.end == 1 => {
                    last.end = last.end.max(r.end);
                }
                _ => out.push(r),
            }
        }
        Ranges(out)
    }

    /// Builds from `(begin, end)` pairs, rejecting `begin > end`.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (u64, u64)>) -> Result<Ranges> {
        let ranges = pairs
            .into_iter()
            .map(|(b, e)| Range::new(b, e))
            .collect::<Result<Vec<_>>>()?;
        Ok(Ranges::from_ranges(ranges))
    }

    /// The normalized intervals, ascending and disjoint.
    pub fn ranges(&self) -> &[Range] {
        &self.0
    }

    /// True when no value is in the set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of values in the set, saturated at `u64::MAX`.
    pub fn count(&self) -> u64 {
        let total: u128 = self.0.iter().map(|r| r.count()).sum();
        u64::try_from(total).unwrap_or(u64::MAX)
    }

    /// True when `value` is in the set.
    pub fn contains_value(&self, value: u64) -> bool {
        self.covering(Range {
            begin: value,
            end: value,
        })
    }

    /// True when one interval of `self` covers all of `r`.
    fn covering(&self, r: Range) -> bool {
        // Intervals are disjoint and non-adjacent, so a covered `r` lies within one of them.
        let i = self.0.partition_point(|x| x.end < r.begin);
        self.0
            .get(i)
            .is_some_and(|x| x.begin <= r.begin && r.end <= x.end)
    }

    /// True when every value of `self` is in `other` (`self ⊆ other`).
    pub fn is_subset(&self, other: &Ranges) -> bool {
        self.0.iter().all(|&r| other.covering(r))
    }

    /// `self ∪ other`.
    pub fn union(&self, other: &Ranges) -> Ranges {
        Ranges::from_ranges(self.0.iter().chain(other.0.iter()).copied())
    }

    /// `self ∩ other`.
    pub fn intersection(&self, other: &Ranges) -> Ranges {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < self.0.len() && j < other.0.len() {
            let (a, b) = (self.0[i], other.0[j]);
            let begin = a.begin.max(b.begin);
            let end = a.end.min(b.end);
            if begin <= end {
                out.push(Range { begin, end });
            }
            if a.end < b.end {
                i += 1;
            } else {
                j += 1;
            }
        }
        // Pieces of disjoint, non-adjacent inputs stay disjoint and non-adjacent.
        Ranges(out)
    }

    /// `self \ other`: the values of `self` not in `other` (whatever `other` holds).
    pub fn difference(&self, other: &Ranges) -> Ranges {
        let mut out = Vec::new();
        let mut j = 0;
        for &a in &self.0 {
            let mut begin = a.begin;
            let mut open = true; // `[begin, a.end]` still to be emitted
            while j < other.0.len() && other.0[j].end < begin {
                j += 1;
            }
            let mut k = j;
            while open && k < other.0.len() && other.0[k].begin <= a.end {
                let b = other.0[k];
                if b.begin > begin {
                    out.push(Range {
                        begin,
                        end: b.begin - 1,
                    });
                }
                if b.end >= a.end {
                    open = false;
                } else {
                    begin = b.end + 1;
                    k += 1;
                }
            }
            if open {
                out.push(Range { begin, end: a.end });
            }
        }
        Ranges(out)
    }
}

/// `[31000-31005, 32000-32000]`, as Mesos prints ranges.
impl fmt::Display for Ranges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}-{}", r.begin, r.end)?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rs(pairs: &[(u64, u64)]) -> Ranges {
        Ranges::from_pairs(pairs.iter().copied()).unwrap()
    }

    fn pairs(r: &Ranges) -> Vec<(u64, u64)> {
        r.ranges().iter().map(|r| (r.begin, r.end)).collect()
    }

    #[test]
    fn normalizes_sorts_merges_and_coalesces_adjacent() {
        let r = rs(&[(10, 12), (1, 3), (4, 5), (2, 2), (20, 20), (13, 13)]);
        assert_eq!(pairs(&r), vec![(1, 5), (10, 13), (20, 20)]);
        assert_eq!(r.count(), 5 + 4 + 1);
        assert_eq!(r.to_string(), "[1-5, 10-13, 20-20]");
    }

    #[test]
    fn begin_after_end_is_an_error() {
        let err = Range::new(5, 4).unwrap_err();
        assert!(err
            .to_string()
            .contains("begin 5 is greater than its end 4"));
        assert!(Ranges::from_pairs([(1, 2), (9, 3)]).is_err());
    }

    #[test]
    fn extremes_do_not_overflow() {
        let r = rs(&[(0, u64::MAX - 1), (u64::MAX, u64::MAX)]);
        assert_eq!(pairs(&r), vec![(0, u64::MAX)]);
        assert_eq!(r.count(), u64::MAX);
        let d = r.difference(&rs(&[(0, 0), (u64::MAX, u64::MAX)]));
        assert_eq!(pairs(&d), vec![(1, u64::MAX - 1)]);
    }

    #[test]
    fn union_merges_adjacent_and_overlapping() {
        let u = rs(&[(1, 3)]).union(&rs(&[(4, 6), (8, 9)]));
        assert_eq!(pairs(&u), vec![(1, 6), (8, 9)]);
        let u = rs(&[(1, 10)]).union(&rs(&[(2, 3)]));
        assert_eq!(pairs(&u), vec![(1, 10)]);
    }

    #[test]
    fn difference_splits_intervals() {
        let a = rs(&[(31000, 31010), (32000, 32005)]);
        let d = a.difference(&rs(&[(31000, 31000), (31005, 31006), (32000, 32005)]));
        assert_eq!(pairs(&d), vec![(31001, 31004), (31007, 31010)]);
        assert_eq!(pairs(&a.difference(&Ranges::new())), pairs(&a));
        assert!(a.difference(&a).is_empty());
        // Values of `other` outside `self` are ignored.
        let d = rs(&[(5, 10)]).difference(&rs(&[(1, 6), (9, 20)]));
        assert_eq!(pairs(&d), vec![(7, 8)]);
        let d = rs(&[(1, 2), (4, 5), (7, 8)]).difference(&rs(&[(2, 7)]));
        assert_eq!(pairs(&d), vec![(1, 1), (8, 8)]);
    }

    #[test]
    fn subset_and_membership() {
        let b = rs(&[(1, 5), (10, 20)]);
        assert!(rs(&[(2, 3), (10, 10), (20, 20)]).is_subset(&b));
        assert!(Ranges::new().is_subset(&b));
        assert!(b.is_subset(&b));
        assert!(!rs(&[(5, 6)]).is_subset(&b));
        assert!(!rs(&[(0, 0)]).is_subset(&b));
        assert!(!rs(&[(4, 11)]).is_subset(&b));
        assert!(b.contains_value(15));
        assert!(!b.contains_value(7));
    }

    #[test]
    fn intersection() {
        let a = rs(&[(1, 5), (10, 20)]);
        let i = a.intersection(&rs(&[(4, 12), (18, 30)]));
        assert_eq!(pairs(&i), vec![(4, 5), (10, 12), (18, 20)]);
        assert!(a.intersection(&rs(&[(6, 9)])).is_empty());
    }
}
