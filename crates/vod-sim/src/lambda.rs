//! Lambda as Step Functions and EventBridge see it: the real handlers of vod-functions on the
//! simulated ports, with Lambda's own failures (throttling, service errors, `Lambda.Unknown`
//! after the handler ran, `Sandbox.Timedout` when it runs past its timeout) and panics caught
//! as the runtime reports them.

use crate::ports::SimPorts;
use crate::scenario::{CDN_BASE_URL, OUTPUT_BUCKET, OUTPUT_PREFIX, PIPELINE_NAME};
use crate::sim::{Caller, Sim};
use crate::world::{Incident, IncidentKind};
use futures::FutureExt;
use serde_json::{Value, json};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Weak};
use std::time::Duration;
use vod_core::contracts::LambdaFunction;
use vod_core::job::CallbackTimeouts;
use vod_core::ladder::LadderPolicy;
use vod_functions::completion_handler::{CompletionDeps, CompletionSettings};
use vod_functions::ingest_probe::IngestProbeDeps;
use vod_functions::job_submit::{JobSubmitDeps, JobSubmitSettings};
use vod_functions::notifier::NotifierDeps;
use vod_functions::reconciler::ReconcilerDeps;
use vod_functions::{
    HandlerError, completion_handler, ingest_probe, job_submit, notifier, reconciler,
};
use vod_states::{TaskContext, TaskError, TaskInvoker};

/// The timeouts the CDK app gives each function (from the contract, as the CDK app reads it).
pub fn timeout(function: LambdaFunction) -> Duration {
    function.timeout()
}

/// A failed invocation as Step Functions' Lambda integration reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaFailure {
    pub error: String,
    pub cause: String,
}

impl LambdaFailure {
    fn new(error: &str, message: &str) -> Self {
        Self {
            error: error.to_owned(),
            cause: json!({"errorMessage": message, "errorType": error}).to_string(),
        }
    }
}

fn to_json<T: serde::Serialize>(r: Result<T, HandlerError>) -> Result<Value, HandlerError> {
    r.and_then(|v| {
        serde_json::to_value(v).map_err(|e| HandlerError::internal(format!("serializing: {e}")))
    })
}

/// Runs `function`'s real handler on `payload` with ports that know `caller`.
async fn handler(
    ports: SimPorts,
    function: LambdaFunction,
    payload: Value,
) -> Result<Value, HandlerError> {
    let p = Arc::new(ports);
    match function {
        LambdaFunction::IngestProbe => {
            let deps = IngestProbeDeps {
                store: p.clone(),
                reader: p.clone(),
                probe: p.clone(),
                clock: p,
                heartbeat_seconds: CallbackTimeouts::HEARTBEAT_SECONDS,
            };
            to_json(ingest_probe::handle(&deps, payload).await)
        }
        LambdaFunction::JobSubmit => {
            let deps = JobSubmitDeps {
                store: p.clone(),
                transcoder: p.clone(),
                clock: p,
                settings: JobSubmitSettings {
                    output_bucket: OUTPUT_BUCKET.to_owned(),
                    output_prefix: OUTPUT_PREFIX.to_owned(),
                    pipeline_name: PIPELINE_NAME.to_owned(),
                    ladder_policy: LadderPolicy::default(),
                },
            };
            to_json(job_submit::handle(&deps, payload).await)
        }
        LambdaFunction::CompletionHandler => {
            to_json(completion_handler::handle(&completion_deps(&p), payload).await)
        }
        LambdaFunction::Notifier => to_json(notifier::handle(&notifier_deps(&p), payload).await),
        LambdaFunction::Reconciler => {
            let deps = ReconcilerDeps {
                index: p.clone(),
                executions: p.clone(),
                transcoder: p.clone(),
                outputs: p.clone(),
                completion: completion_deps(&p),
                notifier: notifier_deps(&p),
            };
            to_json(reconciler::handle(&deps, payload).await)
        }
    }
}

fn completion_deps(p: &Arc<SimPorts>) -> CompletionDeps {
    CompletionDeps {
        store: p.clone(),
        callback: p.clone(),
        writer: p.clone(),
        manifests: p.clone(),
        transcoder: p.clone(),
        queue: p.clone(),
        clock: p.clone(),
        settings: CompletionSettings {
            output_bucket: OUTPUT_BUCKET.to_owned(),
            output_prefix: OUTPUT_PREFIX.to_owned(),
            cdn_base_url: CDN_BASE_URL.to_owned(),
        },
    }
}

fn notifier_deps(p: &Arc<SimPorts>) -> NotifierDeps {
    NotifierDeps {
        store: p.clone(),
        reader: p.clone(),
        notifier: p.clone(),
        transcoder: p.clone(),
        clock: p.clone(),
    }
}

/// What Lambda itself does to an invocation (drawn once per invocation, within the budget).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LambdaFault {
    None,
    Throttled,
    ServiceError,
    /// The handler ran; its response was lost.
    Unknown,
    /// The runtime died before the handler answered (out of memory on a hostile file, a
    /// crash): `Runtime.ExitError`, which the state machine does not retry (it would recur).
    Crash,
}

/// The error name of a crashed Lambda runtime.
pub const CRASH: &str = "Runtime.ExitError";

