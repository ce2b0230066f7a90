//! One seed, start to end: a paused single-threaded runtime, the uploads, the horizon, the
//! checks.

use crate::eventbridge;
use crate::invariants::{self, Invariant, Problem, Violation};
use crate::mutants::Mutant;
use crate::reconciler;
use crate::scenario::{HORIZON, Scenario};
use crate::sim::{Sim, t0};
use crate::trace::{self, Line};
use crate::world::true_id;
use std::fmt::Write as _;
use std::time::Duration;
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
    Mutant::switch_handlers(mutant);
    let result = runtime.block_on(async {
        let sim = Sim::new(scenario.clone(), mutant)?;
        for index in 0..scenario.uploads.len() {
            tokio::spawn(eventbridge::upload(sim.clone(), index));
        }
        tokio::spawn(eventbridge::queue_keeper(sim.clone()));
        let reconciling = !mutant.is_some_and(Mutant::no_reconciler);
        if reconciling {
            tokio::spawn(reconciler::schedule(sim.clone()));
        }
        tokio::time::sleep(HORIZON).await;
        let mut violations = invariants::check(&sim);
        if reconciling {
            let at = sim.elapsed();
            for change in reconciler::second_pass_changes_nothing(&sim).await {
                violations.push(Violation {
                    invariant: Invariant::ReconcilerIdempotent,
                    problem: Problem::Unexplained,
                    upload: None,
                    at,
                    text: change,
                });
            }
        }
        execution_endings(&sim);
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
    Mutant::switch_handlers(None);
    let (violations, trace, outcomes) = result?;
    Ok(RunReport {
        scenario,
        mutant,
        violations,
        trace,
        outcomes,
    })
}

/// What the executions themselves did that no port saw: timeouts and how each ended, from the
/// engine's histories, merged into the trace in time order.
fn execution_endings(sim: &Sim) {
    const SHOWN: &[&str] = &[
        "TaskTimedOut",
        "ExecutionSucceeded",
        "ExecutionFailed",
        "ExecutionTimedOut",
        "ExecutionAborted",
    ];
    let executions = sim.world().executions.clone();
    // (time, rank, line): at one instant a task's timeout comes before what it causes, and an
    // execution's end after what its last task did.
    let mut merged: Vec<(Duration, u8, Line)> = Vec::new();
    for e in &executions {
        let Ok(history) = sim.engine.history(&e.arn) else {
            continue;
        };
        for event in history
            .iter()
            .filter(|h| SHOWN.contains(&h.event_type.as_str()))
        {
            let at = (event.timestamp - t0()).to_std().unwrap_or_default();
            let detail = event
                .details
                .values()
                .find_map(|d| d.get("error").and_then(|e| e.as_str()))
                .map_or_else(String::new, |e| format!(" ({e})"));
            let rank = if event.event_type == "TaskTimedOut" {
                0
            } else {
                2
            };
            let line = Line {
                at,
                upload: Some(e.upload),
                actor: e.name.clone(),
                text: format!("{}{detail}", event.event_type),
            };
            merged.push((at, rank, line));
        }
    }
    let mut world = sim.world();
    merged.extend(world.trace.drain(..).map(|l| (l.at, 1, l)));
    merged.sort_by_key(|(at, rank, _)| (*at, *rank));
    world.trace = merged.into_iter().map(|(_, _, l)| l).collect();
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
            // The story up to the violation; one found at the horizon gets all of it.
            let until = (first.at < HORIZON).then_some(first.at);
            out.push_str(&trace::render(
                &self.trace,
                upload,
                until,
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
