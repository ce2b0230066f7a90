//! What the Chromium player tests need, and a loud skip when something is missing.
//! Used by `vod-cdn-local`'s player test (synthetic media) and the end-to-end suite (media the
//! pipeline made); both run `player/test/playback.test.mjs` under `node --test`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// How to install the player's node modules, from the repository root.
pub const NPM_COMMAND: &str = "npm ci --prefix crates/vod-cdn-local/player";

/// The browser: `VOD_CHROMIUM`, else Debian's `/usr/bin/chromium`.
pub fn chromium() -> PathBuf {
    std::env::var_os("VOD_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

fn works(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Why a browser test cannot run here (empty when it can): Chromium, node, ffmpeg and the
/// player's node modules under `player_dir`.
pub fn missing_tools(player_dir: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    if !chromium().exists() {
        missing.push(format!(
            "Chromium at {} (apt-get install chromium, or set VOD_CHROMIUM)",
            chromium().display()
        ));
    }
    if !works("node", "--version") {
        missing.push("node (apt-get install nodejs npm)".into());
    }
    if !works("ffmpeg", "-version") {
        missing.push("ffmpeg".into());
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

/// `true` when the test can run; otherwise prints a banner naming what is missing, so a
/// `make test` without a browser says loudly that it skipped.
pub fn can_run(test: &str, player_dir: &Path) -> bool {
    let missing = missing_tools(player_dir);
    if missing.is_empty() {
        return true;
    }
    eprintln!(
        "\n{bar}\nSKIPPED {test}: missing\n  - {}\n{bar}\n",
        missing.join("\n  - "),
        bar = "!".repeat(78)
    );
    false
}
