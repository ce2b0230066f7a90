//! ISO BMFF box headers, child boxes inside bytes already read, and the payloads of the small
//! leaf boxes (`mvhd`/`mdhd` times, `tkhd` rotation, `mdhd` language).

use crate::source::{Cur, Stop, corrupt, truncated};

#[derive(Debug, Clone, Copy)]
pub(super) struct BoxHeader {
    pub(super) kind: [u8; 4],
    pub(super) start: u64,
    pub(super) header_len: u64,
    /// Total size, header included, with size 0 ("to the end") resolved.
    pub(super) size: u64,
}

impl BoxHeader {
    pub(super) fn end(&self) -> u64 {
        self.start.saturating_add(self.size)
    }
    pub(super) fn payload_start(&self) -> u64 {
        self.start + self.header_len
    }
    pub(super) fn payload_len(&self) -> u64 {
        self.size - self.header_len
    }
    pub(super) fn name(&self) -> String {
        fourcc(&self.kind)
    }
}

pub(super) fn fourcc(kind: &[u8; 4]) -> String {
    kind.iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect()
}

pub(super) fn printable(kind: &[u8; 4]) -> bool {
    kind.iter()
        .all(|&b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-' || b == b'_' || b == 0xA9)
}

/// Parses a box header from `bytes` read at `start`; `limit` is where the parent ends.
/// Returns `Ok(None)` when fewer than 8 bytes remain before `limit`.
pub(super) fn parse_header(
    bytes: &[u8],
    start: u64,
    limit: u64,
) -> Result<Option<BoxHeader>, Stop> {
    let mut c = Cur::new(bytes);
    let (Some(size32), Some(kind)) = (c.u32(), c.array::<4>()) else {
        return Ok(None);
    };
    let (size, header_len) = match size32 {
        0 => (limit.saturating_sub(start), 8),
        1 => {
            let Some(large) = c.u64() else {
                return Err(truncated(format!(
                    "the file ends inside the header of box `{}` at byte {start}",
                    fourcc(&kind)
                )));
            };
            (large, 16)
        }
        n => (u64::from(n), 8),
    };
    if size < header_len {
        return Err(corrupt(format!(
            "box `{}` at byte {start} declares {size} bytes, less than its own header; the file is damaged",
            fourcc(&kind)
        )));
    }
    Ok(Some(BoxHeader {
        kind,
        start,
        header_len,
        size,
    }))
}

/// Child boxes inside bytes already in memory.
pub(super) fn inner_boxes(b: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let mut c = Cur::new(b.get(pos..)?);
        let size = usize::try_from(c.u32()?).ok()?;
        let kind = c.array::<4>()?;
        if size < 8 {
            return None;
        }
        let body = b.get(pos + 8..pos.checked_add(size)?)?;
        pos += size;
        Some((kind, body))
    })
}

/// Reads `(timescale, duration)` from an `mvhd`/`mdhd` payload: version 1 widens the
/// creation/modification times and the duration to 64 bits.
pub(super) fn time_header(b: &[u8]) -> Option<(u32, u64)> {
    let mut c = Cur::new(b);
    let version = c.u8()?;
    c.skip(3)?;
    // All ones means "unknown" in either version.
    if version == 1 {
        c.skip(16)?;
        let timescale = c.u32()?;
        let duration = c.u64()?;
        return Some((timescale, if duration == u64::MAX { 0 } else { duration }));
    }
    c.skip(8)?;
    let timescale = c.u32()?;
    let duration = c.u32()?;
    Some((
        timescale,
        if duration == u32::MAX {
            0
        } else {
            u64::from(duration)
        },
    ))
}

/// Clockwise rotation in degrees from the `tkhd` matrix `[a b u; c d v; x y w]` (16.16 fixed point).
pub(super) fn tkhd_rotation(b: &[u8]) -> Option<u16> {
    // version/flags, times, track_ID, reserved, duration, reserved(8), layer, group, volume,
    // reserved: the matrix follows.
    let matrix_at = if *b.first()? == 1 { 52 } else { 40 };
    let mut c = Cur::new(b.get(matrix_at..)?);
    let a = c.u32()? as i32;
    let bb = c.u32()? as i32;
    // The matrix maps (x, y) to (a·x + c·y, b·x + d·y) in screen coordinates, y pointing down,
    // so atan2(b, a) is already the clockwise angle: [0 1; -1 0] turns right into down, a
    // quarter turn clockwise, as an upright iPhone portrait clip has it (90; ffmpeg reads the
    // same matrix as "rotation of -90 degrees", its display matrices counting anticlockwise).
    let degrees = f64::from(bb).atan2(f64::from(a)).to_degrees();
    let quarter = ((degrees / 90.0).round() as i64).rem_euclid(4);
    Some((quarter * 90) as u16)
}

/// ISO 639-2/T packed as three 5-bit letters (each `letter - 0x60`).
pub(super) fn language(packed: u16) -> Option<String> {
    let letters: String = [10u16, 5, 0]
        .iter()
        .map(|shift| char::from(((packed >> shift) & 0x1F) as u8 + 0x60))
        .collect();
    (letters.chars().all(|c| c.is_ascii_lowercase()) && letters != "und").then_some(letters)
}

#[cfg(test)]
mod tests {
    use super::tkhd_rotation;

    /// A version-0 `tkhd` payload whose matrix starts `[a b 0; c d 0]` (16.16 fixed point).
    fn tkhd(a: i32, b: i32, c: i32, d: i32) -> Vec<u8> {
        let mut payload = vec![0u8; 40];
        for value in [a, b, 0, c, d, 0, 0, 0] {
            payload.extend_from_slice(&(value * 0x1_0000).to_be_bytes()[..]);
        }
        payload.extend_from_slice(&0x4000_0000i32.to_be_bytes()[..]); // w = 1.0 in 2.30
        payload
    }

    #[test]
    fn tkhd_matrices_give_clockwise_quarter_turns() {
        assert_eq!(tkhd_rotation(&tkhd(1, 0, 0, 1)), Some(0));
        // An upright iPhone portrait clip: right turns into down.
        assert_eq!(tkhd_rotation(&tkhd(0, 1, -1, 0)), Some(90));
        assert_eq!(tkhd_rotation(&tkhd(-1, 0, 0, -1)), Some(180));
        assert_eq!(tkhd_rotation(&tkhd(0, -1, 1, 0)), Some(270));
    }
}
