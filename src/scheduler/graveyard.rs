//! Mesos ids of tasks that ended (and of abandoned attempts), remembered for a while: a late
//! non-terminal update for one of them means a copy is still running that nobody waits for.

use std::collections::{HashSet, VecDeque};

#[derive(Debug, Default)]
pub struct Graveyard {
    order: VecDeque<String>,
    ids: HashSet<String>,
    capacity: usize,
}

impl Graveyard {
    pub fn new(capacity: usize) -> Self {
        Graveyard {
            order: VecDeque::new(),
            ids: HashSet::new(),
            capacity,
        }
    }

    pub fn bury(&mut self, id: String) {
        if self.capacity == 0 || !self.ids.insert(id.clone()) {
            return;
        }
        self.order.push_back(id);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }
}
