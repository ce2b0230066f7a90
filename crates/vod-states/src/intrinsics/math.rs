//! Math intrinsics: `States.MathRandom` (Java's seeded generator when given a seed) and
//! `States.MathAdd`.

use serde_json::Value;

use super::args::{arity, java_round, want_int, want_int_lenient};
use crate::error::Failure;

/// `States.MathRandom`.
pub(super) fn math_random(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    arity(name, &args, 2, 3)?;
    let start = want_int_lenient(name, &args[0])?;
    let end = want_int_lenient(name, &args[1])?;
    if end <= start {
        return Err(Failure::intrinsic(format!(
            "Invalid arguments in States.MathRandom: end ({end}) must be greater than start ({start})"
        )));
    }
    let span = end - start;
    let r = if let Some(seed) = args.get(2) {
        let seed = want_int(name, seed)?;
        let bound = i32::try_from(span).unwrap_or(i32::MAX);
        i64::from(JavaRandom::new(seed).next_int(bound))
    } else {
        let span_u = u64::try_from(span).unwrap_or(1).max(1);
        i64::try_from(random_u64() % span_u).unwrap_or(0)
    };
    Ok(Value::from(start + r))
}

/// `States.MathAdd`.
pub(super) fn math_add(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    arity(name, &args, 2, 2)?;
    let a = java_round(name, &args[0])?;
    let b = java_round(name, &args[1])?;
    Ok(Value::from(a.saturating_add(b)))
}

fn random_u64() -> u64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let mut arr = [0u8; 8];
    arr.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(arr)
}

/// Java `java.util.Random` seeded LCG, so seeded `States.MathRandom` is deterministic.
struct JavaRandom(u64);

impl JavaRandom {
    fn new(seed: i64) -> Self {
        #[allow(clippy::cast_sign_loss)]
        Self(((seed as u64) ^ 0x5DEE_CE66D) & ((1u64 << 48) - 1))
    }
    fn next(&mut self, bits: u32) -> i32 {
        self.0 = (self.0.wrapping_mul(0x5DEE_CE66D).wrapping_add(0xB)) & ((1u64 << 48) - 1);
        #[allow(clippy::cast_possible_truncation)]
        let r = (self.0 >> (48 - bits)) as i32;
        r
    }
    fn next_int(&mut self, bound: i32) -> i32 {
        if bound <= 0 {
            return 0;
        }
        if bound & (-bound) == bound {
            #[allow(clippy::cast_possible_truncation)]
            return ((i64::from(bound) * i64::from(self.next(31))) >> 31) as i32;
        }
        loop {
            let bits = self.next(31);
            let val = bits % bound;
            if bits.wrapping_sub(val).wrapping_add(bound - 1) >= 0 {
                return val;
            }
        }
    }
}
