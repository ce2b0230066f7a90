//! A bit writer for the tests: builds SPS fixtures field by field, with emulation prevention.

/// Writes bits MSB first; for building SPS fixtures field by field.
#[derive(Default)]
pub(super) struct Writer {
    pub(super) bytes: Vec<u8>,
    bits: usize,
}

impl Writer {
    pub(super) fn put(&mut self, value: u64, n: u32) -> &mut Self {
        for i in (0..n).rev() {
            if self.bits.is_multiple_of(8) {
                self.bytes.push(0);
            }
            let bit = value.checked_shr(i).map_or(0, |v| (v & 1) as u8);
            if let Some(last) = self.bytes.last_mut() {
                *last |= bit << (7 - self.bits % 8);
            }
            self.bits += 1;
        }
        self
    }
    pub(super) fn flag(&mut self, f: bool) -> &mut Self {
        self.put(u64::from(f), 1)
    }
    pub(super) fn ue(&mut self, v: u64) -> &mut Self {
        let x = v + 1;
        let len = 64 - x.leading_zeros();
        self.put(0, len - 1).put(x, len)
    }
    pub(super) fn se(&mut self, v: i64) -> &mut Self {
        let k = if v > 0 { 2 * v - 1 } else { -2 * v };
        self.ue(k as u64)
    }
    /// rbsp_trailing_bits, then emulation prevention as an encoder would add it.
    pub(super) fn nal(&mut self, header: &[u8]) -> Vec<u8> {
        self.put(1, 1);
        while !self.bits.is_multiple_of(8) {
            self.put(0, 1);
        }
        let mut out = header.to_vec();
        let mut zeros = 0;
        for &b in &self.bytes {
            if zeros >= 2 && b <= 3 {
                out.push(3);
                zeros = 0;
            }
            zeros = if b == 0 { zeros + 1 } else { 0 };
            out.push(b);
        }
        out
    }
}
