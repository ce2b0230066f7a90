//! Where the project's pinned tools are, found the same way by the local twin, the `vod` CLI,
//! the benchmarks and every test.
//!
//! The project installs its own tools (`make venv`, which `make demo` and `make test` run):
//! moto, botocore, lxml and a static ffmpeg 9 from PyPI's `imageio-ffmpeg`, linked to
//! `.venv/bin/ffmpeg`. Everything uses those, whatever the system has, so every machine runs the
//! same build and no result depends on which ffmpeg happens to be on `PATH`. One environment
//! variable per tool overrides the choice ([`FFMPEG_ENV`], [`MOTO_SERVER_ENV`]).
//!
//! ```no_run
//! let ffmpeg = vod_toolchain::ffmpeg()?; // VOD_FFMPEG, else <repo>/.venv/bin/ffmpeg
//! # Ok::<(), vod_toolchain::ToolMissing>(())
//! ```

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root (holds [`TWIN_FILE`] and `.venv`).
pub const REPO_ROOT_ENV: &str = "VOD_REPO_ROOT";
/// The local twin's names and ports, relative to the repository root; the file that marks a
/// directory as the root.
pub const TWIN_FILE: &str = "localstack/twin.json";
/// The ffmpeg binary to run instead of the pinned `.venv/bin/ffmpeg`.
pub const FFMPEG_ENV: &str = "VOD_FFMPEG";
/// The `moto_server` binary to run instead of `.venv/bin/moto_server`.
pub const MOTO_SERVER_ENV: &str = "VOD_MOTO_SERVER";

/// The log filter of every binary we run locally (`vod local up`, `vod-local`,
/// `vod-mediaconvert-local`), in tracing's `EnvFilter` syntax; the Lambdas read Lambda's own
/// `AWS_LAMBDA_LOG_LEVEL` instead.
pub const LOG_ENV: &str = "VOD_LOG";
/// [`LOG_ENV`]'s default: info, with the AWS SDK's internals quiet.
pub const DEFAULT_LOG_FILTER: &str = "info,aws_config=warn,aws_smithy_runtime=warn";

/// How to install everything in `.venv`, from the repository root.
pub const INSTALL_VENV: &str = "make venv";

/// A tool that is not where the project installs it, and how to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolMissing {
    /// What was looked for (`ffmpeg`, `moto_server`, `python`).
    pub tool: &'static str,
    /// Where it was looked for.
    pub looked_at: Vec<PathBuf>,
    /// The variable that names it instead.
    pub env: Option<&'static str>,
}

