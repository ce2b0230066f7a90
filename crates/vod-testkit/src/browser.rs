//! What the Chromium player tests need, and the one skip `make test` allows.
//! Used by `vod-cdn-local`'s player test (synthetic media) and the end-to-end suite (media the
//! pipeline made); both run `player/test/playback.test.mjs` under `node --test`.
//!
//! Only a missing Chromium may skip a browser test, and only when [`REQUIRE_BROWSER_ENV`] is not
//! set (`.ci/run` sets it): the test then prints a banner and appends a line to the file named
//! by [`SKIP_LOG_ENV`], which `make test` counts in its closing line. Anything else missing (the
//! player's node modules, node, ffmpeg) fails the test with the command that installs it.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How to install the player's node modules, from the repository root.
pub const NPM_COMMAND: &str = "npm ci --prefix crates/vod-cdn-local/player";
/// The Chromium binary (default: `chromium` on `PATH`, as Debian's package installs it).
pub const CHROMIUM_ENV: &str = "VOD_CHROMIUM";
/// `1`: a missing Chromium fails the browser tests instead of skipping them (CI).
pub const REQUIRE_BROWSER_ENV: &str = "VOD_REQUIRE_BROWSER";
/// A file each skipped test appends `name<TAB>reason` to (`make test` sets it and counts it).
pub const SKIP_LOG_ENV: &str = "VOD_SKIP_LOG";
/// How to get Chromium on Debian.
pub const CHROMIUM_INSTALL: &str = "apt-get install chromium";

/// The browser: `VOD_CHROMIUM`, else `chromium` (or `chromium-browser`) on `PATH`; `None` when
/// neither names a file (a machine whose PATH has no Chromium has none, wherever it may lie).
pub fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(CHROMIUM_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

fn works(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// What a browser test needs besides Chromium and cannot do without (empty when all is there):
/// node and the player's node modules under `player_dir`.
pub fn missing_tools(player_dir: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    if !works("node", "--version") {
        missing.push("node (apt-get install nodejs npm)".into());
    }
    let modules = player_dir.join("node_modules");
    for package in ["playwright-core", "hls.js", "dashjs"] {
        if !modules.join(package).exists() {
            missing.push(format!(
                "{package} in {} (run `{NPM_COMMAND}`)",
                modules.display()
            ));
        }
    }
    missing
}

fn browser_required() -> bool {
    std::env::var_os(REQUIRE_BROWSER_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

/// `true` when the test can run. Without Chromium it returns `false` after a banner and a line
/// in the skip log, unless `VOD_REQUIRE_BROWSER` is set; anything else missing panics.
pub fn can_run(test: &str, player_dir: &Path) -> bool {
    let missing = missing_tools(player_dir);
    assert!(
        missing.is_empty(),
        "{test} cannot run: missing\n  - {}",
        missing.join("\n  - ")
    );
    if chromium().is_some() {
        return true;
    }
    let reason = format!("no Chromium on PATH ({CHROMIUM_INSTALL}, or set {CHROMIUM_ENV})");
    assert!(
        !browser_required(),
        "{test}: {reason}; {REQUIRE_BROWSER_ENV} is set, so browser tests may not skip"
    );
    eprintln!(
        "\n{bar}\nSKIPPED {test}: {reason}\n{bar}\n",
        bar = "!".repeat(78)
    );
    if let Some(log) = std::env::var_os(SKIP_LOG_ENV) {
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .and_then(|mut f| writeln!(f, "{test}\t{reason}"));
        if let Err(e) = written {
            panic!(
                "{test}: cannot record the skip in {}: {e}",
                Path::new(&log).display()
            );
        }
    }
    false
}

/// How long one run of the player test may take before it is killed and the test fails.
pub const PLAYER_TEST_TIMEOUT: Duration = Duration::from_secs(150);

/// Runs `player/test/playback.test.mjs` under `node --test` in `player_dir` with Chromium and
/// the given environment (`VOD_CDN_URL`, `VOD_ASSET_ID`, …; see the script's header), removing
/// `unset` from the inherited one. Panics with both outputs unless it passes within
/// [`PLAYER_TEST_TIMEOUT`]; returns its stdout, for the caller to check what ran. Blocking: call
/// it from `spawn_blocking` in an async test that also serves the CDN.
pub fn run_player_test(player_dir: &Path, env: &[(&str, &str)], unset: &[&str]) -> String {
    let mut command = Command::new("node");
    command
        .arg("--test")
        .arg("--test-reporter=spec")
        .arg(player_dir.join("test/playback.test.mjs"))
        .current_dir(player_dir)
        .env(
            CHROMIUM_ENV,
            chromium().unwrap_or_else(|| panic!("no Chromium: call can_run first")),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in unset {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("starting node --test: {e}"));
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = child.stdout.take().map(|p| drain(Box::new(p)));
    let stderr = child.stderr.take().map(|p| drain(Box::new(p)));
    let deadline = Instant::now() + PLAYER_TEST_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let collect = |h: Option<std::thread::JoinHandle<String>>| {
        h.and_then(|h| h.join().ok()).unwrap_or_default()
    };
    let (stdout, stderr) = (collect(stdout), collect(stderr));
    println!("{stdout}\n{stderr}");
    match status {
        Some(status) => assert!(status.success(), "node --test failed:\n{stdout}\n{stderr}"),
        None => panic!(
            "the browser test did not finish within {} s:\n{stdout}\n{stderr}",
            PLAYER_TEST_TIMEOUT.as_secs()
        ),
    }
    stdout
}
