//! Where the engine's randomness comes from: task tokens, retry jitter and default execution
//! names. The default draws from the operating system, as Step Functions' own values are
//! unpredictable; a simulation passes a seeded source so one seed replays an execution exactly.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use vod_states::{Engine, Entropy, FakeClock, FnInvoker};
//!
//! /// Counts up: every token, jitter and name is the same on every run.
//! #[derive(Debug, Default)]
//! struct Counter(AtomicU64);
//! impl Entropy for Counter {
//!     fn next_u64(&self) -> u64 {
//!         self.0.fetch_add(1, Ordering::Relaxed)
//!     }
//! }
//!
//! let engine = Engine::new(
//!     Arc::new(FnInvoker::new(|_, v, _| Ok(v))),
//!     Arc::new(FakeClock::instant(chrono::Utc::now())),
//! );
//! engine.set_entropy(Arc::new(Counter::default()));
//! ```
//!
//! `States.UUID` and `States.MathRandom` are evaluated without the engine and still draw from
//! the operating system.

use std::fmt;

/// A source of random 64-bit values for an [`crate::Engine`].
pub trait Entropy: Send + Sync + fmt::Debug {
    /// The next value; any distribution over all of `u64` will do.
    fn next_u64(&self) -> u64;
}

/// The operating system's randomness (through `uuid`'s v4 generator).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn next_u64(&self) -> u64 {
        // The low 64 bits of a v4 UUID hold 62 random bits and the variant; mix in the high
        // half so every bit varies.
        let v = uuid::Uuid::new_v4().as_u128();
        (v as u64) ^ ((v >> 64) as u64)
    }
}

/// A UUID-shaped name (8-4-4-4-12 lowercase hex, version 4 bits set) from `entropy`.
pub(crate) fn uuid_from(entropy: &dyn Entropy) -> String {
    let hi = u128::from(entropy.next_u64());
    let lo = u128::from(entropy.next_u64());
    uuid::Builder::from_random_bytes(((hi << 64) | lo).to_be_bytes())
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[derive(Debug, Default)]
    struct Counter(AtomicU64);
    impl Entropy for Counter {
        fn next_u64(&self) -> u64 {
            self.0.fetch_add(1, Ordering::Relaxed)
        }
    }

    #[test]
    fn the_same_source_gives_the_same_names() {
        let (a, b) = (Counter::default(), Counter::default());
        assert_eq!(uuid_from(&a), uuid_from(&b));
        assert_ne!(uuid_from(&a), uuid_from(&Counter::default()));
        assert_eq!(uuid_from(&a).len(), 36);
    }

    #[test]
    fn os_entropy_varies() {
        assert_ne!(OsEntropy.next_u64(), OsEntropy.next_u64());
    }
}
