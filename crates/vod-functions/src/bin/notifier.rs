//! The `notifier` Lambda: see `vod_functions::notifier`.

use vod_core::contracts::LambdaFunction;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    vod_functions::run_lambda(LambdaFunction::Notifier).await
}
