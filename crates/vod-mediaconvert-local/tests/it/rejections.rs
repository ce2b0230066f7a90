//! What the API refuses, naming the setting: unsupported codecs, non-S3 inputs, a missing
//! role, unknown jobs; and the endpoints it answers for older clients.

use aws_sdk_mediaconvert::types as mc;

use crate::env::{Env, OUT};
use crate::jobs::{audio_output, cmaf_group, settings, small_job, video_rung};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_settings_are_rejected_naming_the_setting() {
    let env = Env::start().await;
    let mut hevc = video_rung("_hevc", 640, 360, 800_000);
    if let Some(vd) = hevc.video_description.as_mut()
        && let Some(cs) = vd.codec_settings.as_mut()
    {
        cs.codec = Some(mc::VideoCodec::H265);
    }
    let job = settings(
        "in.mp4",
        vec![cmaf_group(
            &format!("s3://{OUT}/x/stream"),
            vec![
                video_rung("_360p", 640, 360, 800_000),
                hevc,
                audio_output("_audio"),
            ],
        )],
    );
    let err = env
        .mc
        .create_job()
        .role("arn:aws:iam::000000000000:role/R")
        .settings(job)
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
    let mut job = small_job("in.mp4", "a");
    if let Some(input) = job.inputs.as_mut().and_then(|i| i.first_mut()) {
        input.file_input = Some("https://example.com/in.mp4".to_owned());
    }
    let err = env
        .mc
        .create_job()
        .role("arn:aws:iam::000000000000:role/R")
        .settings(job)
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
    let err = env
        .mc
        .create_job()
        .settings(small_job("in.mp4", "a"))
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
