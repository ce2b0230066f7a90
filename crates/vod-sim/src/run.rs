//! One seed, start to end: a paused single-threaded runtime, the uploads, the horizon, the
//! checks.

use crate::eventbridge;
use crate::invariants::{self, Violation};
use crate::mutants::Mutant;
use crate::scenario::{HORIZON, Scenario};
use crate::sim::Sim;
use crate::trace::{self, Line};
use crate::world::true_id;
use std::fmt::Write as _;
use vod_core::AssetStatus;

/// What one run left behind.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub scenario: Scenario,
    pub mutant: Option<Mutant>,
    /// In the order they happened.
    pub violations: Vec<Violation>,
    pub trace: Vec<Line>,
    /// Each upload's record status at the end (`None`: no record).
    pub outcomes: Vec<Option<AssetStatus>>,
}

/// Runs `seed` (with `mutant`, if any). The same arguments give the same report, always.
pub fn run_seed(seed: u64, mutant: Option<Mutant>) -> Result<RunReport, crate::Error> {
    run_scenario(Scenario::from_seed(seed), mutant)
}

/// Runs a scenario (a seed's, or one written by hand).
pub fn run_scenario(scenario: Scenario, mutant: Option<Mutant>) -> Result<RunReport, crate::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .map_err(crate::Error::Runtime)?;
    let result = runtime.block_on(async {
        let sim = Sim::new(scenario.clone(), mutant)?;
        for index in 0..scenario.uploads.len() {
            tokio::spawn(eventbridge::upload(sim.clone(), index));
        }
        tokio::time::sleep(HORIZON).await;
        let violations = invariants::check(&sim);
        let mut world = sim.world();
        let outcomes = world
            .uploads
            .iter()
            .map(|u| world.table.get(&true_id(u)).map(|r| r.status))
            .collect();
        let trace = std::mem::take(&mut world.trace);
        Ok::<_, crate::Error>((violations, trace, outcomes))
    });
    // Dropping the runtime cancels what still waits (nothing should) and frees the run.
    drop(runtime);
    let (violations, trace, outcomes) = result?;
    Ok(RunReport {
        scenario,
        mutant,
        violations,
        trace,
        outcomes,
    })
}

impl RunReport {
    /// The seed, the scenario, every violation in one line each, and the story of the first
    /// one (its upload's trace, at most `limit` lines; `None` for all of it).
    pub fn explain(&self, limit: Option<usize>) -> String {
        let mut out = String::new();
        if let Some(m) = self.mutant {
            let _ = writeln!(out, "mutant: {}", m.name());
        }
        let _ = write!(out, "{}", self.scenario);
        for v in &self.violations {
            let _ = writeln!(
                out,
                "VIOLATION {} at {} [{}]: {}",
                v.invariant.name(),
                trace::clock(v.at),
                v.problem.label(),
                v.text
            );
        }
        if let Some(first) = self.violations.first() {
            let upload = first.upload;
            let _ = writeln!(
                out,
                "trace of the first violation ({}):",
                upload.map_or_else(|| "whole run".to_owned(), |u| format!("upload u{u}"))
            );
            out.push_str(&trace::render(
                &self.trace,
                upload,
                limit.unwrap_or(usize::MAX),
            ));
            let _ = writeln!(
                out,
                "replay: vod-sim --seed {}{}",
                self.scenario.seed,
                self.mutant
                    .map_or_else(String::new, |m| format!(" --mutant {}", m.name()))
            );
        }
        out
    }
}
