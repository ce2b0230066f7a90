//! The `completion-handler` Lambda: see `vod_functions::completion_handler`.

use vod_functions::completion_handler::CompletionDeps;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    vod_functions::run_lambda::<CompletionDeps>().await
}
