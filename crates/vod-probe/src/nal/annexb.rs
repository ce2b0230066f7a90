//! Annex B byte streams: NAL units between start codes, and RBSP from a NAL unit's payload.

/// The NAL units of an Annex B byte stream: the bytes between `00 00 01` start codes (a
/// four-byte start code leaves one trailing zero on the unit before it, which no parser here
/// reads). Bytes before the first start code are skipped.
pub(super) fn nal_units(stream: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = after_start_code(stream);
    std::iter::from_fn(move || {
        let unit = rest?;
        match find_start_code(unit) {
            Some(at) => {
                rest = unit.get(at + 3..);
                Some(unit.get(..at).unwrap_or(unit))
            }
            None => {
                rest = None;
                Some(unit)
            }
        }
    })
}

fn find_start_code(b: &[u8]) -> Option<usize> {
    b.windows(3).position(|w| w == [0, 0, 1])
}

fn after_start_code(b: &[u8]) -> Option<&[u8]> {
    b.get(find_start_code(b)? + 3..)
}

/// NAL unit payload → RBSP: drops each `03` that follows two zero bytes (emulation
/// prevention, H.264 7.4.1 / HEVC 7.4.2), keeping at most `cap` output bytes.
pub(super) fn unescape(nal: &[u8], cap: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len().min(cap));
    let mut zeros = 0usize;
    for &b in nal {
        if out.len() >= cap {
            break;
        }
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emulation_prevention_is_removed() {
        assert_eq!(unescape(&[0, 0, 3, 1], 64), [0, 0, 1]);
        assert_eq!(unescape(&[0, 0, 3, 0, 0, 3, 0], 64), [0, 0, 0, 0, 0]);
        // A 03 not after two zeros stays.
        assert_eq!(unescape(&[0, 3, 0, 3], 64), [0, 3, 0, 3]);
        // 00 00 03 03: only the first 03 is prevention.
        assert_eq!(unescape(&[0, 0, 3, 3], 64), [0, 0, 3]);
        // A trailing 00 00 03 (cabac_zero_words) loses its 03.
        assert_eq!(unescape(&[5, 0, 0, 3], 64), [5, 0, 0]);
        assert_eq!(unescape(&[], 64), Vec::<u8>::new());
        assert_eq!(unescape(&[0, 0, 3], 0), Vec::<u8>::new());
        // The cap bounds the output whatever the input length.
        assert_eq!(unescape(&[7; 10_000], 16).len(), 16);
    }

    #[test]
    fn nal_units_between_start_codes() {
        let s = [9, 9, 0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 1];
        let units: Vec<&[u8]> = nal_units(&s).collect();
        assert_eq!(units, [&[0x67, 1, 2][..], &[0x68, 3][..], &[][..]]);
        assert_eq!(nal_units(&[1, 2, 3]).count(), 0);
        assert_eq!(nal_units(&[0, 0]).count(), 0);
        assert_eq!(
            nal_units(&[0, 0, 1]).collect::<Vec<&[u8]>>(),
            [&[0u8; 0][..]]
        );
    }
}
