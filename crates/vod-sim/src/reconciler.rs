//! The reconciler's EventBridge schedule: every five simulated minutes
//! ([`vod_core::contracts::RECONCILER_PERIOD_SECONDS`], as on AWS) the real handler runs with
//! the same Lambda and port faults as every other function. A tick with no unfinished record
//! in the table (none non-final, none final without its terminal event, none failed with its
//! job still running) is skipped: on AWS it
//! would read index pages and change nothing, and skipping keeps long runs cheap and their
//! stories short.
//!
//! At the end of a run (after the invariants are checked) [`second_pass_changes_nothing`] runs
//! it twice more without faults, an hour apart, and reports what the second run changed: a
//! reconciler that has finished what it can must find nothing more to do.

use crate::lambda;
use crate::scenario::HORIZON;
use crate::sim::{Caller, Sim};
use std::sync::Arc;
use std::time::Duration;
use vod_core::contracts::{LambdaFunction, RECONCILER_PERIOD_SECONDS};

/// How often the schedule fires.
pub const PERIOD: Duration = Duration::from_secs(RECONCILER_PERIOD_SECONDS as u64);

/// Actor names of the reconciler's invocations start with this.
pub const ACTOR: &str = "rc";

/// The actor of the end-of-run check's second pass.
pub const SECOND_PASS: &str = "rc-final#2";

fn caller(actor: String) -> Caller {
    Caller {
        scope: format!("reconciler/{actor}"),
        actor,
        upload: None,
        execution: None,
        function: LambdaFunction::Reconciler,
    }
}

/// A record not final, final without its terminal event, or failed with its job still
/// running: something the reconciler might have to do.
fn anything_unfinished(sim: &Sim) -> bool {
    let world = sim.world();
    let job_runs = |id: &str| {
        world
            .jobs
            .iter()
            .any(|j| j.id == id && !j.status.is_final())
    };
    world.table.values().any(|r| {
        !r.status.is_final()
            || vod_core::reconcile::unannounced(r, None).is_some()
            || (vod_core::reconcile::may_run_on(r, sim.now())
                && r.job.as_ref().is_some_and(|j| job_runs(&j.job_id)))
    })
}

/// One run. A run that changed nothing and did not fail leaves one line in the story instead
/// of one per call (a long transcode is looked at hundreds of times).
async fn invoke(sim: &Arc<Sim>, actor: String) {
    let tick = serde_json::json!({
        "source": "aws.events",
        "detail-type": "Scheduled Event",
        "detail": {},
    });
    let (lines_before, effects_before) = {
        let world = sim.world();
        (world.trace.len(), world.reconciler_effects.len())
    };
    // A failed run is only logged, as EventBridge without retries would leave it.
    let result = lambda::invoke(sim, LambdaFunction::Reconciler, tick, caller(actor.clone())).await;
    let mut world = sim.world();
    if result.is_ok() && world.reconciler_effects.len() == effects_before {
        let mut index = 0;
        let mut calls = 0;
        world.trace.retain(|line| {
            let ours = index >= lines_before && line.actor == actor;
            index += 1;
            calls += usize::from(ours);
            !ours
        });
        let at = sim.elapsed();
        world.log(
            at,
            None,
            &actor,
            format!("reconciler: nothing to finish ({calls} calls)"),
        );
    }
}

/// The schedule, until the horizon.
pub async fn schedule(sim: Arc<Sim>) {
    let mut n = 0u64;
    loop {
        tokio::time::sleep(PERIOD).await;
        if sim.elapsed() >= HORIZON {
            return;
        }
        if anything_unfinished(&sim) {
            n += 1;
            invoke(&sim, format!("{ACTOR}#{n}")).await;
        }
    }
}

/// Two fault-free runs an hour apart (so whatever the first set going has finished); returns
/// what the second one changed, one line each.
pub async fn second_pass_changes_nothing(sim: &Arc<Sim>) -> Vec<String> {
    sim.set_quiet(true);
    invoke(sim, "rc-final#1".to_owned()).await;
    tokio::time::sleep(Duration::from_secs(3600)).await;
    invoke(sim, SECOND_PASS.to_owned()).await;
    sim.world()
        .reconciler_effects
        .iter()
        .filter(|e| e.actor == SECOND_PASS)
        .map(|e| format!("{}: {}", e.actor, e.what))
        .collect()
}
