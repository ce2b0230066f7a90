//! The project's own checkers, run with the pinned Python tools in `.venv` (never anything
//! outside the repository): CreateJob bodies against botocore's MediaConvert model
//! (`tools/validate_mediaconvert_job.py`) and DASH manifests against the ISO/IEC 23009-1 schema
//! (`tools/dash-xsd/validate_mpd.py`, lxml). A missing tool fails the test with the command that
//! installs it: a check that skips proves nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::repo_root;

fn python() -> PathBuf {
    vod_toolchain::venv_python().unwrap_or_else(|missing| panic!("{missing}"))
}

fn run_checker(script: &str, args: &[&std::ffi::OsStr]) -> (bool, String) {
    let script = repo_root().join(script);
    assert!(
        script.is_file(),
        "{} is missing from the repository",
        script.display()
    );
    let out = Command::new(python())
        .arg(&script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Checks a CreateJob body file against botocore's MediaConvert model: `Ok` when valid, else the
/// validator's report. `wire`: the camelCase JSON the SDKs send (else boto3's member names).
pub fn check_create_job(body_file: &Path, wire: bool) -> Result<(), String> {
    let mut args = vec![body_file.as_os_str()];
    if wire {
        args.push("--wire".as_ref());
    }
    match run_checker("tools/validate_mediaconvert_job.py", &args) {
        (true, _) => Ok(()),
        (false, report) => Err(report),
    }
}

/// Panics with the validator's report unless the wire-form CreateJob `body` is valid.
pub fn assert_valid_create_job(body: &serde_json::Value, what: &str) {
    let dir = tempfile_dir();
    let file = dir.join(format!("createjob-{}.json", sanitize(what)));
    let text = serde_json::to_vec_pretty(body).unwrap_or_else(|e| panic!("{what}: {e}"));
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("writing {}: {e}", file.display()));
    if let Err(report) = check_create_job(&file, true) {
        panic!("{what}: botocore's model rejects the CreateJob body:\n{report}");
    }
}

/// Panics with the schema errors unless `mpd` is a valid DASH manifest.
pub fn assert_valid_mpd(mpd: &[u8], what: &str) {
    let dir = tempfile_dir();
    let file = dir.join(format!("{}.mpd", sanitize(what)));
    std::fs::write(&file, mpd).unwrap_or_else(|e| panic!("writing {}: {e}", file.display()));
    let (ok, report) = run_checker("tools/dash-xsd/validate_mpd.py", &[file.as_os_str()]);
    assert!(
        ok,
        "{what}: MPD invalid:\n{report}\n{}",
        String::from_utf8_lossy(mpd)
    );
}

/// A folder for checker inputs, kept under the system temp dir per process.
fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vod-testkit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// `what` as a file name, unique within the process (tests run in parallel).
fn sanitize(what: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name: String = what
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{name}-{n}")
}