/// One Lambda invocation, synchronous or asynchronous alike.
pub async fn invoke(
    sim: &Arc<Sim>,
    function: LambdaFunction,
    payload: Value,
    caller: Caller,
) -> Result<Value, LambdaFailure> {
    let name = function.binary_name();
    let rate = sim.scenario.faults.lambda_errors;
    let fault = if sim.chance(rate) && sim.spend(&caller.scope) {
        // Only the probe reads hostile bytes, so only its runtime may crash.
        let crash_prone = function == LambdaFunction::IngestProbe;
        let crash: &[LambdaFault] = if crash_prone {
            &[LambdaFault::Crash]
        } else {
            &[]
        };
        let choices = [
            &[
                LambdaFault::Throttled,
                LambdaFault::ServiceError,
                LambdaFault::Unknown,
            ][..],
            crash,
        ]
        .concat();
        sim.pick(&choices)
    } else {
        LambdaFault::None
    };
    let log = |text: String| sim.log(caller.upload, &caller.actor, text);
    match fault {
        LambdaFault::Throttled | LambdaFault::ServiceError => {
            let error = if fault == LambdaFault::Throttled {
                "Lambda.TooManyRequestsException"
            } else {
                "Lambda.ServiceException"
            };
            log(format!(
                "invoke {name} → {error} (injected, handler not run)"
            ));
            sim.injected(&caller, format!("invoke {name}: {error}"));
            return Err(LambdaFailure::new(error, "Rate exceeded"));
        }
        LambdaFault::Crash => {
            let message = "Runtime exited with error: signal: killed";
            log(format!("invoke {name} → {CRASH}: {message} (injected)"));
            sim.injected(&caller, format!("invoke {name}: {CRASH}"));
            return Err(LambdaFailure::new(CRASH, message));
        }
        LambdaFault::None | LambdaFault::Unknown => {}
    }
    log(format!("invoke {name}"));
    let ports = SimPorts {
        sim: Arc::clone(sim),
        caller: caller.clone(),
    };
    let run = AssertUnwindSafe(handler(ports, function, payload)).catch_unwind();
    let limit = timeout(function);
    let result = match tokio::time::timeout(limit, run).await {
        Err(_) => {
            let message = format!("Task timed out after {}.00 seconds", limit.as_secs());
            log(format!("{name} → Sandbox.Timedout: {message}"));
            sim.injected(&caller, format!("invoke {name}: Sandbox.Timedout"));
            return Err(LambdaFailure::new("Sandbox.Timedout", &message));
        }
        Ok(Err(panic)) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            let at = sim.elapsed();
            sim.world().incidents.push(Incident {
                upload: caller.upload,
                at,
                kind: IncidentKind::Panic,
                text: format!("{} panicked: {message}", caller.actor),
            });
            log(format!("{name} → panicked: {message}"));
            return Err(LambdaFailure::new("Runtime.ExitError", &message));
        }
        Ok(Ok(result)) => result,
    };
    match result {
        Err(e) => {
            log(format!("{name} → {}: {}", e.error_type, e.message));
            Err(LambdaFailure::new(&e.error_type, &e.message))
        }
        Ok(_) if fault == LambdaFault::Unknown => {
            log(format!(
                "{name} → succeeded, but the response is lost: Lambda.Unknown (injected)"
            ));
            sim.injected(&caller, format!("invoke {name}: Lambda.Unknown"));
            Err(LambdaFailure::new(
                "Lambda.Unknown",
                "The cause could not be determined because Lambda did not return an error type.",
            ))
        }
        Ok(out) => {
            log(format!("{name} → {}", summary(&out)));
            Ok(out)
        }
    }
}

/// A handler's output in a few words (its decision or action).
fn summary(out: &Value) -> String {
    for key in ["decision", "action", "jobId", "messageId"] {
        if let Some(v) = out.get(key).filter(|v| !v.is_null()) {
            return format!(
                "{key} {}",
                v.as_str().map_or_else(|| v.to_string(), str::to_owned)
            );
        }
    }
    "ok".to_owned()
}

/// Step Functions' `lambda:invoke` integration on the simulated Lambda.
pub struct SimLambda {
    sim: Weak<Sim>,
}

impl SimLambda {
    pub fn new(sim: Weak<Sim>) -> Self {
        Self { sim }
    }
}

const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";

#[async_trait::async_trait]
impl TaskInvoker for SimLambda {
    async fn invoke(
        &self,
        resource: &str,
        params: Value,
        ctx: TaskContext,
    ) -> Result<Value, TaskError> {
        let Some(sim) = self.sim.upgrade() else {
            return Err(TaskError::new("States.Runtime", "the simulation has ended"));
        };
        if resource != LAMBDA_INVOKE && resource != format!("{LAMBDA_INVOKE}.waitForTaskToken") {
            return Err(TaskError::new(
                "States.Runtime",
                format!("not a Lambda task: {resource}"),
            ));
        }
        let name = params
            .get("FunctionName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(function) = LambdaFunction::ALL
            .into_iter()
            .find(|f| crate::sim::function_arn(*f) == name)
        else {
            return Err(TaskError::new(
                "Lambda.ResourceNotFoundException",
                format!("Function not found: {name}"),
            ));
        };
        let payload = params.get("Payload").cloned().unwrap_or_else(|| json!({}));
        let (exec, upload) = {
            let world = sim.world();
            let e = world.execution(&ctx.execution_arn);
            (
                e.map_or_else(|| ctx.execution_name.clone(), |e| e.name.clone()),
                e.map(|e| e.upload),
            )
        };
        let caller = Caller {
            actor: format!("{exec} {}#{}", ctx.state_name, ctx.retry_count),
            upload,
            execution: Some(ctx.execution_arn.clone()),
            scope: format!("{exec}/{}", ctx.state_name),
            function,
        };
        match invoke(&sim, function, payload, caller).await {
            Ok(out) => Ok(json!({
                "ExecutedVersion": "$LATEST",
                "Payload": out,
                "StatusCode": 200,
            })),
            Err(f) => Err(TaskError::new(f.error, f.cause)),
        }
    }
}
