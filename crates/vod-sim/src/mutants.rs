//! Mutants: runs that re-introduce a known bug, to prove the invariants can fail. A mutant is
//! caught by a seed when its run shows a kind of violation that the same seed without the
//! mutant does not (so the open problems of the code itself do not count as catches).
//!
//! Only mutants of mechanisms that work today are here; the ones for issue #17's other fixes
//! (notifier ignores the owner, no CreateJob idempotency, execution timeout ≤ task timeout,
//! raw/decoded key mix-up, no CancelJob on timeout) come with those fixes, as
//! `docs/reliability.md` lists.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutant {
    /// The state machine no longer retries `Vod.Transient` (a handler's throttled call fails
    /// its asset).
    NoTransientRetry,
    /// The Transcode state loses its Catch (a failed job leaves the execution failed and the
    /// record TRANSCODING).
    NoTranscodeCatch,
    /// The asset table's claim forgets its condition (`attribute_not_exists`): a duplicate
    /// event's execution claims the asset too.
    UnconditionalClaim,
    /// NotifyIngestFailed/NotifyFailed no longer pass `$$.Execution.Id`: the notifier cannot
    /// tell the owner, and a duplicate execution's failure fails the owner's asset (#1).
    NotifierIgnoresOwner,
    /// MediaConvert forgets `ClientRequestToken`s and ListJobs finds nothing: a retried
    /// submission creates a second job (#3).
    NoCreateJobIdempotency,
    /// The execution's `TimeoutSeconds` back to the Transcode state's largest timeout: a long
    /// source's execution times out with no Catch (#4).
    ExecutionTimeoutNotAboveTasks,
    /// The notifier derives the asset id from the event's raw key, ingest-probe from the
    /// decoded one: failures land on phantom records (#2).
    KeyMixup,
    /// CancelJob does nothing: a timed-out asset's job runs on and writes (#4).
    NoCancelJob,
    /// No reconciler: its schedule never fires (issue #17 problem 6).
    NoReconciler,
    /// The reconciler is told no execution exists (DescribeExecution always "not found"), so it
    /// fails assets whose execution is still at work: its own invariant must catch it.
    ReconcilerIgnoresRunning,
}

impl Mutant {
    pub const ALL: [Mutant; 10] = [
        Self::NoTransientRetry,
        Self::NoTranscodeCatch,
        Self::UnconditionalClaim,
        Self::NotifierIgnoresOwner,
        Self::NoCreateJobIdempotency,
        Self::ExecutionTimeoutNotAboveTasks,
        Self::KeyMixup,
        Self::NoCancelJob,
        Self::NoReconciler,
        Self::ReconcilerIgnoresRunning,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::NoTransientRetry => "asl-no-transient-retry",
            Self::NoTranscodeCatch => "asl-no-transcode-catch",
            Self::UnconditionalClaim => "store-unconditional-claim",
            Self::NotifierIgnoresOwner => "notifier-ignores-owner",
            Self::NoCreateJobIdempotency => "no-createjob-idempotency",
            Self::ExecutionTimeoutNotAboveTasks => "execution-timeout-not-above-tasks",
            Self::KeyMixup => "raw-decoded-key-mixup",
            Self::NoCancelJob => "no-canceljob-on-timeout",
            Self::NoReconciler => "no-reconciler",
            Self::ReconcilerIgnoresRunning => "reconciler-ignores-running",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether the reconciler's schedule is gone.
    pub fn no_reconciler(self) -> bool {
        self == Self::NoReconciler
    }

    /// Whether DescribeExecution pretends no execution exists.
    pub fn executions_unknown(self) -> bool {
        self == Self::ReconcilerIgnoresRunning
    }

    /// Whether the asset table's claim ignores an existing record.
    pub fn unconditional_claim(self) -> bool {
        self == Self::UnconditionalClaim
    }

    /// Whether MediaConvert forgets tokens and ListJobs finds nothing.
    pub fn no_job_idempotency(self) -> bool {
        self == Self::NoCreateJobIdempotency
    }

    /// Whether CancelJob does nothing.
    pub fn no_cancel(self) -> bool {
        self == Self::NoCancelJob
    }

    /// Handler switches this mutant turns on for its run (and off after).
    pub fn switch_handlers(mutant: Option<Self>) {
        #[cfg(feature = "mutants")]
        vod_functions::mutants::set_key_mixup(mutant == Some(Self::KeyMixup));
        #[cfg(not(feature = "mutants"))]
        let _ = mutant;
    }

    /// The state machine definition this mutant runs.
    pub fn definition(self, text: &str) -> Result<String, crate::Error> {
        let mut doc: Value =
            serde_json::from_str(text).map_err(|e| crate::Error::Definition(e.to_string()))?;
        let states = doc
            .get_mut("States")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| crate::Error::Definition("no States".to_owned()))?;
        match self {
            Self::NoTransientRetry => {
                for state in states.values_mut() {
                    let Some(retry) = state.get_mut("Retry").and_then(Value::as_array_mut) else {
                        continue;
                    };
                    for retrier in retry.iter_mut() {
                        if let Some(errors) =
                            retrier.get_mut("ErrorEquals").and_then(Value::as_array_mut)
                        {
                            errors.retain(|e| e != "Vod.Transient");
                        }
                    }
                    retry.retain(|r| r["ErrorEquals"].as_array().is_some_and(|e| !e.is_empty()));
                }
            }
            Self::NoTranscodeCatch => {
                if let Some(t) = states.get_mut("Transcode").and_then(Value::as_object_mut) {
                    t.remove("Catch");
                }
            }
            Self::NotifierIgnoresOwner => {
                for name in ["NotifyIngestFailed", "NotifyFailed"] {
                    if let Some(payload) = states
                        .get_mut(name)
                        .and_then(|s| s.pointer_mut("/Parameters/Payload"))
                        .and_then(Value::as_object_mut)
                    {
                        payload.remove("executionId.$");
                    }
                }
            }
            Self::ExecutionTimeoutNotAboveTasks => {
                doc["TimeoutSeconds"] =
                    Value::from(vod_core::job::CallbackTimeouts::MAX_TIMEOUT_SECONDS);
            }
            Self::UnconditionalClaim
            | Self::NoCreateJobIdempotency
            | Self::KeyMixup
            | Self::NoCancelJob
            | Self::NoReconciler
            | Self::ReconcilerIgnoresRunning => {}
        }
        serde_json::to_string(&doc).map_err(|e| crate::Error::Definition(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Mutant::ALL {
            assert_eq!(Mutant::from_name(m.name()), Some(m));
        }
    }

    #[test]
    fn the_asl_mutants_change_the_definition_and_it_still_parses() -> Result<(), crate::Error> {
        for m in [
            Mutant::NoTransientRetry,
            Mutant::NoTranscodeCatch,
            Mutant::NotifierIgnoresOwner,
            Mutant::ExecutionTimeoutNotAboveTasks,
        ] {
            let text = m.definition(crate::sim::STATE_MACHINE)?;
            assert!(crate::sim::definition(&text).is_ok(), "{}", m.name());
            let original: Value = serde_json::from_str(crate::sim::STATE_MACHINE)
                .map_err(|e| crate::Error::Definition(e.to_string()))?;
            let mutated: Value =
                serde_json::from_str(&text).map_err(|e| crate::Error::Definition(e.to_string()))?;
            assert_ne!(original, mutated, "{} changed nothing", m.name());
        }
        Ok(())
    }
}
