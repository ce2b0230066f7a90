//! Runs the project's `statemachine/vod-pipeline.asl.json` under this executor with fake task
//! results: happy path, duplicate, rejected input, MediaConvert failure, a transient Lambda error
//! that succeeds on retry, and a Transcode heartbeat timeout.
//!
//! Error names are those of `crates/vod-core/src/error_names.rs` (kept as literals so this crate
//! stays independent of vod-core).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use vod_states::{
    Clock, Engine, ExecutionDescription, ExecutionStatus, FakeClock, StateMachine, TaskContext,
    TaskError, TaskInvoker,
};

const PROBE: &str = "IngestProbeFunctionArn";
const SUBMIT: &str = "JobSubmitFunctionArn";
const NOTIFIER: &str = "NotifierFunctionArn";

fn arn(placeholder: &str) -> String {
    format!("arn:aws:lambda:us-east-1:123456789012:function:{placeholder}")
}

/// Loads the ASL file and fills the `${...}` placeholders like CDK's DefinitionSubstitutions.
fn pipeline() -> Option<Arc<StateMachine>> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../statemachine/vod-pipeline.asl.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipped: {} not found", path.display());
        return None;
    };
    let text = [PROBE, SUBMIT, NOTIFIER]
        .iter()
        .fold(text, |t, p| t.replace(&format!("${{{p}}}"), &arn(p)));
    match StateMachine::from_json(&text) {
        Ok(m) => Some(Arc::new(m.with_name("vod-pipeline"))),
        Err(e) => panic!("the pipeline definition does not validate: {e}"),
    }
}

fn s3_event() -> Value {
    json!({
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2024-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:s3:::vod-source"],
        "detail": {
            "version": "0",
            "bucket": {"name": "vod-source"},
            "object": {"key": "uploads/movie.mp4", "size": 1048576, "etag": "abc"},
            "request-id": "R1",
            "requester": "123456789012",
            "reason": "PutObject"
        }
    })
}

fn probed(decision: &str) -> Result<Value, TaskError> {
    Ok(lambda_ok(json!({
        "assetId": "a-123",
        "decision": decision,
        "heartbeatSeconds": 600,
        "timeoutSeconds": 86400,
        "extra": "dropped by ResultSelector"
    })))
}

fn lambda_ok(payload: Value) -> Value {
    json!({"ExecutedVersion": "$LATEST", "Payload": payload, "StatusCode": 200})
}

fn lambda_err(error_type: &str, message: &str) -> TaskError {
    TaskError::new(
        error_type,
        json!({"errorType": error_type, "errorMessage": message}).to_string(),
    )
}

/// What the MediaConvert completion handler does with the task token.
#[derive(Debug, Clone)]
enum Job {
    Completes,
    Fails(&'static str, &'static str),
    NeverAnswers,
}

#[derive(Debug)]
struct Fakes {
    probe: Mutex<VecDeque<Result<Value, TaskError>>>,
    job: Job,
    calls: Mutex<Vec<(String, Value)>>,
    engine: OnceLock<Engine>,
}

