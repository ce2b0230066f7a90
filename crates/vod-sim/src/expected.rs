//! The known-open problems: the one list of (invariant, problem) kinds the current code is
//! known to violate. `make test` runs the simulation against it and fails when a kind of
//! violation appears that is not listed (a new bug, or a diagnosis that no longer fits) or
//! when a listed kind no longer appears in its seeds (fixed: take it off the list, so the list
//! stays true). Issue #17's fixes empty it.

use crate::invariants::{Invariant, Problem, Violation};
use std::collections::BTreeMap;

/// A kind of violation: which invariant, diagnosed as which problem.
pub type Kind = (Invariant, Problem);

/// What the current handlers and state machine are known to break (issue #17's problems by
/// number; `docs/reliability.md` has the seed and the story of each).
pub const EXPECTED_VIOLATIONS: &[(Invariant, Problem)] = &[
    // Empty: issue #17's fixes closed every problem the simulation found. A kind seen now is
    // a new bug (or a diagnosis that no longer fits) and fails `make test`.
];

/// Kinds seen over many seeds: the first seed showing each, and how many seeds did.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub kinds: BTreeMap<Kind, (u64, u64)>,
    pub seeds: u64,
    pub seeds_with_violations: u64,
}

impl Tally {
    pub fn add(&mut self, seed: u64, violations: &[Violation]) {
        self.seeds += 1;
        if !violations.is_empty() {
            self.seeds_with_violations += 1;
        }
        let mut seen: Vec<Kind> = violations
            .iter()
            .map(|v| (v.invariant, v.problem))
            .collect();
        seen.sort();
        seen.dedup();
        for kind in seen {
            let entry = self.kinds.entry(kind).or_insert((seed, 0));
            entry.1 += 1;
        }
    }

    /// Kinds seen but not listed (with their first seed), and kinds listed but not seen.
    pub fn judge(&self, expected: &[Kind]) -> (Vec<(Kind, u64)>, Vec<Kind>) {
        let unexpected = self
            .kinds
            .iter()
            .filter(|(k, _)| !expected.contains(k))
            .map(|(k, (seed, _))| (*k, *seed))
            .collect();
        let missing = expected
            .iter()
            .filter(|k| !self.kinds.contains_key(k))
            .copied()
            .collect();
        (unexpected, missing)
    }
}

/// Whether a mutant's run shows a kind the plain run of the same seed does not.
pub fn new_kinds(plain: &[Violation], mutated: &[Violation]) -> Vec<Kind> {
    let before: Vec<Kind> = plain.iter().map(|v| (v.invariant, v.problem)).collect();
    let mut after: Vec<Kind> = mutated
        .iter()
        .map(|v| (v.invariant, v.problem))
        .filter(|k| !before.contains(k))
        .collect();
    after.sort();
    after.dedup();
    after
}
