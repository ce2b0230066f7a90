//! `vod-sim` as `make sim` runs it.

use std::process::Command;

fn vod_sim(args: &[&str]) -> (Option<i32>, String) {
    match Command::new(env!("CARGO_BIN_EXE_vod-sim"))
        .args(args)
        .output()
    {
        Ok(out) => (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ),
        Err(e) => panic!("vod-sim did not run: {e}"),
    }
}

#[test]
fn list_mutants_prints_one_name_per_line() {
    let (code, out) = vod_sim(&["--list-mutants"]);
    assert_eq!(code, Some(0));
    let names: Vec<&str> = out.lines().collect();
    let expected: Vec<&str> = vod_sim::mutants::Mutant::ALL
        .iter()
        .map(|m| m.name())
        .collect();
    assert_eq!(names, expected);
}

/// Exit 1 and the story when a seed violates an invariant, exit 0 when none does.
#[test]
fn a_violating_seed_exits_1_with_its_story_and_replay_line() {
    let (code, out) = vod_sim(&["--seed", "2"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("VIOLATION one-job-per-asset"), "{out}");
    assert!(out.contains("replay: vod-sim --seed 2"), "{out}");
    let (code, out) = vod_sim(&["--seed", "1"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("no violation"), "{out}");
}

#[test]
fn an_unknown_mutant_is_refused() {
    let (code, _) = vod_sim(&["--seed", "1", "--mutant", "no-such-mutant"]);
    assert_eq!(code, Some(2));
}
