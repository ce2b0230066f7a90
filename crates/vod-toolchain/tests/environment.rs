//! `docs/environment.md` lists every environment variable the project reads: each `VOD_*`,
//! `DEMO_*` and `BENCH_*` name in the code, scripts and Makefile, and each `AWS_*` name our Rust
//! code reads itself, must have a row there, and every row must still be read somewhere.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    vod_toolchain::repo_root().expect("the tests run inside the repository")
}

/// Source files that may read a variable (never generated, vendored or recorded data).
fn sources(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack: Vec<PathBuf> = [
        "crates",
        "tests",
        "scripts",
        "bench",
        "infra/lib",
        "infra/bin",
    ]
    .iter()
    .map(|d| root.join(d))
    .collect();
    found.extend(["Makefile", ".ci/run"].iter().map(|f| root.join(f)));
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(
                    name.as_str(),
                    "node_modules" | "target" | "conformance" | "work"
                ) {
                    stack.push(path);
                }
            } else if [".rs", ".sh", ".py", ".mjs", ".ts", "run"]
                .iter()
                .any(|ext| name.ends_with(ext))
            {
                found.push(path);
            }
        }
    }
    found
}

/// `PREFIX_NAME` words in `text` (upper case, digits and underscores, not ending in `_`);
/// with `quoted`, only those right after a `"` (a string literal in Rust code).
fn names_with(prefixes: &[&str], text: &str, quoted: bool) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let boundary = if quoted {
            i > 0 && bytes[i - 1] == b'"'
        } else {
            i == 0 || !(word(bytes[i - 1]) || bytes[i - 1].is_ascii_lowercase())
        };
        let starts = boundary
            && prefixes
                .iter()
                .any(|p| bytes[i..].starts_with(p.as_bytes()));
        if !starts {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < bytes.len() && word(bytes[end]) {
            end += 1;
        }
        let candidate = text[i..end].trim_end_matches('_');
        let is_lower_after = end < bytes.len() && bytes[end].is_ascii_lowercase();
        let longer_than_prefix = prefixes
            .iter()
            .any(|p| candidate.starts_with(p) && candidate.len() > p.len());
        if !is_lower_after && longer_than_prefix {
            names.insert(candidate.to_owned());
        }
        i = end.max(i + 1);
    }
    names
}

/// Names read in the sources: our own prefixes anywhere, `AWS_*` where Rust code quotes it.
fn read_in_sources(root: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in sources(root) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        names.extend(names_with(&["VOD_", "DEMO_", "BENCH_"], &text, false));
        if file.extension().is_some_and(|e| e == "rs") {
            names.extend(names_with(&["AWS_"], &text, true));
        }
    }
    names
}

/// The AWS SDK's own settings, which the table covers in its preamble instead of in rows.
fn sdk_setting(name: &str) -> bool {
    name.starts_with("AWS_ENDPOINT_URL")
        || matches!(
            name,
            "AWS_REGION"
                | "AWS_DEFAULT_REGION"
                | "AWS_PROFILE"
                | "AWS_ACCESS_KEY_ID"
                | "AWS_SECRET_ACCESS_KEY"
                | "AWS_SESSION_TOKEN"
        )
}

/// Names in the first column of the tables of `docs/environment.md`.
fn documented(root: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root.join("docs/environment.md"))
        .expect("docs/environment.md exists");
    text.lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| l.split('|').nth(1))
        .flat_map(|cell| {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_variable_the_project_reads_is_documented_and_every_documented_one_is_read() {
    let root = repo();
    let read: BTreeSet<String> = read_in_sources(&root)
        .into_iter()
        .filter(|n| !sdk_setting(n))
        .collect();
    let documented = documented(&root);
    assert!(documented.len() > 30, "{documented:?}");
    let undocumented: Vec<&String> = read.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "read in the code but not in docs/environment.md: {undocumented:?}"
    );
    let unread: Vec<&String> = documented.difference(&read).collect();
    assert!(
        unread.is_empty(),
        "in docs/environment.md but read nowhere: {unread:?}"
    );
}

#[test]
fn the_scanner_finds_names_and_skips_other_words() {
    let found = names_with(
        &["VOD_", "BENCH_"],
        "env VOD_FFMPEG=x; $VOD_STATE_DIR, \"VOD_LOG\" my_VOD_x BENCH_ VOD_Thing",
        false,
    );
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["VOD_FFMPEG", "VOD_LOG", "VOD_STATE_DIR"]
    );
    let quoted = names_with(
        &["AWS_"],
        r#"var("AWS_LAMBDA_LOG_LEVEL") // AWS_REGION"#,
        true,
    );
    assert_eq!(
        quoted.into_iter().collect::<Vec<_>>(),
        ["AWS_LAMBDA_LOG_LEVEL"]
    );
}
