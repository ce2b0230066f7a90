//! A stable-toolchain stand-in for the fuzz targets, run on every `cargo test`: mutate real
//! files (cut, flip bytes, inflate sizes) and check that the probe never panics, never
//! invents a reader error, and stays inside its read ceiling.

use crate::corpus::{clip, h264_clip};
use crate::probe_with;
use vod_core::probe::ProbeOutcome;
use vod_testkit::MemoryMediaReader;

/// xorshift64*: deterministic, so a failure reproduces with the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, original: &[u8]) -> Vec<u8> {
    let mut b = original.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(5) {
            0 => b.truncate(rng.below(b.len() + 1)),
            1 => {
                for _ in 0..=rng.below(8) {
                    let i = rng.below(b.len());
                    if let Some(x) = b.get_mut(i) {
                        *x ^= 1 << rng.below(8);
                    }
                }
            }
            2 => {
                // Inflate a 32-bit big-endian field: box sizes, counts, offsets.
                let i = rng.below(b.len().saturating_sub(4));
                let value = [0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01];
                let at = rng.below(5);
                if let Some(dst) = b.get_mut(i..i + 4) {
                    dst.copy_from_slice(&value[at..at + 4]);
                }
            }
            3 => {
                let i = rng.below(b.len());
                let byte = (rng.next() & 0xFF) as u8;
                b.splice(i..i, std::iter::repeat_n(byte, rng.below(64)));
            }
            _ => {
                let i = rng.below(b.len());
                let j = (i + rng.below(256)).min(b.len());
                b.drain(i..j);
            }
        }
    }
    b
}

#[tokio::test]
async fn mutated_files_never_panic_or_overread() {
    let seeds = [
        h264_clip("mut.mp4", "64x64", 10, &["-t", "0.5"]),
        h264_clip(
            "mut.mov",
            "64x64",
            10,
            &["-t", "0.5", "-movflags", "+faststart"],
        ),
        h264_clip("mut.mkv", "64x64", 10, &["-t", "0.5"]),
        h264_clip("mut.ts", "64x64", 10, &["-t", "0.5"]),
        clip(
            "mut-hevc.ts",
            &[
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=64x64:rate=10",
                "-t",
                "0.5",
                "-c:v",
                "libx265",
                "-preset",
                "ultrafast",
                "-x265-params",
                "log-level=error",
            ],
        ),
        clip(
            "mut.wav",
            &["-f", "lavfi", "-i", "sine=sample_rate=8000", "-t", "0.2"],
        ),
    ];
    let ceiling = vod_probe::BASE_BUDGET_BYTES + 64 * vod_probe::PER_TRACK_BUDGET_BYTES;
    for path in seeds {
        let original = std::fs::read(&path).expect("seed");
        for seed in 1..=300u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let body = mutate(&mut rng, &original);
            let size = body.len() as u64;
            let reader = MemoryMediaReader::new().with_object("b", "upload.bin", body);
            let outcome = probe_with(&reader, size)
                .await
                .unwrap_or_else(|e| panic!("{path:?} seed {seed}: invented a reader error: {e}"));
            let served = reader.log.bytes_read();
            assert!(
                served <= ceiling,
                "{path:?} seed {seed}: read {served} bytes"
            );
            if let ProbeOutcome::Accepted { report } = outcome {
                assert_eq!(report.bytes_read, served, "{path:?} seed {seed}");
            }
        }
    }
}
