//! H.264 and HEVC sequence parameter sets: the one place that reads dimensions, profile,
//! bit depth, sample aspect, transfer and (H.264) timing from a video bitstream.
//!
//! Used for MPEG-TS (Annex B byte streams found in the PES payload) and for the SPS inside an
//! MP4/Matroska `avcC`. Every input is untrusted: NAL units are found by scanning a slice we
//! already hold, emulation-prevention removal writes at most [`MAX_RBSP`] bytes, Exp-Golomb
//! codes longer than 32 bits are refused, and every loop count read from the stream is
//! checked against the limit the specification sets before it is used.
//!
//! [`annexb`] finds NAL units and removes emulation prevention, [`bits`] reads the RBSP bit by
//! bit, [`h264`] and [`hevc`] parse their sequence parameter sets, and [`vui`] reads the video
//! usability information (sample aspect, transfer, H.264 timing) they share.

mod annexb;
mod bits;
mod h264;
mod hevc;
mod vui;
#[cfg(test)]
mod writer;

pub(crate) use h264::{first_h264_sps, h264_sps};
pub(crate) use hevc::first_hevc_sps;

/// Bytes of RBSP kept from one SPS NAL unit. Real ones are under 100 bytes; 4 KiB leaves
/// room for scaling matrices and long VUI without letting a lying stream grow memory.
pub(crate) const MAX_RBSP: usize = 4096;
/// Largest width or height we believe (H.264 and HEVC levels stop at 8192×4320 / 16888 lines).
const MAX_DIMENSION: u64 = 32_768;

/// What a sequence parameter set says about the pictures that follow it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sps {
    pub(crate) profile: Option<String>,
    /// `level_idc` as coded: H.264 `40` is level 4.0; HEVC `120` is level 4.0 (×30).
    pub(crate) level_idc: u8,
    /// Displayed size after cropping (H.264 frame cropping, HEVC conformance window).
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) bit_depth: u8,
    /// Sample (pixel) aspect ratio when the VUI signals one other than square.
    pub(crate) sample_aspect: Option<(u32, u32)>,
    /// Frames per second from the VUI timing info (H.264 only here).
    pub(crate) frame_rate: Option<f64>,
    pub(crate) transfer: Option<String>,
}

fn dimension(v: u64) -> Option<u32> {
    (1..=MAX_DIMENSION)
        .contains(&v)
        .then(|| u32::try_from(v).ok())
        .flatten()
}

/// Table 6-1 of both standards: `(SubWidthC, SubHeightC)`, the units cropping counts in.
/// Monochrome or separate colour planes crop in whole samples.
fn chroma_subsampling(chroma_format_idc: u32, separate_colour_planes: bool) -> (u64, u64) {
    let chroma_array_type = if separate_colour_planes {
        0
    } else {
        chroma_format_idc
    };
    match chroma_array_type {
        1 => (2, 2),
        2 => (2, 1),
        _ => (1, 1),
    }
}
