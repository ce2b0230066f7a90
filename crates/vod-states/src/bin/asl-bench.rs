//! `asl-bench [EXECUTIONS] [PAUSED]`: executions per second for a 10-state machine, and resident
//! memory per execution paused on `.waitForTaskToken`. Prints figures; asserts nothing.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use vod_states::{Engine, ExecutionStatus, FnInvoker, StateMachine, TokioClock};

const TEN_STATES: &str = r#"{
  "StartAt": "Init",
  "States": {
    "Init": {"Type": "Pass", "Parameters": {"id.$": "$.id", "items.$": "$.items", "label.$": "States.Format('item-{}', $.id)", "n": 3}, "Next": "Fetch"},
    "Fetch": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "fetch", "Payload.$": "$"},
              "ResultSelector": {"size.$": "$.Payload.size"}, "ResultPath": "$.fetched", "Next": "Route"},
    "Route": {"Type": "Choice", "Choices": [{"Variable": "$.fetched.size", "NumericGreaterThan": 100, "Next": "Enrich"}], "Default": "Enrich"},
    "Enrich": {"Type": "Pass", "Assign": {"flag.$": "$.ok"}, "Result": {"ok": true}, "ResultPath": "$.enriched", "Next": "Process"},
    "Process": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "process", "Payload": {"flag.$": "$flag"}},
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}], "ResultPath": "$.processed", "Next": "Pause"},
    "Pause": {"Type": "Wait", "Seconds": 0, "Next": "Fan"},
    "Fan": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "Each", "States": {"Each": {"Type": "Pass", "End": true}}},
            "ResultPath": "$.fanned", "Next": "Branch"},
    "Branch": {"Type": "Parallel", "Branches": [
        {"StartAt": "L", "States": {"L": {"Type": "Pass", "Result": 1, "End": true}}},
        {"StartAt": "R", "States": {"R": {"Type": "Pass", "Result": 2, "End": true}}}], "ResultPath": "$.branches", "Next": "Summarise"},
    "Summarise": {"Type": "Pass", "Parameters": {"id.$": "$.id", "count.$": "States.ArrayLength($.fanned)"}, "Next": "Done"},
    "Done": {"Type": "Succeed"}
  }
}"#;

const PAUSING: &str = r#"{
  "StartAt": "Wait",
  "States": {
    "Wait": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
             "Parameters": {"FunctionName": "submit", "Payload": {"token.$": "$$.Task.Token", "id.$": "$.id"}}, "End": true}
  }
}"#;

fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let executions = args.first().copied().unwrap_or(20_000);
    let paused = args.get(1).copied().unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        // memory per paused execution (measured first, on a fresh engine)
        let invoker = FnInvoker::new(|_r, _p, _c| Ok(json!({"StatusCode": 202})));
        let engine = Engine::new(Arc::new(invoker), Arc::new(TokioClock));
        let machine = Arc::new(StateMachine::from_json(PAUSING)?);
        let before = rss_bytes().unwrap_or(0);
        for i in 0..paused {
            engine.start_execution(machine.clone(), Some(format!("p{i}")), json!({"id": i}))?;
        }
        while (engine.pending_task_tokens().len() as u64) < paused {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let after = rss_bytes().unwrap_or(0);
        #[allow(clippy::cast_precision_loss)]
        let per = after.saturating_sub(before) as f64 / paused.max(1) as f64;
        println!(
            "paused on waitForTaskToken: {paused} executions, RSS {:.1} MiB -> {:.1} MiB = {per:.0} bytes/execution (incl. history)",
            before as f64 / 1_048_576.0,
            after as f64 / 1_048_576.0
        );
        let resume = Instant::now();
        let tokens = engine.pending_task_tokens();
        for (token, _) in &tokens {
            engine.send_task_success(token, json!({"ok": true}))?;
        }
        for d in engine.list_executions() {
            engine.wait(&d.execution_arn).await?;
        }
        #[allow(clippy::cast_precision_loss)]
        let resume_rate = tokens.len() as f64 / resume.elapsed().as_secs_f64();
        println!("resumed {} paused executions at {resume_rate:.0} callbacks/s", tokens.len());
        drop(engine);
        drop(machine);
        let invoker = FnInvoker::new(|_r, p: Value, _c| Ok(json!({"Payload": {"size": 512, "echo": p}, "StatusCode": 200})));
        let engine = Engine::new(Arc::new(invoker), Arc::new(TokioClock));
        let machine = Arc::new(StateMachine::from_json(TEN_STATES)?);
        let started = Instant::now();
        let mut done = 0u64;
        let batch = 1_000;
        let mut next = 0u64;
        while next < executions {
            let arns: Vec<String> = (next..(next + batch).min(executions))
                .filter_map(|i| engine.start_execution(machine.clone(), Some(format!("x{i}")), json!({"id": i, "items": [1, 2, 3]})).ok())
                .collect();
            next += batch;
            for arn in arns {
                match engine.wait(&arn).await {
                    Ok(d) if d.status == ExecutionStatus::Succeeded => done += 1,
                    Ok(d) if done == 0 && next <= batch => eprintln!("failed: {:?} {:?}", d.error, d.cause),
                    _ => {}
                }
            }
        }
        let secs = started.elapsed().as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        let rate = done as f64 / secs;
        println!("10-state machine: {done}/{executions} executions succeeded in {secs:.2} s = {rate:.0} executions/s (2 worker threads)");
        #[allow(clippy::cast_precision_loss)]
        let retained = rss_bytes().unwrap_or(0) as f64 / 1_048_576.0;
        println!("RSS with {executions} finished executions (histories retained): {retained:.1} MiB");

        let _ = rss_bytes();
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}
