//! ISO BMFF (MP4, MOV, M4A, 3GP): a top-level box walk with 16-byte header reads to find
//! `moov` wherever it is, then a walk down `trak/mdia/minf/stbl` that reads only the small
//! leaf boxes and steps over the sample tables (`stsz`, `stco`, `co64`, `stss`, `ctts`, …),
//! whose size grows with the file.
//!
//! This module walks the top level and `moov`'s own children; [`boxes`] parses box headers and
//! the small leaf payloads, [`walk`] descends each `trak`, [`sample_entry`] reads the `stsd`
//! sample entry (codec configuration, audio layout), and [`tracks`] turns what was learned into
//! the report's tracks.

mod boxes;
mod sample_entry;
mod tracks;
mod walk;

use crate::source::{Source, Stop, corrupt, truncated};
use boxes::{BoxHeader, fourcc, parse_header, printable, time_header};
use tracks::finish;
use vod_core::probe::{Container, ProbeReport};
use walk::{Walker, read_leaf};

/// Top-level boxes walked before `moov` is found (fragmented files have thousands after it).
const MAX_TOP_LEVEL_BOXES: usize = 4096;
const MAX_TRACKS: usize = 64;
/// A `moov` this small is read in one request instead of one request per box header.
const MOOV_PREFETCH: u64 = 256 * 1024;

pub(crate) async fn probe(source: &mut Source<'_>) -> Result<ProbeReport, Stop> {
    let size = source.size();
    let mut report = ProbeReport {
        container: Container::Mov,
        size_bytes: size,
        ..ProbeReport::default()
    };
    let mut moov: Option<BoxHeader> = None;
    let mut last_kind = [0u8; 4];
    let mut offset = 0u64;
    let mut count = 0usize;
    let mut saw_ftyp = false;

    while offset < size {
        count += 1;
        if count > MAX_TOP_LEVEL_BOXES {
            if moov.is_some() {
                report
                    .notes
                    .push("stopped walking top-level boxes after moov".into());
                break;
            }
            return Err(corrupt(format!(
                "more than {MAX_TOP_LEVEL_BOXES} top-level boxes before any `moov`; the file is damaged or not a playable MP4"
            )));
        }
        let bytes = source.read(offset, 16).await?;
        let Some(header) = parse_header(&bytes, offset, size)? else {
            report.notes.push(format!(
                "{} stray bytes at the end of the file",
                size - offset
            ));
            break;
        };
        if !printable(&header.kind) {
            if moov.is_some() {
                report
                    .notes
                    .push(format!("unreadable data after byte {offset} ignored"));
                break;
            }
            return Err(corrupt(format!(
                "bytes at offset {offset} are not an MP4 box (found `{}`); the file is damaged",
                header.name()
            )));
        }
        let end = header.start.saturating_add(header.size);
        if end > size {
            let missing = end - size;
            return Err(match &header.kind {
                b"moov" => truncated(format!(
                    "the file ends {missing} bytes before the end of its `moov` index; the upload was cut off — upload the complete file"
                )),
                b"mdat" if moov.is_none() => truncated(format!(
                    "the media data (`mdat`) claims {} bytes but the file ends {missing} bytes early and no `moov` index was found; the upload was cut off or the recording was not finalised",
                    header.size
                )),
                b"mdat" => truncated(format!(
                    "the media data (`mdat`) ends {missing} bytes past the end of the file; the upload was cut off — upload the complete file"
                )),
                _ if moov.is_some() => {
                    report
                        .notes
                        .push(format!("box `{}` at the end is cut short", header.name()));
                    break;
                }
                _ => truncated(format!(
                    "box `{}` at byte {offset} runs {missing} bytes past the end of the file and no `moov` was found; the file is cut off",
                    header.name()
                )),
            });
        }
        match &header.kind {
            b"ftyp" if !saw_ftyp => {
                saw_ftyp = true;
                let payload = source
                    .read(header.payload_start(), header.payload_len().min(256))
                    .await?;
                brand(&mut report, &payload);
            }
            b"moov" if moov.is_none() => {
                if offset > 0 && last_kind == *b"mdat" {
                    report
                        .notes
                        .push("moov at end of file (not fast-start)".into());
                }
                moov = Some(header);
            }
            b"moof" if moov.is_some() => {
                report.notes.push("fragmented MP4".into());
                break;
            }
            _ => {}
        }
        last_kind = header.kind;
        offset = end;
    }

    let Some(moov) = moov else {
        return Err(if last_kind == *b"mdat" {
            truncated(
                "the file has media data but no `moov` index after it; the upload was cut off or the recording was not finalised",
            )
        } else {
            corrupt(
                "no `moov` box: the file has no index of its tracks and cannot be read; re-export it",
            )
        });
    };

    if moov.size <= MOOV_PREFETCH {
        source.prefetch(moov.start, moov.size).await?;
    }
    let mut walker = Walker { boxes: 0 };
    let mut tracks = Vec::new();
    let (mut movie_timescale, mut movie_duration) = (0u32, 0u64);
    let mut fragmented = false;
    for child in walker.children(source, moov).await? {
        match &child.kind {
            b"mvhd" => {
                let b = read_leaf(source, child).await?;
                (movie_timescale, movie_duration) = time_header(&b).unwrap_or((0, 0));
            }
            b"trak" if tracks.len() < MAX_TRACKS => {
                tracks.push(walker.track(source, child).await?);
                source.grow_budget_for_tracks(tracks.len());
            }
            b"mvex" => fragmented = true,
            _ => {}
        }
    }
    if fragmented && !report.notes.iter().any(|n| n == "fragmented MP4") {
        report.notes.push("fragmented MP4".into());
    }

    finish(report, &tracks, movie_timescale, movie_duration)
}

fn brand(report: &mut ProbeReport, ftyp: &[u8]) {
    let Some(major) = ftyp.first_chunk::<4>() else {
        return;
    };
    report.brand = Some(fourcc(major));
    let brands: Vec<&[u8]> = std::iter::once(&major[..])
        .chain(ftyp.get(8..).unwrap_or(&[]).chunks_exact(4))
        .collect();
    let quicktime = &major[..] == b"qt  ";
    report.container = if quicktime {
        Container::Mov
    } else {
        Container::Mp4
    };
    if brands
        .iter()
        .any(|b| matches!(*b, b"heic" | b"heix" | b"mif1" | b"avif" | b"msf1"))
        && !brands
            .iter()
            .any(|b| matches!(*b, b"isom" | b"mp41" | b"mp42" | b"iso2" | b"qt  "))
    {
        report.notes.push("HEIF/AVIF image brand".into());
    }
}
