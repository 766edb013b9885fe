//! Queued tasks, grouped by demand: tasks with byte-identical `resources` share a class, so a
//! placement round looks at classes (few) and takes from each only as many tasks as the offers
//! could hold, never scanning the whole queue.

use std::collections::{BTreeSet, HashMap, VecDeque};

use super::task::{Phase, Serial, Task};
use super::FastMap;
use crate::resources::Resources;

/// Whether a class fits some known agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// Not checked yet (or no agent known).
    Unchecked,
    /// Fits at least one agent's known capacity.
    Fits,
    /// Larger than every known agent since this time.
    TooBig { since_ms: u64 },
}

/// Tasks with one demand.
#[derive(Debug)]
pub struct Class {
    /// Encoded `resources` of its tasks (the class key).
    pub sig: Vec<u8>,
    pub demand: Resources,
    /// Demand per packing dimension, in thousandths.
    pub vector: Vec<i64>,
    /// Queued tasks, oldest first; entries of tasks that ended meanwhile are skipped.
    queue: VecDeque<Serial>,
    /// Live tasks in `queue`.
    pub waiting: usize,
    pub fit: Fit,
}

/// The queue: classes by signature, with the set of classes that have waiting tasks.
#[derive(Debug, Default)]
pub struct Queue {
    classes: Vec<Option<Class>>,
    free: Vec<usize>,
    by_sig: HashMap<Vec<u8>, usize>,
    /// Classes with waiting tasks, oldest class first.
    active: BTreeSet<usize>,
    /// Waiting tasks in all classes.
    waiting: usize,
    /// Classes taken from in the current round (retired in `give_back` when left empty).
    touched: Vec<usize>,
}

/// A task taken out of the queue for a placement round.
#[derive(Clone, Copy, Debug)]
pub struct Candidate {
    pub class: usize,
    pub serial: Serial,
}

impl Queue {
    /// Waiting tasks.
    pub fn waiting(&self) -> usize {
        self.waiting
    }

    pub fn class(&self, id: usize) -> Option<&Class> {
        self.classes.get(id).and_then(Option::as_ref)
    }

    pub fn class_mut(&mut self, id: usize) -> Option<&mut Class> {
        self.classes.get_mut(id).and_then(Option::as_mut)
    }

    /// The class for `sig`, created from `demand`/`vector` when new. Returns `(id, created)`.
    pub fn class_for(
        &mut self,
        sig: Vec<u8>,
        make: impl FnOnce() -> (Resources, Vec<i64>),
    ) -> (usize, bool) {
        if let Some(&id) = self.by_sig.get(&sig) {
            return (id, false);
        }
        let (demand, vector) = make();
        let class = Class {
            sig: sig.clone(),
            demand,
            vector,
            queue: VecDeque::new(),
            waiting: 0,
            fit: Fit::Unchecked,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.classes[id] = Some(class);
                id
            }
            None => {
                self.classes.push(Some(class));
                self.classes.len() - 1
            }
        };
        self.by_sig.insert(sig, id);
        (id, true)
    }

    /// Queues a task at the back (new work) or the front (a retry keeps its place in line).
    pub fn push(&mut self, class: usize, serial: Serial, front: bool) {
        let Some(c) = self.class_mut(class) else {
            return;
        };
        if front {
            c.queue.push_front(serial);
        } else {
            c.queue.push_back(serial);
        }
        c.waiting += 1;
        self.waiting += 1;
        self.active.insert(class);
    }

    /// A queued task left the queue without being taken (killed, failed): its entry becomes
    /// stale and is skipped later.
    pub fn forget(&mut self, class: usize) {
        if let Some(c) = self.class_mut(class) {
            c.waiting = c.waiting.saturating_sub(1);
            self.waiting = self.waiting.saturating_sub(1);
        }
        self.retire_if_empty(class);
    }

    /// Removes every waiting task of `class` (it can never run); returns them, oldest first.
    pub fn drain(&mut self, class: usize, tasks: &FastMap<Serial, Task>) -> Vec<Serial> {
        let Some(c) = self.classes.get_mut(class).and_then(Option::as_mut) else {
            return Vec::new();
        };
        let out: Vec<Serial> = c
            .queue
            .drain(..)
            .filter(|s| is_queued_in(tasks, *s, class))
            .collect();
        self.waiting = self.waiting.saturating_sub(c.waiting);
        c.waiting = 0;
        self.retire_if_empty(class);
        out
    }

    /// Takes up to `limit` candidates: from each waiting class (oldest class first) that fits
    /// within `maxes` (the largest remaining capacity per dimension of any offer), as many tasks
    /// as `totals` (the offers' summed capacity) could hold, oldest tasks first.
    pub fn take(
        &mut self,
        tasks: &FastMap<Serial, Task>,
        totals: &[i64],
        maxes: &[i64],
        limit: usize,
    ) -> Vec<Candidate> {
        let mut out = Vec::new();
        let active: Vec<usize> = self.active.iter().copied().collect();
        for id in active {
            if out.len() >= limit {
                break;
            }
            let Some(c) = self.classes.get_mut(id).and_then(Option::as_mut) else {
                continue;
            };
            if c.vector.iter().zip(maxes).any(|(v, m)| v > m) {
                continue;
            }
            let cap = c
                .vector
                .iter()
                .zip(totals)
                .filter(|(v, _)| **v > 0)
                .map(|(v, t)| usize::try_from(t / v).unwrap_or(0))
                .min()
                .unwrap_or(usize::MAX);
            let mut want = cap.min(c.waiting).min(limit - out.len());
            while want > 0 {
                let Some(serial) = c.queue.pop_front() else {
                    break;
                };
                if !is_queued_in(tasks, serial, id) {
                    continue;
                }
                out.push(Candidate { class: id, serial });
                c.waiting -= 1;
                self.waiting -= 1;
                want -= 1;
            }
            self.touched.push(id);
        }
        out
    }

    /// Ends a round: puts unplaced candidates back at the front of their classes, in their
    /// original order. Every [`Queue::take`] must be followed by one `give_back`.
    pub fn give_back(&mut self, candidates: &[Candidate]) {
        for c in candidates.iter().rev() {
            self.push(c.class, c.serial, true);
        }
        for id in std::mem::take(&mut self.touched) {
            self.retire_if_empty(id);
        }
    }

    /// Drops a class with nothing waiting (its stale entries go with it); a later task with the
    /// same demand makes a new one.
    fn retire_if_empty(&mut self, id: usize) {
        let empty = self.class(id).is_some_and(|c| c.waiting == 0);
        if empty {
            self.active.remove(&id);
            if let Some(c) = self.classes.get_mut(id).and_then(Option::take) {
                self.by_sig.remove(&c.sig);
                self.free.push(id);
            }
        }
    }
}

fn is_queued_in(tasks: &FastMap<Serial, Task>, serial: Serial, class: usize) -> bool {
    tasks
        .get(&serial)
        .is_some_and(|t| t.phase == Phase::Queued && t.class == class)
}
