//! The seed's randomness: one ChaCha8 stream per purpose (the scenario, the faults, the state
//! machine's tokens and jitter), so adding a draw to one purpose does not reshuffle the others.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Mutex;

/// What a stream is for; its number is the ChaCha stream id.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    Scenario = 1,
    Faults = 2,
    Engine = 3,
    Delays = 4,
}

/// A seeded random stream with the few draws the simulation needs.
#[derive(Debug, Clone)]
pub struct Chance(ChaCha8Rng);

impl Chance {
    pub fn new(seed: u64, stream: Stream) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream as u64);
        Self(rng)
    }

    /// True with probability `p` (clamped to 0..=1).
    pub fn ratio(&mut self, p: f64) -> bool {
        self.0.gen_bool(p.clamp(0.0, 1.0))
    }

    /// A whole number in `lo..hi` (`lo` when the range is empty).
    pub fn below(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            self.0.gen_range(lo..hi)
        }
    }

    /// A real number in `lo..hi`.
    pub fn between(&mut self, lo: f64, hi: f64) -> f64 {
        if hi <= lo {
            lo
        } else {
            self.0.gen_range(lo..hi)
        }
    }

    /// One of `items` (the first when there is only one; `items` must not be empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        let i = self.below(0, items.len() as u64) as usize;
        items[i.min(items.len().saturating_sub(1))]
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.r#gen()
    }
}

/// The state machine's tokens, retry jitter and execution names, drawn from the seed.
#[derive(Debug)]
pub struct EngineEntropy(Mutex<Chance>);

impl EngineEntropy {
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(Chance::new(seed, Stream::Engine)))
    }
}

impl vod_states::Entropy for EngineEntropy {
    fn next_u64(&self) -> u64 {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_and_a_stream_give_one_sequence() {
        let draw = |seed, stream| {
            let mut c = Chance::new(seed, stream);
            (0..4).map(|_| c.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(1, Stream::Faults), draw(1, Stream::Faults));
        assert_ne!(draw(1, Stream::Faults), draw(2, Stream::Faults));
        assert_ne!(draw(1, Stream::Faults), draw(1, Stream::Scenario));
    }
}
