//! The probe's only door to the object: bounded ranged reads, a cached head, a byte budget.

use vod_core::ports::{ObjectRange, PortError};
use vod_core::probe::{RejectReason, Rejection};

/// How much of the object's start is read once and reused by every parser.
pub(crate) const HEAD_LEN: u64 = 64 * 1024;
/// Header bytes a probe may read before it gives up, plus [`PER_TRACK_BUDGET`] per track.
pub(crate) const BASE_BUDGET: u64 = 1024 * 1024;
pub(crate) const PER_TRACK_BUDGET: u64 = 64 * 1024;

/// Why a probe stopped early: the reader failed (retry) or the content decided (reject).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Stop {
    #[error(transparent)]
    Port(#[from] PortError),
    #[error("rejected ({:?}): {}", .0.reason, .0.message)]
    Reject(Rejection),
}

pub(crate) fn reject(reason: RejectReason, message: impl Into<String>) -> Stop {
    Stop::Reject(Rejection::new(reason, message))
}

pub(crate) fn corrupt(message: impl Into<String>) -> Stop {
    reject(RejectReason::Corrupt, message)
}

pub(crate) fn truncated(message: impl Into<String>) -> Stop {
    reject(RejectReason::Truncated, message)
}

/// Ranged reads through [`ObjectRange::read_at`], counted and capped.
pub(crate) struct Source<'a> {
    object: ObjectRange<'a>,
    head: Vec<u8>,
    /// One prefetched window (e.g. a whole small `moov`), served without another request.
    window: Option<(u64, Vec<u8>)>,
    bytes_read: u64,
    budget: u64,
}

impl<'a> Source<'a> {
    pub(crate) async fn open(object: ObjectRange<'a>) -> Result<Self, Stop> {
        let mut source = Self {
            object,
            head: Vec::new(),
            window: None,
            bytes_read: 0,
            budget: BASE_BUDGET,
        };
        source.head = source.fetch(0, HEAD_LEN.min(object.size)).await?;
        Ok(source)
    }

    pub(crate) fn size(&self) -> u64 {
        self.object.size
    }

    /// The first bytes of the object (up to 64 KiB; fewer when the object is smaller or a
    /// reader returned less).
    pub(crate) fn head(&self) -> &[u8] {
        &self.head
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Allows 64 KiB more for each track found.
    pub(crate) fn grow_budget_for_tracks(&mut self, tracks: usize) {
        let tracks = u64::try_from(tracks.min(64)).unwrap_or(64);
        self.budget = BASE_BUDGET + PER_TRACK_BUDGET * tracks;
    }

    pub(crate) fn remaining_budget(&self) -> u64 {
        self.budget.saturating_sub(self.bytes_read)
    }

    /// Up to `len` bytes at `offset`: fewer only at the end of the object.
    pub(crate) async fn read(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, Stop> {
        let len = len.min(self.size().saturating_sub(offset));
        if len == 0 {
            return Ok(Vec::new());
        }
        if let Some(bytes) = slice_of(&self.head, 0, offset, len) {
            return Ok(bytes.to_vec());
        }
        if let Some((start, window)) = &self.window
            && let Some(bytes) = slice_of(window, *start, offset, len)
        {
            return Ok(bytes.to_vec());
        }
        self.fetch(offset, len).await
    }

    /// Reads `[offset, offset + len)` in one request and serves later reads inside it from
    /// memory: one round trip for a small `moov` instead of one per box header.
    pub(crate) async fn prefetch(&mut self, offset: u64, len: u64) -> Result<(), Stop> {
        let len = len.min(self.size().saturating_sub(offset));
        if slice_of(&self.head, 0, offset, len).is_some() {
            return Ok(());
        }
        let bytes = self.fetch(offset, len).await?;
        self.window = Some((offset, bytes));
        Ok(())
    }

    async fn fetch(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, Stop> {
        if len > self.remaining_budget() {
            return Err(corrupt(format!(
                "the headers need more than the probe's budget of {} KiB for this file; \
                 remux it (for example `ffmpeg -i in -c copy -movflags +faststart out.mp4`) and upload again",
                self.budget / 1024
            )));
        }
        let mut bytes = self.object.read_at(offset, len).await?;
        // A reader that hands out more than asked must not grow our memory or our counts.
        bytes.truncate(usize::try_from(len).unwrap_or(usize::MAX));
        self.bytes_read += bytes.len() as u64;
        Ok(bytes)
    }
}

fn slice_of(buf: &[u8], buf_start: u64, offset: u64, len: u64) -> Option<&[u8]> {
    let rel = usize::try_from(offset.checked_sub(buf_start)?).ok()?;
    let end = rel.checked_add(usize::try_from(len).ok()?)?;
    buf.get(rel..end)
}

/// A bounds-checked big-endian cursor over bytes already read. Every getter returns `None`
/// past the end instead of panicking.
#[derive(Debug, Clone)]
pub(crate) struct Cur<'b> {
    buf: &'b [u8],
    pos: usize,
}

impl<'b> Cur<'b> {
    pub(crate) fn new(buf: &'b [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Option<&'b [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    pub(crate) fn skip(&mut self, n: usize) -> Option<()> {
        self.bytes(n).map(|_| ())
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.array::<2>().map(u16::from_be_bytes)
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.array::<4>().map(u32::from_be_bytes)
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.array::<8>().map(u64::from_be_bytes)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.bytes(N).and_then(|b| b.try_into().ok())
    }
}

/// `u32`/`u16` little-endian getters for RIFF-style formats.
pub(crate) fn le_u32(buf: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = buf.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

pub(crate) fn le_u16(buf: &[u8], at: usize) -> Option<u16> {
    let b: [u8; 2] = buf.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_le_bytes(b))
}
