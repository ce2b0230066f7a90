//! The `ingest-probe` Lambda: see `vod_functions::ingest_probe`.

use vod_functions::ingest_probe::IngestProbeDeps;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    vod_functions::run_lambda::<IngestProbeDeps>().await
}
