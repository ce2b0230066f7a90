//! Switches that re-introduce bugs issue #17 fixed, so `vod-sim --mutant NAME` can show its
//! invariants catch them. Only built with the `mutants` feature (vod-sim's), never in a Lambda.
//! Process-wide: vod-sim runs one seed at a time.

use std::sync::atomic::{AtomicBool, Ordering};

static KEY_MIXUP: AtomicBool = AtomicBool::new(false);

/// The raw/decoded key mix-up (problem 2): the notifier derives the asset id from the event's
/// raw key while ingest-probe derives it from the decoded one.
pub fn set_key_mixup(on: bool) {
    KEY_MIXUP.store(on, Ordering::SeqCst);
}

pub fn key_mixup() -> bool {
    KEY_MIXUP.load(Ordering::SeqCst)
}
