//! What one seed decides before anything runs: the uploads (keys, sources, when) and which
//! kinds of faults are on and how often (swarm testing: each seed turns on its own mix, so
//! rare combinations get their turn).

use crate::chance::{Chance, Stream};
use std::fmt;
use std::time::Duration;
use vod_core::job::CallbackTimeouts;
use vod_core::probe::MAX_SOURCE_DURATION_SECONDS;

pub const SOURCE_BUCKET: &str = "vod-source";
pub const OUTPUT_BUCKET: &str = "vod-output";
pub const OUTPUT_PREFIX: &str = "assets/";
pub const PIPELINE_NAME: &str = "vod";
pub const CDN_BASE_URL: &str = "https://cdn.example.net";

/// Simulated time every run covers; every asset must be final by then.
pub const HORIZON: Duration = Duration::from_secs(6 * 24 * 3600);

/// An AWS service a port call reaches (an outage takes one down for a while).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    DynamoDb,
    S3,
    Sns,
    MediaConvert,
    StepFunctions,
}

impl Service {
    pub const ALL: [Service; 5] = [
        Self::DynamoDb,
        Self::S3,
        Self::Sns,
        Self::MediaConvert,
        Self::StepFunctions,
    ];
}

/// A service refusing every call (throttling, 5xx) for a window of simulated time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outage {
    pub service: Service,
    pub from: Duration,
    pub until: Duration,
}

/// Which faults this seed injects, and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Per AWS API call: throttling or a 5xx.
    pub blip_rate: f64,
    /// A blip on a write may land after the effect (the write happened, the response was lost).
    pub after_effect: bool,
    /// Per Lambda invocation: throttled, service exception, or `Lambda.Unknown` after it ran.
    pub lambda_errors: f64,
    /// Per port call: the call hangs until the Lambda times out (`Sandbox.Timedout`).
    pub lambda_timeouts: f64,
    /// Isolated faults: at most this many per Task state of an execution (across its retries)
    /// or per delivered event, so retries are always enough. Outages are not isolated.
    pub budget: u32,
    pub outage: Option<Outage>,
    /// Probability that an upload's "Object Created" event is delivered more than once.
    pub s3_duplicates: f64,
    /// Per MediaConvert event: delivered twice, or never.
    pub mc_duplicates: f64,
    pub mc_loss: f64,
    /// Deliveries take up to this long; different delays reorder events.
    pub max_delay: Duration,
    /// Probability that a job waits in MediaConvert's queue for half an hour or more.
    pub long_queue: f64,
}

/// How "Object Created" events carry keys: form-encoded as S3 notifications do, or raw as
/// emulators do (the handlers accept both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyStyle {
    #[default]
    Encoded,
    Raw,
}

impl KeyStyle {
    /// The key an "Object Created" event carries for an object stored under `key`.
    pub fn event_key(self, key: &str) -> String {
        match self {
            Self::Encoded => vod_core::s3_key::encode_event_key(key),
            Self::Raw => key.to_owned(),
        }
    }
}

/// What an uploaded object holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// Transcodable media of this many seconds.
    Media { duration: f64 },
    /// Not media at all (the probe rejects it).
    NotMedia,
    /// Probes as media but MediaConvert fails on it (error 1010).
    Undecodable { duration: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub index: usize,
    /// When it lands in the source bucket, from the start of the run.
    pub at: Duration,
    /// The key as stored.
    pub key: String,
    pub source: Source,
    pub size: u64,
    pub etag: String,
    /// How many times its "Object Created" event is delivered (1 = once).
    pub deliveries: u32,
    /// Its jobs' wait in MediaConvert's queue and their run time, in seconds.
    pub queue_wait: f64,
    pub run_time: f64,
}

