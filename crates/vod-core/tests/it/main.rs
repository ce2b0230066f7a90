//! Integration tests of vod-core: its contracts with the rest of the repository, and what
//! durations from probe reports, sane or absurd, turn into.

mod contracts;
mod durations;
mod schemas;
mod storyboard;

use vod_testkit::repo_root;

/// Compares a checked-in generated file with what the code generates now. With
/// `VOD_BLESS=1` it rewrites the file instead (then commit it).
pub fn check_generated(relative: &str, generated: &serde_json::Value) {
    let path = repo_root().join(relative);
    let text = format!(
        "{}\n",
        serde_json::to_string_pretty(generated).unwrap_or_default()
    );
    if std::env::var_os("VOD_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("writing {relative}: {e}"));
        return;
    }
    // Compare as JSON values, not text: key order depends on serde_json's `preserve_order`
    // feature, which other crates of the workspace may switch on.
    let on_disk: serde_json::Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    assert!(
        on_disk == *generated,
        "{relative} is out of date with the Rust code; run `VOD_BLESS=1 cargo test -p vod-core` and commit it"
    );
}
