//! The `reconciler` Lambda: see `vod_functions::reconciler`.

use vod_functions::reconciler::ReconcilerDeps;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    vod_functions::run_lambda::<ReconcilerDeps>().await
}
