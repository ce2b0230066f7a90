//! `vod-bench`: the measurements of `make bench` (`bench/run.sh`) that run our Rust code
//! directly. Each prints JSON on stdout for the Python scripts in `bench/`; none asserts.
//!
//! - `vod-bench job-body FILE` ([`probe`]): probes FILE with `vod-probe` (ranged reads), applies
//!   the ladder policy (the default, or the file named by `VOD_LADDER_POLICY_FILE`, loaded as
//!   job-submit loads it) and prints the CreateJob body our job builder (`vod-aws`) sends for it.
//! - `vod-bench plan FILE` ([`probe`], [`complexity`]): the same with the twin's complexity pass
//!   when the policy has a quality target (per-title rungs and caps): `{body, plan, measure}`.
//! - `vod-bench probe REPEATS LABEL=FILE...` ([`probe`]): bytes read, read requests and probe
//!   time per file.
//! - `vod-bench pipeline UPLOADS WORK_DIR` ([`pipeline`]): the pipeline's overhead on the local
//!   twin, started in this process through `vod-local`'s library API.
//!
//! [`spread`] is the median/min/max summary they share.

mod complexity;
mod pipeline;
mod probe;
mod spread;

use std::path::Path;

use anyhow::{Context, bail};

const USAGE: &str = "usage: vod-bench job-body FILE | vod-bench plan FILE \
                     | vod-bench probe REPEATS LABEL=FILE... \
                     | vod-bench pipeline UPLOADS WORK_DIR";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = match args.first().map(String::as_str) {
        Some("job-body") if args.len() == 2 => {
            single_threaded()?.block_on(probe::job_body(Path::new(&args[1])))?
        }
        Some("plan") if args.len() == 2 => {
            single_threaded()?.block_on(probe::per_title_plan(Path::new(&args[1])))?
        }
        Some("probe") if args.len() >= 3 => {
            let repeats: usize = args[1].parse().context("REPEATS")?;
            single_threaded()?.block_on(probe::probe_many(repeats, &args[2..]))?
        }
        // The twin serves its APIs, pumps events and runs ffmpeg while we upload: as
        // `vod-local` runs it, on a multi-threaded runtime.
        Some("pipeline") if args.len() == 3 => {
            let uploads: usize = args[1].parse().context("UPLOADS")?;
            tokio::runtime::Runtime::new()?.block_on(pipeline::run(uploads, Path::new(&args[2])))?
        }
        _ => bail!(USAGE),
    };
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(())
}

fn single_threaded() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
