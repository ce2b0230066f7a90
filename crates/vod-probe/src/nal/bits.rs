//! The RBSP bit reader: fixed-width fields and Exp-Golomb codes, `None` past the end.

/// A most-significant-bit-first reader with Exp-Golomb codes. Every getter returns `None`
/// past the end instead of panicking or inventing zeros.
#[derive(Debug, Clone)]
pub(super) struct Bits<'b> {
    buf: &'b [u8],
    /// Position in bits.
    pos: usize,
}

impl<'b> Bits<'b> {
    pub(super) fn new(buf: &'b [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(super) fn bit(&mut self) -> Option<u32> {
        let byte = self.buf.get(self.pos / 8)?;
        let bit = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(bit))
    }

    pub(super) fn flag(&mut self) -> Option<bool> {
        self.bit().map(|b| b == 1)
    }

    /// `n` bits (at most 32) as an unsigned number.
    pub(super) fn bits(&mut self, n: u32) -> Option<u32> {
        if n > 32 {
            return None;
        }
        let mut v = 0u64;
        for _ in 0..n {
            v = (v << 1) | u64::from(self.bit()?);
        }
        u32::try_from(v).ok()
    }

    pub(super) fn skip(&mut self, n: usize) -> Option<()> {
        let end = self.pos.checked_add(n)?;
        if end > self.buf.len().checked_mul(8)? {
            return None;
        }
        self.pos = end;
        Some(())
    }

    /// `ue(v)`: unsigned Exp-Golomb. Codes with more than 31 leading zeros (values past
    /// 2³² − 2) are not valid in either standard and are refused.
    pub(super) fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0u32;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let suffix = u64::from(self.bits(zeros)?);
        u32::try_from((1u64 << zeros) - 1 + suffix).ok()
    }

    /// `se(v)`: signed Exp-Golomb (1, −1, 2, −2, … for codes 1, 2, 3, 4, …).
    pub(super) fn se(&mut self) -> Option<i32> {
        let k = i64::from(self.ue()?);
        let v = if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) };
        i32::try_from(v).ok()
    }

    /// `ue(v)` that must not exceed `max` (a range the standard sets).
    pub(super) fn ue_max(&mut self, max: u32) -> Option<u32> {
        self.ue().filter(|v| *v <= max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nal::writer::Writer;

    #[test]
    fn exp_golomb_round_trips() {
        let values = [0u64, 1, 2, 3, 7, 8, 254, 255, 1 << 16, (1 << 32) - 2];
        let mut w = Writer::default();
        for v in values {
            w.ue(v);
        }
        for v in [0i64, 1, -1, 2, -2, 1000, -1000] {
            w.se(v);
        }
        let mut r = Bits::new(&w.bytes);
        for v in values {
            assert_eq!(r.ue().map(u64::from), Some(v));
        }
        for v in [0i32, 1, -1, 2, -2, 1000, -1000] {
            assert_eq!(r.se(), Some(v));
        }
    }

    #[test]
    fn exp_golomb_known_codes() {
        // 1 → 0; 010 → 1; 011 → 2; 00100 → 3; 00111 → 6
        let mut r = Bits::new(&[0b1010_0110, 0b0100_0011, 0b1000_0000]);
        assert_eq!(
            [r.ue(), r.ue(), r.ue(), r.ue(), r.ue()],
            [Some(0), Some(1), Some(2), Some(3), Some(6)]
        );
    }

    #[test]
    fn exp_golomb_refuses_malformed_codes() {
        // Runs off the end while counting zeros.
        assert_eq!(Bits::new(&[0, 0]).ue(), None);
        assert_eq!(Bits::new(&[]).ue(), None);
        // 0001 010 → 9; and a complete prefix whose suffix is cut off.
        assert_eq!(Bits::new(&[0b0001_0100]).ue(), Some(9));
        assert_eq!(Bits::new(&[0b0000_0001]).ue(), None);
        // 32 leading zeros: a value past 2^32 - 2, refused rather than wrapped.
        let mut long = vec![0u8; 4];
        long.extend([0x80, 0, 0, 0, 0]);
        assert_eq!(Bits::new(&long).ue(), None);
        // 31 leading zeros and all-ones suffix: the largest valid value.
        let mut max = vec![0u8; 3];
        max.extend([0b0000_0001, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(Bits::new(&max).ue(), Some(u32::MAX - 1));
        // 2^32 - 1 + 2^32 - 1 does not fit: the top suffix with 31 zeros is in range, and
        // se() of the largest code stays in i32.
        assert_eq!(Bits::new(&max).se(), Some(i32::MIN + 1));
    }

    #[test]
    fn bits_stop_at_the_end() {
        let mut r = Bits::new(&[0xA5]);
        assert_eq!(r.bits(4), Some(0xA));
        assert_eq!(r.bits(5), None);
        assert_eq!(r.bits(33), None);
        let mut r = Bits::new(&[0xFF; 8]);
        assert_eq!(r.bits(32), Some(u32::MAX));
        assert_eq!(r.skip(usize::MAX), None);
        assert_eq!(r.skip(32), Some(()));
        assert_eq!(r.bit(), None);
    }
}
