//! The job in the twin's own terms: where it reads and writes, and what each output encodes.

/// An `s3://bucket/key` location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub key: String,
}

impl S3Location {
    /// Parses `s3://bucket/key`; the key is taken literally (MediaConvert does not decode it).
    pub fn parse(uri: &str) -> Option<Self> {
        let rest = uri.strip_prefix("s3://")?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return None;
        }
        Some(Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }

    pub fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

/// Where a group's files go: `s3://bucket/<dir><basename><nameModifier>...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub bucket: String,
    /// Key prefix ending in `/` (or empty).
    pub dir: String,
    pub basename: String,
}

impl Destination {
    /// MediaConvert semantics: a destination ending in `/` uses the input file's name (without
    /// extension) as the base name.
    pub(super) fn parse(uri: &str, input: &S3Location) -> Option<Self> {
        let loc = S3Location::parse(uri)?;
        let (dir, basename) = match loc.key.rfind('/') {
            Some(i) => (loc.key[..=i].to_owned(), loc.key[i + 1..].to_owned()),
            None => (String::new(), loc.key.clone()),
        };
        let basename = if basename.is_empty() {
            let file = input.key.rsplit('/').next().unwrap_or(&input.key);
            match file.rfind('.') {
                Some(i) if i > 0 => file[..i].to_owned(),
                _ => file.to_owned(),
            }
        } else {
            basename
        };
        Some(Self {
            bucket: loc.bucket,
            dir,
            basename,
        })
    }

    /// The S3 key of `<basename><suffix>`.
    pub fn key(&self, suffix: &str) -> String {
        format!("{}{}{}", self.dir, self.basename, suffix)
    }

    pub fn uri(&self, suffix: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.key(suffix))
    }
}

/// H.264 rate control as the twin runs it with x264.
#[derive(Debug, Clone, PartialEq)]
pub enum RateControl {
    /// Capped CRF (see [QVBR → x264](crate::plan#qvbr--x264) for the mapping).
    Qvbr {
        /// The QVBR level (fine-tune added); the quality search aims at its VMAF.
        level: f64,
        /// The level's CRF for the encoder, or the CRF the quality search found.
        crf: f64,
        max_bitrate: u64,
        buffer: u64,
    },
    Cbr {
        bitrate: u64,
        buffer: u64,
    },
    Vbr {
        bitrate: u64,
        max_bitrate: u64,
        buffer: u64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Gop {
    Seconds(f64),
    Frames(u32),
}

/// Which encoder a video output gets: x264 for H.264, SVT-AV1 for AV1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoCodec {
    H264,
    Av1,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VideoEncode {
    pub codec: VideoCodec,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub rate: RateControl,
    pub gop: Gop,
    pub b_frames: u32,
    pub profile: &'static str,
    pub level: Option<String>,
    pub framerate: Option<(u32, u32)>,
}

impl VideoEncode {
    /// The frame rate this rendition is encoded at: its own, else the source's.
    pub fn fps(&self, source_fps: f64) -> f64 {
        self.framerate
            .map(|(n, d)| f64::from(n) / f64::from(d))
            .unwrap_or(source_fps)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AudioEncode {
    /// Which source audio track (0-based among audio streams) feeds this output.
    pub track: usize,
    pub bitrate: u64,
    pub channels: u32,
    pub sample_rate: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CmafMedia {
    Video(VideoEncode),
    Audio(AudioEncode),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CmafOutput {
    pub name_modifier: String,
    pub media: CmafMedia,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CmafGroup {
    pub destination: Destination,
    pub segment_length: f64,
    pub fragment_length: f64,
    pub write_hls: bool,
    pub write_dash: bool,
    pub outputs: Vec<CmafOutput>,
    /// Thumbnail tiles (image-based trick play `ADVANCED`).
    pub trick_play: Option<super::trick_play::TrickPlay>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FrameCapture {
    pub name_modifier: String,
    pub extension: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub framerate: (u32, u32),
    pub max_captures: Option<u32>,
    /// 1..=100 as MediaConvert's `quality`.
    pub quality: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mp4File {
    pub name_modifier: String,
    pub extension: String,
    pub video: Option<VideoEncode>,
    pub audio: Option<AudioEncode>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FileOutput {
    FrameCapture(FrameCapture),
    Mp4(Mp4File),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileGroup {
    pub destination: Destination,
    pub outputs: Vec<FileOutput>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OutputGroup {
    Cmaf(CmafGroup),
    File(FileGroup),
}

/// A CreateJob the twin can run, in its own terms.
#[derive(Debug, Clone, PartialEq)]
pub struct JobPlan {
    pub input: S3Location,
    pub groups: Vec<OutputGroup>,
    /// Things accepted but not reproduced; shown in the job's `messages.warning`.
    pub warnings: Vec<String>,
}

impl JobPlan {
    pub fn needs_video(&self) -> bool {
        self.groups.iter().any(|g| match g {
            OutputGroup::Cmaf(c) => {
                c.trick_play.is_some()
                    || c.outputs
                        .iter()
                        .any(|o| matches!(o.media, CmafMedia::Video(_)))
            }
            OutputGroup::File(f) => f.outputs.iter().any(|o| match o {
                FileOutput::FrameCapture(_) => true,
                FileOutput::Mp4(m) => m.video.is_some(),
            }),
        })
    }

    /// The highest 0-based audio track any output reads, if any output reads audio.
    pub fn max_audio_track(&self) -> Option<usize> {
        let mut max = None;
        let mut see = |a: &AudioEncode| max = Some(max.map_or(a.track, |m: usize| m.max(a.track)));
        for g in &self.groups {
            match g {
                OutputGroup::Cmaf(c) => {
                    for o in &c.outputs {
                        if let CmafMedia::Audio(a) = &o.media {
                            see(a);
                        }
                    }
                }
                OutputGroup::File(f) => {
                    for o in &f.outputs {
                        if let FileOutput::Mp4(Mp4File { audio: Some(a), .. }) = o {
                            see(a);
                        }
                    }
                }
            }
        }
        max
    }
}
