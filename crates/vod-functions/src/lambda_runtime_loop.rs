//! [`run_lambda`]: the body of every Lambda `main`, around one [`Function`].

use crate::Function;
use std::sync::Arc;
use vod_aws::{AwsClients, Config};

/// The body of every Lambda `main`: tracing, config, clients (once), then the runtime loop
/// around `F` alone.
pub async fn run_lambda<F: Function>() -> Result<(), lambda_runtime::Error> {
    crate::logging::init_lambda_tracing();
    let config = Config::from_env(F::FUNCTION)?;
    let clients = AwsClients::from_env().await;
    let function = Arc::new(F::configure(&clients, &config)?);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let function = Arc::clone(&function);
            async move {
                function
                    .invoke(event.payload)
                    .await
                    .map_err(lambda_runtime::Diagnostic::from)
            }
        },
    ))
    .await
}
