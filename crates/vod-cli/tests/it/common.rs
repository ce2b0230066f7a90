//! A moto server plus the resources `vod` expects, and a `Command` for the binary wired to it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use vod_aws::dynamodb::DynamoAssetStore;
use vod_testkit::moto::MotoServer;

pub const BUCKET: &str = "vod-source";
pub const TABLE: &str = "vod-assets";
pub const TOPIC: &str = "vod-events";
pub const CDN: &str = "https://d.example";

/// Every variable that could leak from the developer's shell into the binary under test.
const SCRUB: &[&str] = &[
    "VOD_SOURCE_BUCKET",
    "VOD_ASSET_TABLE",
    "VOD_TOPIC_ARN",
    "VOD_CDN_BASE_URL",
    "VOD_LOCAL",
    "VOD_OUTPUT_PREFIX",
    "VOD_LADDER_POLICY_FILE",
    "VOD_MEDIACONVERT_ROLE_ARN",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SNS",
    "AWS_ENDPOINT_URL_SQS",
];

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vod"));
    for name in SCRUB {
        cmd.env_remove(name);
    }
    cmd
}

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Panics with both streams when the command did not exit with `code`.
pub fn expect_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// moto with the twin's bucket, table (both indexes) and topic, and a repository root whose
/// `localstack/twin.json` points at it, so `vod --local` reaches it.
pub struct Env {
    pub moto: MotoServer,
    pub root: tempfile::TempDir,
    pub sdk: aws_config::SdkConfig,
    pub topic_arn: String,
}

impl Env {
    pub async fn start() -> Self {
        let moto = MotoServer::start().expect("moto");
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(moto.endpoint())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .load()
            .await;
        let clients = vod_aws::AwsClients::from_sdk_config(&sdk);
        clients
            .s3()
            .create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .expect("bucket");
        vod_aws::dynamodb::ensure_asset_table(&clients.dynamodb(), TABLE)
            .await
            .expect("asset table");
        let topic_arn = clients
            .sns()
            .create_topic()
            .name(TOPIC)
            .send()
            .await
            .expect("topic")
            .topic_arn
            .expect("topic arn");
        let root = tempfile::tempdir().expect("tempdir");
        let twin = serde_json::json!({
            "region": "us-east-1",
            "accountId": "123456789012",
            "pipelineName": "vod-test",
            "sourceBucket": BUCKET,
            "outputBucket": "vod-output",
            "outputPrefix": "assets/",
            "assetTable": TABLE,
            "topicName": TOPIC,
            "stateMachineName": "vod-pipeline",
            "mediaConvertRoleArn": "arn:aws:iam::123456789012:role/vod-mediaconvert",
            "ports": {"moto": moto.port(), "stepFunctions": 1, "cdn": 2, "mediaConvert": 3}
        });
        std::fs::create_dir_all(root.path().join("localstack")).expect("mkdir");
        std::fs::write(root.path().join("localstack/twin.json"), twin.to_string())
            .expect("twin.json");
        Self {
            moto,
            root,
            sdk,
            topic_arn,
        }
    }

    pub fn clients(&self) -> vod_aws::AwsClients {
        vod_aws::AwsClients::from_sdk_config(&self.sdk)
    }

    pub fn store(&self) -> DynamoAssetStore {
        DynamoAssetStore::new(self.clients().dynamodb(), TABLE)
    }

    /// `vod --local …` through `VOD_REPO_ROOT`.
    pub fn local(&self) -> Command {
        let mut cmd = bin();
        cmd.env("VOD_REPO_ROOT", self.root.path()).arg("--local");
        cmd
    }

    /// `vod …` configured like a real account: standard AWS env plus resource env vars.
    pub fn aws(&self) -> Command {
        let mut cmd = bin();
        cmd.env("AWS_ENDPOINT_URL", self.moto.endpoint())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("VOD_SOURCE_BUCKET", BUCKET)
            .env("VOD_ASSET_TABLE", TABLE)
            .env("VOD_TOPIC_ARN", &self.topic_arn)
            .env("VOD_CDN_BASE_URL", CDN);
        cmd
    }
}

/// A record as the ingest step would claim it, for `key` in the source bucket.
pub fn record(
    key: &str,
    etag: &str,
    created: chrono::DateTime<chrono::Utc>,
) -> vod_core::AssetRecord {
    let id = vod_core::AssetId::derive(BUCKET, key, etag);
    vod_core::AssetRecord::claim(
        id,
        vod_core::record::SourceObject {
            bucket: BUCKET.to_owned(),
            key: vod_core::s3_key::ObjectKey {
                raw: key.to_owned(),
                decoded: key.to_owned(),
            },
            resolved_key: None,
            version_id: None,
            etag: Some(etag.to_owned()),
            size_bytes: Some(1),
        },
        created,
    )
}
