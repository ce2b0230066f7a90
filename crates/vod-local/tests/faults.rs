//! The twin's plumbing under faults, on a real moto: the event pump keeps handling messages
//! while one handler call hangs, and start-up recovery reads every page of `byStatus`.

use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vod_core::contracts::LambdaFunction;
use vod_local::pump::{Pump, Route};
use vod_local::{InvokeError, LambdaHost, StepFunctions};
use vod_states::{Engine, FnInvoker, StateMachine, TokioClock};
use vod_testkit::MotoServer;

/// Long enough for a slow machine; only there so a broken pump fails instead of hanging.
const DEADLINE: Duration = Duration::from_secs(120);

fn sdk(moto: &MotoServer) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(
            aws_sdk_s3::config::Credentials::new("test", "test", None, None, "it"),
        ))
        .endpoint_url(moto.endpoint())
        .build()
}

fn step_functions() -> Arc<StepFunctions> {
    let engine = Engine::new(
        Arc::new(FnInvoker::new(|_resource, params, _context| Ok(params))),
        Arc::new(TokioClock),
    );
    let machine = StateMachine::from_value(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
    )
    .expect("valid definition");
    Arc::new(StepFunctions::new(
        engine,
        machine,
        "arn:aws:iam::000000000000:role/test".to_owned(),
    ))
}

/// Sets its flag when dropped: tells whether a call is still running.
struct Ended(Arc<AtomicBool>);

impl Drop for Ended {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A completion handler that never answers for job `hung` and records every other job id.
#[derive(Default)]
struct OneHangs {
    handled: Mutex<Vec<String>>,
    hung_started: AtomicBool,
    hung_ended: Arc<AtomicBool>,
}

#[async_trait::async_trait]
impl LambdaHost for OneHangs {
    async fn invoke(&self, function: LambdaFunction, payload: Value) -> Result<Value, InvokeError> {
        assert_eq!(function, LambdaFunction::CompletionHandler);
        let job = payload["detail"]["jobId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if job == "hung" {
            let _ended = Ended(Arc::clone(&self.hung_ended));
            self.hung_started.store(true, Ordering::SeqCst);
            std::future::pending::<()>().await;
        }
        self.handled.lock().expect("lock").push(job);
        Ok(json!({}))
    }
}

async fn queue_counts(sqs: &aws_sdk_sqs::Client, url: &str) -> (String, String) {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .expect("queue attributes");
    let get = |a: A| {
        out.attributes()
            .and_then(|m| m.get(&a))
            .cloned()
            .unwrap_or_default()
    };
    (
        get(A::ApproximateNumberOfMessages),
        get(A::ApproximateNumberOfMessagesNotVisible),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hung_completion_handler_call_does_not_stall_the_other_jobs() {
    let moto = MotoServer::start().expect("moto starts");
    let sqs = aws_sdk_sqs::Client::new(&sdk(&moto));
    let url = sqs
        .create_queue()
        .queue_name("job-events")
        .send()
        .await
        .expect("queue")
        .queue_url
        .unwrap_or_default();
    let jobs = ["hung", "a", "b", "c", "d", "e"];
    for job in jobs {
        sqs.send_message()
            .queue_url(&url)
            .message_body(json!({"detail": {"jobId": job, "status": "STATUS_UPDATE"}}).to_string())
            .send()
            .await
            .expect("send");
    }
    let host = Arc::new(OneHangs::default());
    let pump = Pump {
        sqs: sqs.clone(),
        queue_url: url.clone(),
        route: Route::CompletionHandler,
        sfn: step_functions(),
        host: Arc::clone(&host) as Arc<dyn LambdaHost>,
        wait_seconds: 1,
        retry_after_seconds: 1,
    };
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(pump.run(stop_rx));

    let start = Instant::now();
    loop {
        let handled = host.handled.lock().expect("lock").len();
        if handled == jobs.len() - 1 && queue_counts(&sqs, &url).await == ("0".into(), "1".into()) {
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "only {handled} of 5 jobs handled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The other five were handled and deleted while the hung call was still running (it holds
    // its message, invisible and undeleted).
    assert!(host.hung_started.load(Ordering::SeqCst));
    assert!(
        !host.hung_ended.load(Ordering::SeqCst),
        "the others waited for the hung call to end"
    );
    let mut handled = host.handled.lock().expect("lock").clone();
    handled.sort();
    assert_eq!(handled, ["a", "b", "c", "d", "e"]);
    stop.send_replace(true);
    running.abort();
}

/// Counts the notifier calls start-up recovery makes (one per orphaned asset).
#[derive(Default)]
struct CountsNotifier(Mutex<Vec<String>>);

#[async_trait::async_trait]
impl LambdaHost for CountsNotifier {
    async fn invoke(&self, function: LambdaFunction, payload: Value) -> Result<Value, InvokeError> {
        assert_eq!(function, LambdaFunction::Notifier);
        let id = payload["assetId"].as_str().unwrap_or_default().to_owned();
        self.0.lock().expect("lock").push(id);
        Ok(json!({}))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_fails_every_orphan_across_pages_of_by_status() {
    use vod_aws::dynamodb::{DynamoAssetStore, ensure_asset_table};
    use vod_core::ports::AssetStore as _;
    use vod_core::record::SourceObject;
    use vod_core::s3_key::ObjectKey;

    let moto = MotoServer::start().expect("moto starts");
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk(&moto));
    ensure_asset_table(&dynamodb, "assets")
        .await
        .expect("table");
    let store = DynamoAssetStore::new(dynamodb, "assets");
    let orphans = 23;
    for i in 0..orphans {
        let key = ObjectKey::from_event(&format!("uploads/{i}.mp4"));
        let id = vod_core::AssetId::derive("src", &key.decoded, "etag");
        let source = SourceObject {
            bucket: "src".into(),
            key,
            resolved_key: None,
            version_id: None,
            etag: Some("etag".into()),
            size_bytes: Some(1),
        };
        let record = vod_core::AssetRecord::claim(id, source, chrono::Utc::now());
        store.claim(&record).await.expect("claim");
    }
    let host = Arc::new(CountsNotifier::default());
    let engine = step_functions().engine().clone();
    let dyn_host = Arc::clone(&host) as Arc<dyn LambdaHost>;
    // Five records a page: the orphans span five pages.
    let recovered = vod_local::recovery::fail_orphans_paged(&store, &engine, &dyn_host, 5)
        .await
        .expect("recovery");
    assert_eq!(recovered.len(), orphans);
    let mut failed = host.0.lock().expect("lock").clone();
    failed.sort();
    failed.dedup();
    assert_eq!(failed.len(), orphans, "each orphan failed once");
}
