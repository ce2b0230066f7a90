//! Replays the recorded AWS executions and fails on any failure not in `conformance-known-failures.txt`.

use std::collections::HashMap;
use std::path::PathBuf;

use vod_states::conformance::{CaseResult, parse_known_failures, run_cases, run_choice_operators};

fn conformance_dir() -> PathBuf {
    match std::env::var_os("VOD_ASL_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance"),
    }
}

fn known() -> HashMap<String, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance-known-failures.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    parse_known_failures(&text).into_iter().collect()
}

fn check(label: &str, results: &[CaseResult], known: &HashMap<String, String>) -> Vec<String> {
    let mut new_failures = Vec::new();
    let failed = results.iter().filter(|r| r.failure.is_some()).count();
    let skipped = results.iter().filter(|r| r.unscoreable.is_some()).count();
    println!(
        "{label}: {} passed, {failed} failed, {skipped} unscoreable",
        results.len() - failed - skipped
    );
    for r in results {
        if let Some(why) = &r.unscoreable {
            println!("unscoreable: {}  # {why}", r.name);
            continue;
        }
        match (&r.failure, known.contains_key(&r.name)) {
            (Some(reason), false) => new_failures.push(format!("{}  # {reason}", r.name)),
            (None, true) => println!(
                "now passing, remove from the known-failure list: {}",
                r.name
            ),
            _ => {}
        }
    }
    new_failures
}

#[tokio::test(flavor = "current_thread")]
async fn recorded_executions_conform() {
    let base = conformance_dir();
    // accept either the `asl` folder or its `cases` folder
    let (cases, choice) = if base.join("cases").is_dir() {
        (base.join("cases"), base.join("choice_operators.json"))
    } else {
        (base.clone(), base.join("../choice_operators.json"))
    };
    assert!(
        cases.is_dir(),
        "conformance cases not found at {} (they are committed in crates/vod-states/conformance; \
         VOD_ASL_CONFORMANCE_DIR overrides the folder)",
        cases.display()
    );
    let known = known();
    let mut new_failures = Vec::new();
    match run_cases(&cases).await {
        Ok(results) => new_failures.extend(check("cases", &results, &known)),
        Err(e) => new_failures.push(format!("cannot run cases: {e}")),
    }
    match run_choice_operators(&choice).await {
        Ok(results) => new_failures.extend(check("choice operators", &results, &known)),
        Err(e) => new_failures.push(format!(
            "cannot run choice operators {}: {e}",
            choice.display()
        )),
    }
    assert!(
        new_failures.is_empty(),
        "new conformance failures:\n{}",
        new_failures.join("\n")
    );
}
