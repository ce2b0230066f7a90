//! The walk down `trak/mdia/minf/stbl`: one 16-byte header read per child box, and only the
//! small leaf boxes read whole; sample tables are stepped over.

use super::boxes::{BoxHeader, language, parse_header, time_header, tkhd_rotation};
use super::sample_entry::sample_description;
use super::tracks::Track;
use crate::source::{Cur, Source, Stop, corrupt};

/// Children listed per container box inside `moov`.
const MAX_CHILDREN: usize = 512;
/// Boxes listed inside `moov` in total.
const MAX_MOOV_BOXES: usize = 8192;
/// Largest leaf box we read (an `stsd` with SPS/PPS and HDR metadata is a few KiB).
const LEAF_CAP: u64 = 64 * 1024;

pub(super) async fn read_leaf(source: &mut Source<'_>, header: BoxHeader) -> Result<Vec<u8>, Stop> {
    source
        .read(header.payload_start(), header.payload_len().min(LEAF_CAP))
        .await
}

pub(super) struct Walker {
    pub(super) boxes: usize,
}

impl Walker {
    /// Lists the child boxes of `parent` with one 16-byte read each (served from memory when
    /// the parent was prefetched).
    pub(super) async fn children(
        &mut self,
        source: &mut Source<'_>,
        parent: BoxHeader,
    ) -> Result<Vec<BoxHeader>, Stop> {
        let mut out = Vec::new();
        let end = parent.end();
        let mut offset = parent.payload_start();
        while offset.saturating_add(8) <= end {
            self.boxes += 1;
            if out.len() >= MAX_CHILDREN || self.boxes > MAX_MOOV_BOXES {
                return Err(corrupt(format!(
                    "box `{}` holds too many child boxes; the file is damaged",
                    parent.name()
                )));
            }
            let bytes = source.read(offset, 16.min(end - offset)).await?;
            let Some(header) = parse_header(&bytes, offset, end)? else {
                break;
            };
            if header
                .start
                .checked_add(header.size)
                .is_none_or(|e| e > end)
            {
                return Err(corrupt(format!(
                    "box `{}` at byte {offset} overruns its parent `{}`; the file is damaged",
                    header.name(),
                    parent.name()
                )));
            }
            offset = header.end();
            out.push(header);
        }
        Ok(out)
    }

    pub(super) async fn track(
        &mut self,
        source: &mut Source<'_>,
        trak: BoxHeader,
    ) -> Result<Track, Stop> {
        let mut track = Track::default();
        for child in self.children(source, trak).await? {
            match &child.kind {
                b"tkhd" => {
                    let b = read_leaf(source, child).await?;
                    track.rotation = tkhd_rotation(&b).unwrap_or(0);
                }
                b"mdia" => self.mdia(source, child, &mut track).await?,
                _ => {}
            }
        }
        Ok(track)
    }

    async fn mdia(
        &mut self,
        source: &mut Source<'_>,
        mdia: BoxHeader,
        track: &mut Track,
    ) -> Result<(), Stop> {
        for child in self.children(source, mdia).await? {
            match &child.kind {
                b"mdhd" => {
                    let b = read_leaf(source, child).await?;
                    if let Some((timescale, duration)) = time_header(&b) {
                        track.timescale = timescale;
                        track.duration = duration;
                    }
                    let lang_at = if b.first() == Some(&1) {
                        4 + 28
                    } else {
                        4 + 16
                    };
                    track.language = b
                        .get(lang_at..lang_at + 2)
                        .and_then(|l| language(u16::from_be_bytes([l[0], l[1]])));
                }
                b"hdlr" => {
                    let b = source
                        .read(child.payload_start(), 12.min(child.payload_len()))
                        .await?;
                    if let Some(h) = b.get(8..12).and_then(|h| h.first_chunk::<4>()) {
                        track.handler = *h;
                    }
                }
                b"minf" => {
                    for minf_child in self.children(source, child).await? {
                        if &minf_child.kind == b"stbl" {
                            self.stbl(source, minf_child, track).await?;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    async fn stbl(
        &mut self,
        source: &mut Source<'_>,
        stbl: BoxHeader,
        track: &mut Track,
    ) -> Result<(), Stop> {
        for child in self.children(source, stbl).await? {
            match &child.kind {
                b"stsd" => {
                    let b = read_leaf(source, child).await?;
                    sample_description(&b, track);
                }
                b"stts" => {
                    // version/flags, entry_count, then the first (count, delta) entry only.
                    let b = source
                        .read(child.payload_start(), 16.min(child.payload_len()))
                        .await?;
                    let mut c = Cur::new(&b);
                    let _ = c.skip(4);
                    track.stts_entries = c.u32().unwrap_or(0);
                    let _count = c.u32();
                    track.stts_first_delta = c.u32().unwrap_or(0);
                }
                b"stsz" | b"stz2" => {
                    // version/flags, sample_size (or reserved+field_size), sample_count.
                    let b = source
                        .read(child.payload_start(), 12.min(child.payload_len()))
                        .await?;
                    track.sample_count = b
                        .get(8..12)
                        .and_then(|s| s.first_chunk::<4>())
                        .map(|s| u32::from_be_bytes(*s))
                        .unwrap_or(0);
                }
                // stco, co64, stss, ctts, stsc, sdtp, sgpd, sbgp, …: sizes grow with the file;
                // never read.
                _ => {}
            }
        }
        Ok(())
    }
}