impl fmt::Display for ToolMissing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} not found", self.tool)?;
        if !self.looked_at.is_empty() {
            let places: Vec<String> = self
                .looked_at
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            write!(f, " at {}", places.join(", "))?;
        }
        write!(
            f,
            ": run `{INSTALL_VENV}` in the repository (it installs the project's pinned tools into .venv)"
        )?;
        if let Some(env) = self.env {
            write!(f, " or set {env}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ToolMissing {}

/// The repository root: `VOD_REPO_ROOT`, else the first directory from the current one upwards
/// that holds `localstack/twin.json`, else the checkout this crate was built from (when it still
/// exists). `None` outside a checkout.
pub fn repo_root() -> Option<PathBuf> {
    if let Some(root) = std::env::var_os(REPO_ROOT_ENV).filter(|r| !r.is_empty()) {
        return Some(PathBuf::from(root));
    }
    let is_root = |dir: &Path| dir.join(TWIN_FILE).is_file();
    if let Ok(cwd) = std::env::current_dir()
        && let Some(root) = cwd.ancestors().find(|d| is_root(d))
    {
        return Some(root.to_path_buf());
    }
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    is_root(&built_from).then_some(built_from)
}

/// A file inside the repository, `None` outside a checkout.
pub fn in_repo(relative: &str) -> Option<PathBuf> {
    repo_root().map(|r| r.join(relative))
}

/// `env` when set, else `.venv/bin/<name>` in the repository.
fn venv_tool(
    tool: &'static str,
    env: Option<&'static str>,
    name: &str,
) -> Result<PathBuf, ToolMissing> {
    if let Some(path) = env.and_then(std::env::var_os).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let candidate = in_repo(&format!(".venv/bin/{name}"));
    match candidate {
        Some(path) if path.exists() => Ok(path),
        other => Err(ToolMissing {
            tool,
            looked_at: other.into_iter().collect(),
            env,
        }),
    }
}

/// The project's ffmpeg: `VOD_FFMPEG`, else the pinned build at `<repo>/.venv/bin/ffmpeg`.
/// Never whatever ffmpeg is on `PATH`: results must not depend on the machine.
pub fn ffmpeg() -> Result<PathBuf, ToolMissing> {
    venv_tool("ffmpeg", Some(FFMPEG_ENV), "ffmpeg")
}

/// moto's server: `VOD_MOTO_SERVER`, else `<repo>/.venv/bin/moto_server` (pinned `moto[server]`).
pub fn moto_server() -> Result<PathBuf, ToolMissing> {
    venv_tool("moto_server", Some(MOTO_SERVER_ENV), "moto_server")
}

/// The venv's Python (boto3, botocore, lxml): `<repo>/.venv/bin/python`.
pub fn venv_python() -> Result<PathBuf, ToolMissing> {
    venv_tool("python", None, "python")
}

/// A command for a tool the twin runs for as long as it runs (moto, ffmpeg) that dies with the
/// process starting it, SIGKILL included, so a killed twin leaves no moto holding its port and
/// no ffmpeg writing into its state directory. On Linux the tool is started through util-linux's
/// `setpriv --pdeathsig KILL` (the death signal survives `exec`); where `setpriv` is missing or
/// cannot set it, and on other systems, this is a plain `Command` and only a clean shutdown (or
/// killing the process group) stops the tool.
///
/// The kernel sends the signal when the *thread* that spawned the child ends: spawn from threads
/// that live as long as the process (the main thread, a tokio worker), never from a short-lived
/// one such as a blocking-pool thread.
///
/// A program given as a path that does not exist gets a plain `Command` too, so spawning it
/// fails as it always did (not found) rather than as a `setpriv` that cannot run it.
pub fn dies_with_parent(program: impl AsRef<OsStr>) -> Command {
    let program = program.as_ref();
    let as_path = Path::new(program);
    let missing = as_path.components().count() > 1 && !as_path.exists();
    match setpriv().filter(|_| !missing) {
        Some(setpriv) => {
            let mut command = Command::new(setpriv);
            command.args(["--pdeathsig", "KILL", "--"]).arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// `setpriv` when it is on this machine and can set a parent-death signal (checked once).
fn setpriv() -> Option<&'static Path> {
    static SETPRIV: OnceLock<Option<PathBuf>> = OnceLock::new();
    SETPRIV
        .get_or_init(|| {
            if !cfg!(target_os = "linux") {
                return None;
            }
            let path = std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .chain([PathBuf::from("/usr/bin"), PathBuf::from("/bin")])
                .map(|dir| dir.join("setpriv"))
                .find(|p| p.is_file())?;
            let works = Command::new(&path)
                .args(["--pdeathsig", "KILL", "--", "true"])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            works.then_some(path)
        })
        .as_deref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_says_how_to_install_it() {
        let missing = ToolMissing {
            tool: "ffmpeg",
            looked_at: vec![PathBuf::from("/r/.venv/bin/ffmpeg")],
            env: Some(FFMPEG_ENV),
        };
        assert_eq!(
            missing.to_string(),
            "ffmpeg not found at /r/.venv/bin/ffmpeg: run `make venv` in the repository \
             (it installs the project's pinned tools into .venv) or set VOD_FFMPEG"
        );
    }

    /// The death signal follows the spawning thread, so a thread that ends stands in for a
    /// process that is killed.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_tool_dies_with_the_thread_that_started_it() {
        use std::os::unix::process::ExitStatusExt as _;
        if setpriv().is_none() {
            eprintln!("no setpriv with --pdeathsig on this machine: nothing to check");
            return;
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut child = std::thread::spawn(move || {
            let child = dies_with_parent("sleep").arg("300").spawn();
            // The thread ends once setpriv has set the signal and become sleep: ending sooner
            // would hand the child to another thread before setpriv ran.
            if let Ok(child) = &child {
                let comm = format!("/proc/{}/comm", child.id());
                while std::fs::read_to_string(&comm).is_ok_and(|c| c.trim() != "sleep")
                    && std::time::Instant::now() < deadline
                {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
            }
            child
        })
        .join()
        .expect("the spawning thread ends")
        .expect("sleep starts");
        let status = loop {
            if let Some(status) = child.try_wait().expect("waiting for sleep") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("sleep outlived the thread that started it by 30 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert_eq!(status.signal(), Some(9), "{status}");
    }

    #[test]
    fn the_checkout_this_crate_was_built_from_is_a_repository() {
        let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        assert!(built_from.join("localstack/twin.json").is_file());
    }
}
