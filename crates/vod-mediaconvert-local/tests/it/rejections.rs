//! What the API refuses, naming the setting: unsupported codecs, non-S3 inputs, a missing
//! role, unknown jobs; and the endpoints it answers for older clients.

use aws_sdk_mediaconvert::types as mc;

use crate::env::Env;
use crate::jobs::{asset_id, create_changed_job, create_job, ladder, rung, small_job, spec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_settings_are_rejected_naming_the_setting() {
    let env = Env::start().await;
    let job = spec(
        "in.mp4",
        &asset_id("hevc"),
        ladder(vec![
            rung("_360p", 640, 360, 800_000),
            rung("_hevc", 640, 360, 800_000),
        ]),
    );
    let err = create_changed_job(&env, &job, |settings| {
        let hevc = settings
            .output_groups
            .iter_mut()
            .flatten()
            .next()
            .and_then(|g| g.outputs.as_mut())
            .and_then(|o| o.get_mut(1))
            .and_then(|o| o.video_description.as_mut())
            .and_then(|v| v.codec_settings.as_mut())
            .expect("the second rung's codec settings");
        hevc.codec = Some(mc::VideoCodec::H265);
    })
    .send()
    .await
    .expect_err("H_265 is rejected");
    let service = err.into_service_error();
    assert!(service.is_bad_request_exception(), "{service:?}");
    let message = service.meta().message().unwrap_or_default().to_owned();
    assert!(
        message.contains("/outputGroups/0/outputs/1/videoDescription/codecSettings/codec"),
        "{message}"
    );

    // A non-S3 input.
    let job = small_job("in.mp4", &asset_id("a"));
    let err = create_changed_job(&env, &job, |settings| {
        if let Some(input) = settings.inputs.as_mut().and_then(|i| i.first_mut()) {
            input.file_input = Some("https://example.com/in.mp4".to_owned());
        }
    })
    .send()
    .await
    .expect_err("https input is rejected");
    let message = err
        .into_service_error()
        .meta()
        .message()
        .unwrap_or_default()
        .to_owned();
    assert!(message.starts_with("/inputs/0/fileInput:"), "{message}");

    // No role.
    let err = create_job(&env, &job)
        .set_role(None)
        .send()
        .await
        .expect_err("a job without a role is rejected");
    let service = err.into_service_error();
    assert!(service.is_bad_request_exception(), "{service:?}");
    assert!(
        service
            .meta()
            .message()
            .unwrap_or_default()
            .starts_with("/role"),
        "{service:?}"
    );

    // DescribeEndpoints answers with the twin's own address (deprecated in the SDK, but older
    // clients and tools still call it first).
    #[allow(deprecated)]
    let endpoints = env
        .mc
        .describe_endpoints()
        .send()
        .await
        .expect("DescribeEndpoints");
    assert!(
        endpoints
            .endpoints()
            .first()
            .and_then(|e| e.url())
            .is_some_and(|u| u.starts_with("http://127.0.0.1:"))
    );

    // Unknown job.
    let err = env
        .mc
        .get_job()
        .id("1700000000000-nosuch")
        .send()
        .await
        .expect_err("404");
    assert!(err.into_service_error().is_not_found_exception());
    env.stop().await;
}
