//! The `job-submit` Lambda: see `vod_functions::job_submit`.

use vod_functions::job_submit::JobSubmitDeps;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    vod_functions::run_lambda::<JobSubmitDeps>().await
}
