//! The `job-submit` Lambda: see `vod_functions::job_submit`.

use vod_core::contracts::LambdaFunction;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    vod_functions::run_lambda(LambdaFunction::JobSubmit).await
}
