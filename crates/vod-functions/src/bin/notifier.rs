//! The `notifier` Lambda: see `vod_functions::notifier`.

use vod_functions::notifier::NotifierDeps;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    vod_functions::run_lambda::<NotifierDeps>().await
}