#[async_trait::async_trait]
impl TaskInvoker for Fakes {
    async fn invoke(
        &self,
        resource: &str,
        params: Value,
        ctx: TaskContext,
    ) -> Result<Value, TaskError> {
        let function = params["FunctionName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let payload = params["Payload"].clone();
        self.calls
            .lock()
            .map(|mut c| c.push((function.clone(), payload.clone())))
            .ok();
        if function == arn(PROBE) {
            assert_eq!(resource, "arn:aws:states:::lambda:invoke");
            let next = self.probe.lock().ok().and_then(|mut q| q.pop_front());
            return next
                .unwrap_or_else(|| Err(lambda_err("Vod.Internal", "no more fake probe results")));
        }
        if function == arn(SUBMIT) {
            assert_eq!(resource, "arn:aws:states:::lambda:invoke.waitForTaskToken");
            let token = ctx.task_token.clone().unwrap_or_default();
            assert_eq!(payload["taskToken"].as_str(), Some(token.as_str()));
            if let Some(engine) = self.engine.get() {
                let sent = match self.job {
                    Job::Completes => engine
                        .send_task_success(&token, json!({"jobId": "job-1", "status": "COMPLETE"})),
                    Job::Fails(e, c) => {
                        engine.send_task_failure(&token, Some(e.into()), Some(c.into()))
                    }
                    Job::NeverAnswers => Ok(()),
                };
                assert!(sent.is_ok(), "callback rejected: {sent:?}");
            }
            return Ok(lambda_ok(json!({"jobId": "job-1"})));
        }
        if function == arn(NOTIFIER) {
            return Ok(lambda_ok(Value::Null));
        }
        Err(lambda_err(
            "Lambda.ResourceNotFoundException",
            &format!("unknown function {function}"),
        ))
    }
}

struct Run {
    desc: ExecutionDescription,
    calls: Vec<(String, Value)>,
    engine: Engine,
}

fn fakes(probe: Vec<Result<Value, TaskError>>, job: Job) -> Arc<Fakes> {
    Arc::new(Fakes {
        probe: Mutex::new(probe.into()),
        job,
        calls: Mutex::new(Vec::new()),
        engine: OnceLock::new(),
    })
}

async fn run_with(fakes: Arc<Fakes>, clock: Arc<dyn Clock>) -> Option<Run> {
    let machine = pipeline()?;
    let engine = Engine::new(fakes.clone(), clock);
    fakes.engine.set(engine.clone()).ok();
    let desc = match engine.run(machine, s3_event()).await {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let calls = fakes.calls.lock().map(|c| c.clone()).unwrap_or_default();
    Some(Run {
        desc,
        calls,
        engine,
    })
}

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn notifications(run: &Run) -> Vec<String> {
    run.calls
        .iter()
        .filter(|(f, _)| *f == arn(NOTIFIER))
        .map(|(_, p)| p["eventType"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn functions(run: &Run) -> Vec<String> {
    run.calls
        .iter()
        .map(|(f, _)| f.rsplit(':').next().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn happy_path() {
    let Some(run) = run_with(
        fakes(vec![probed("probed")], Job::Completes),
        Arc::new(FakeClock::instant(t0())),
    )
    .await
    else {
        return;
    };
    assert_eq!(
        run.desc.status,
        ExecutionStatus::Succeeded,
        "{:?} {:?}",
        run.desc.error,
        run.desc.cause
    );
    assert_eq!(
        run.desc.output,
        Some(
            json!({"assetId": "a-123", "decision": "probed", "heartbeatSeconds": 600, "timeoutSeconds": 86400})
        )
    );
    assert_eq!(functions(&run), [PROBE, NOTIFIER, SUBMIT, NOTIFIER]);
    assert_eq!(notifications(&run), ["asset.ingested", "asset.completed"]);
    // The probe gets the event and its own execution id (a retry of the same execution resumes).
    assert_eq!(run.calls[0].1["event"], s3_event());
    assert_eq!(
        run.calls[0].1["executionId"].as_str(),
        Some(run.desc.execution_arn.as_str())
    );
    let history = run
        .engine
        .history(&run.desc.execution_arn)
        .unwrap_or_default();
    let scheduled = history.iter().find(|e| {
        e.event_type == "TaskScheduled"
            && e.detail().and_then(|d| d["resource"].as_str()) == Some("invoke.waitForTaskToken")
    });
    let details = scheduled
        .and_then(|e| e.detail())
        .cloned()
        .unwrap_or_default();
    assert_eq!(details["heartbeatInSeconds"], 600);
    assert_eq!(details["timeoutInSeconds"], 86400);
}

#[tokio::test]
async fn duplicate_stops_quietly() {
    let Some(run) = run_with(
        fakes(vec![probed("duplicate")], Job::Completes),
        Arc::new(FakeClock::instant(t0())),
    )
    .await
    else {
        return;
    };
    assert_eq!(run.desc.status, ExecutionStatus::Succeeded);
    assert_eq!(functions(&run), [PROBE]);
}

#[tokio::test]
async fn rejected_input_is_notified_and_succeeds() {
    let Some(run) = run_with(
        fakes(vec![probed("rejected")], Job::Completes),
        Arc::new(FakeClock::instant(t0())),
    )
    .await
    else {
        return;
    };
    assert_eq!(run.desc.status, ExecutionStatus::Succeeded);
    assert_eq!(notifications(&run), ["asset.rejected"]);
    assert!(!functions(&run).contains(&SUBMIT.to_string()));
}

#[tokio::test]
async fn invalid_input_error_is_not_retried_and_fails_the_execution() {
    let f = fakes(
        vec![Err(lambda_err("Vod.InvalidInput", "not media"))],
        Job::Completes,
    );
    let Some(run) = run_with(f, Arc::new(FakeClock::instant(t0()))).await else {
        return;
    };
    assert_eq!(run.desc.status, ExecutionStatus::Failed);
    assert_eq!(run.desc.error.as_deref(), Some("Vod.InvalidInput"));
    assert_eq!(functions(&run), [PROBE, NOTIFIER]);
    let failed = &run.calls[1].1;
    assert_eq!(failed["eventType"], "asset.failed");
    assert_eq!(failed["source"], s3_event()["detail"]);
    assert_eq!(failed["error"]["Error"], "Vod.InvalidInput");
}

#[tokio::test]
async fn mediaconvert_failure_is_caught_and_notified() {
    let f = fakes(
        vec![probed("probed")],
        Job::Fails("MediaConvert.JobFailed", "1010: bad input"),
    );
    let Some(run) = run_with(f, Arc::new(FakeClock::instant(t0()))).await else {
        return;
    };
    assert_eq!(run.desc.status, ExecutionStatus::Failed);
    assert_eq!(run.desc.error.as_deref(), Some("MediaConvert.JobFailed"));
    assert_eq!(run.desc.cause.as_deref(), Some("1010: bad input"));
    assert_eq!(notifications(&run), ["asset.ingested", "asset.failed"]);
    let failed = &run.calls.last().map(|c| c.1.clone()).unwrap_or_default();
    assert_eq!(failed["assetId"], "a-123");
    assert_eq!(
        failed["error"],
        json!({"Error": "MediaConvert.JobFailed", "Cause": "1010: bad input"})
    );
}

#[tokio::test]
async fn transient_lambda_error_succeeds_on_retry() {
    let clock = Arc::new(FakeClock::instant(t0()));
    let f = fakes(
        vec![
            Err(lambda_err(
                "Lambda.TooManyRequestsException",
                "Rate exceeded",
            )),
            Err(lambda_err("Vod.Transient", "S3 503")),
            probed("probed"),
        ],
        Job::Completes,
    );
    let Some(run) = run_with(f, clock.clone()).await else {
        return;
    };
    assert_eq!(
        run.desc.status,
        ExecutionStatus::Succeeded,
        "{:?} {:?}",
        run.desc.error,
        run.desc.cause
    );
    assert_eq!(functions(&run)[..3], [PROBE, PROBE, PROBE]);
    // JitterStrategy FULL: each delay is at most the first interval of its retrier (1 s, then 2 s)
    let sleeps = clock.completed_sleeps();
    assert_eq!(sleeps.len(), 2);
    assert!(
        sleeps[0] <= Duration::from_secs(1) && sleeps[1] <= Duration::from_secs(2),
        "{sleeps:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn transcode_heartbeat_timeout_fails_the_asset() {
    let clock = Arc::new(FakeClock::manual(t0()));
    let f = fakes(vec![probed("probed")], Job::NeverAnswers);
    let Some(machine) = pipeline() else {
        return;
    };
    let engine = Engine::new(f.clone(), clock.clone());
    f.engine.set(engine.clone()).ok();
    let arn = engine
        .start_execution(machine, None, s3_event())
        .unwrap_or_default();
    let mut token = None;
    for _ in 0..10_000 {
        token = engine
            .pending_task_tokens()
            .into_iter()
            .next()
            .map(|(t, _)| t);
        if token.is_some() && clock.pending_sleepers() > 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    let token = token.unwrap_or_default();
    // a heartbeat keeps the job alive past the first 600 s window
    clock.advance(Duration::from_secs(500));
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert!(engine.send_task_heartbeat(&token).is_ok());
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    clock.advance(Duration::from_secs(500));
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        engine.describe(&arn).map(|d| d.status).ok(),
        Some(ExecutionStatus::Running)
    );
    // then silence for longer than HeartbeatSeconds
    clock.advance(Duration::from_secs(200));
    let desc = engine.wait(&arn).await.ok();
    assert_eq!(
        desc.as_ref().map(|d| d.status),
        Some(ExecutionStatus::Failed)
    );
    assert_eq!(
        desc.and_then(|d| d.error).as_deref(),
        Some("States.Timeout")
    );
    let calls = f.calls.lock().map(|c| c.clone()).unwrap_or_default();
    let last = calls.last().map(|c| c.1.clone()).unwrap_or_default();
    assert_eq!(last["eventType"], "asset.failed");
    assert_eq!(last["error"]["Error"], "States.Timeout");
    let history = engine.history(&arn).unwrap_or_default();
    assert!(history.iter().any(|e| e.event_type == "TaskTimedOut"));
}
