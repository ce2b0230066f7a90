//! The `ingest-probe` Lambda: see `vod_functions::ingest_probe`.

use vod_core::contracts::LambdaFunction;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    vod_functions::run_lambda(LambdaFunction::IngestProbe).await
}
