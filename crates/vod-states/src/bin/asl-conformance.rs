//! `asl-conformance [DIR]` / `asl-conformance --choice-operators [FILE]`: replays recorded
//! executions. With no path it replays the cases committed in `crates/vod-states/conformance/`.

use std::path::PathBuf;
use std::process::ExitCode;

use vod_states::conformance::{CaseResult, run_cases, run_choice_operators};

/// Prints one line per failing (`FAIL`) and per unscoreable (`SKIP`) case, then
/// `N passed, M failed, K unscoreable (P% of the scored cases pass)`.
fn report(results: &[CaseResult]) -> usize {
    let mut failed = 0;
    let mut skipped = 0;
    for r in results {
        if let Some(reason) = &r.failure {
            failed += 1;
            println!("FAIL {}  # {}", r.name, reason.replace('\n', " "));
        } else if let Some(why) = &r.unscoreable {
            skipped += 1;
            println!("SKIP {}  # unscoreable: {}", r.name, why.replace('\n', " "));
        }
    }
    let passed = results.len() - failed - skipped;
    #[allow(clippy::cast_precision_loss)]
    let pct = if passed + failed == 0 {
        100.0
    } else {
        passed as f64 * 100.0 / (passed + failed) as f64
    };
    println!(
        "{passed} passed, {failed} failed, {skipped} unscoreable ({pct:.1}% of the scored cases pass)"
    );
    failed
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start runtime: {e}");
            return ExitCode::from(2);
        }
    };
    if let [flag, dir] = args.as_slice()
        && flag == "--show"
    {
        println!(
            "{}",
            rt.block_on(vod_states::conformance::show_case(&PathBuf::from(dir)))
        );
        return ExitCode::SUCCESS;
    }
    let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance");
    let (choice, target) = match args.as_slice() {
        [] => (false, committed.join("cases")),
        [flag] if flag == "--choice-operators" => (true, committed.join("choice_operators.json")),
        [flag, file] if flag == "--choice-operators" => (true, PathBuf::from(file)),
        [dir] if !dir.starts_with('-') => (false, PathBuf::from(dir)),
        _ => {
            eprintln!(
                "usage: asl-conformance [DIR] | asl-conformance --choice-operators [FILE] | asl-conformance --show CASE_DIR"
            );
            return ExitCode::from(2);
        }
    };
    let results = rt.block_on(async {
        if choice {
            run_choice_operators(&target).await
        } else {
            run_cases(&target).await
        }
    });
    match results {
        Ok(results) => {
            if report(&results) == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