impl Upload {
    /// The outcome this upload must reach when only isolated faults met it: COMPLETE for media
    /// whose job fits the Transcode state's timeout, REJECTED for non-media; `None` when the
    /// source or the faults leave more than one honest ending.
    pub fn deserves(&self, faults: &Faults) -> Option<Deserved> {
        let clean = faults.outage.is_none() && faults.mc_loss == 0.0;
        match self.source {
            Source::NotMedia if clean => Some(Deserved::Rejected),
            Source::Media { duration } if clean && duration > MAX_SOURCE_DURATION_SECONDS => {
                Some(Deserved::Rejected)
            }
            Source::Media { duration } if clean => {
                let limit = CallbackTimeouts::for_duration(Some(duration)).timeout_seconds as f64;
                let needed = self.queue_wait + self.run_time + 3600.0;
                (needed < limit && needed < 40.0 * 3600.0).then_some(Deserved::Complete)
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deserved {
    Complete,
    Rejected,
}

/// Everything one seed decided up front.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub seed: u64,
    pub faults: Faults,
    pub key_style: KeyStyle,
    pub uploads: Vec<Upload>,
}

/// Keys with the characters that have bitten S3 pipelines: spaces, `+`, `%`, escapes that
/// are not, Unicode. `{}` is replaced by the upload's number.
const AWKWARD_KEYS: &[&str] = &[
    "uploads/my holiday {}.mp4",
    "uploads/c++ talk {}.mov",
    "uploads/100% done {}.mp4",
    "uploads/50%2B off {}.mkv",
    "uploads/été/clip {}.mp4",
    "uploads/odd%ZZ {}.mp4",
    "uploads/a+b=c {}.webm",
];

impl Faults {
    /// No fault of any kind: every delivery once and on time, every call answered.
    pub fn none() -> Self {
        Self {
            blip_rate: 0.0,
            after_effect: false,
            lambda_errors: 0.0,
            lambda_timeouts: 0.0,
            budget: 0,
            outage: None,
            s3_duplicates: 0.0,
            mc_duplicates: 0.0,
            mc_loss: 0.0,
            max_delay: Duration::from_secs(5),
            long_queue: 0.0,
        }
    }
}

impl Upload {
    /// An upload of `source` under `key` at `at`, delivered once, queued a few seconds and
    /// transcoded at about half real time (for scenarios written by hand).
    pub fn new(index: usize, at: Duration, key: &str, source: Source) -> Self {
        let duration = match source {
            Source::Media { duration } | Source::Undecodable { duration } => duration,
            Source::NotMedia => 0.0,
        };
        Self {
            index,
            at,
            key: key.to_owned(),
            source,
            size: (duration * 1_000_000.0) as u64 + 4096,
            etag: format!("{:032x}", index + 1),
            deliveries: 1,
            queue_wait: 5.0,
            run_time: 20.0 + duration / 2.0,
        }
    }
}

impl Scenario {
    pub fn from_seed(seed: u64) -> Self {
        let mut c = Chance::new(seed, Stream::Scenario);
        let on = |c: &mut Chance, p: f64| c.ratio(p);
        let blip_rate = if on(&mut c, 0.5) {
            c.between(0.01, 0.12)
        } else {
            0.0
        };
        let after_effect = on(&mut c, 0.5);
        let lambda_errors = if on(&mut c, 0.4) {
            c.between(0.01, 0.08)
        } else {
            0.0
        };
        let lambda_timeouts = if on(&mut c, 0.3) {
            c.between(0.002, 0.02)
        } else {
            0.0
        };
        let budget = c.pick(&[1, 2, 2, 2]);
        let outage = on(&mut c, 0.12).then(|| {
            let from = Duration::from_secs(c.below(0, 1800));
            Outage {
                service: c.pick(&Service::ALL),
                from,
                until: from + Duration::from_secs(c.below(300, 4 * 3600)),
            }
        });
        let s3_duplicates = if on(&mut c, 0.4) {
            c.between(0.3, 1.0)
        } else {
            0.0
        };
        let mc_duplicates = if on(&mut c, 0.4) {
            c.between(0.05, 0.5)
        } else {
            0.0
        };
        let mc_loss = if on(&mut c, 0.15) {
            c.between(0.02, 0.2)
        } else {
            0.0
        };
        let max_delay = Duration::from_secs(if on(&mut c, 0.3) { 900 } else { 5 });
        let long_queue = if on(&mut c, 0.3) {
            c.between(0.2, 0.8)
        } else {
            0.0
        };
        let key_style = if on(&mut c, 0.5) {
            KeyStyle::Raw
        } else {
            KeyStyle::Encoded
        };
        let awkward = on(&mut c, 0.5);
        let long_sources = on(&mut c, 0.35);
        let count = if on(&mut c, 0.1) {
            8
        } else {
            c.below(1, 5) as usize
        };
        let mix = Mix {
            awkward,
            long_sources,
            long_queue,
            s3_duplicates,
        };
        let uploads = (0..count)
            .map(|index| upload(&mut c, seed, index, &mix))
            .collect();
        Self {
            seed,
            faults: Faults {
                blip_rate,
                after_effect,
                lambda_errors,
                lambda_timeouts,
                budget,
                outage,
                s3_duplicates,
                mc_duplicates,
                mc_loss,
                max_delay,
                long_queue,
            },
            key_style,
            uploads,
        }
    }
}

/// The seed's choices each upload draws from.
struct Mix {
    awkward: bool,
    long_sources: bool,
    long_queue: f64,
    s3_duplicates: f64,
}

fn upload(c: &mut Chance, seed: u64, index: usize, mix: &Mix) -> Upload {
    let key = if mix.awkward && c.ratio(0.7) {
        c.pick(AWKWARD_KEYS).replace("{}", &index.to_string())
    } else {
        format!("uploads/clip-{index}.mp4")
    };
    let duration = match c.below(0, 20) {
        0..=1 => c.between(0.04, 2.0),
        2..=4 if mix.long_sources => c.between(8.0 * 3600.0, 60.0 * 3600.0),
        _ => c.between(5.0, 3600.0),
    };
    let source = match c.below(0, 10) {
        0 => Source::NotMedia,
        1 => Source::Undecodable { duration },
        _ => Source::Media { duration },
    };
    let size = match source {
        Source::NotMedia => c.below(1, 50_000_000),
        Source::Media { duration } | Source::Undecodable { duration } => {
            (duration * 1_000_000.0) as u64 + 4096
        }
    };
    let deliveries = if c.ratio(mix.s3_duplicates) {
        c.below(2, 4) as u32
    } else {
        1
    };
    let queue_wait = if c.ratio(mix.long_queue) {
        c.between(1800.0, 4.0 * 3600.0)
    } else {
        c.between(0.0, 60.0)
    };
    let run_time = 20.0 + duration * c.between(0.2, 1.5);
    Upload {
        index,
        at: Duration::from_millis(c.below(0, 600_000)),
        key,
        source,
        size,
        etag: format!("{:016x}{:016x}", seed, c.next_u64()),
        deliveries,
        queue_wait,
        run_time,
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fl = &self.faults;
        let mut on = Vec::new();
        if fl.blip_rate > 0.0 {
            on.push(format!(
                "blips {:.0}%{}",
                fl.blip_rate * 100.0,
                if fl.after_effect {
                    " (also after the effect)"
                } else {
                    ""
                }
            ));
        }
        if fl.lambda_errors > 0.0 {
            on.push(format!("lambda errors {:.0}%", fl.lambda_errors * 100.0));
        }
        if fl.lambda_timeouts > 0.0 {
            on.push(format!(
                "lambda timeouts {:.1}%",
                fl.lambda_timeouts * 100.0
            ));
        }
        if let Some(o) = &fl.outage {
            on.push(format!(
                "{:?} outage {}..{}",
                o.service,
                crate::trace::clock(o.from),
                crate::trace::clock(o.until)
            ));
        }
        if fl.s3_duplicates > 0.0 {
            on.push("duplicate S3 events".into());
        }
        if fl.mc_duplicates > 0.0 {
            on.push("duplicate job events".into());
        }
        if fl.mc_loss > 0.0 {
            on.push(format!("lost job events {:.0}%", fl.mc_loss * 100.0));
        }
        if fl.max_delay > Duration::from_secs(60) {
            on.push("reordered events".into());
        }
        if fl.long_queue > 0.0 {
            on.push("long queue waits".into());
        }
        writeln!(
            f,
            "seed {}: faults [{}], budget {} per state, keys {:?} in events",
            self.seed,
            on.join(", "),
            fl.budget,
            self.key_style
        )?;
        for u in &self.uploads {
            let what = match u.source {
                Source::Media { duration } => format!("media {duration:.2} s"),
                Source::NotMedia => "not media".to_owned(),
                Source::Undecodable { duration } => format!("undecodable {duration:.2} s"),
            };
            writeln!(
                f,
                "  upload u{} at {} {:?}: {what}, queue {:.0} s, run {:.0} s, {} deliver{}",
                u.index,
                crate::trace::clock(u.at),
                u.key,
                u.queue_wait,
                u.run_time,
                u.deliveries,
                if u.deliveries == 1 { "y" } else { "ies" }
            )?;
        }
        Ok(())
    }
}
