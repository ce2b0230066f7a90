//! `vod`: upload, follow and play assets of the VOD pipeline, on AWS or the local twin.

use anyhow::{Context, Result};
use chrono::Utc;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use vod_aws::AwsClients;
use vod_aws::dynamodb::DynamoAssetStore;
use vod_cli::records::{self, WaitOutcome};
use vod_cli::settings::{ResourceFlags, Resources, parse_duration};
use vod_cli::{env, exit, plan, probe, sign, upload, watch};
use vod_core::{AssetRecord, AssetStatus};

#[derive(Debug, Parser)]
#[command(
    name = "vod",
    version,
    about = "Upload, follow and play assets of the VOD pipeline (AWS or the local twin)"
)]
struct Cli {
    #[command(flatten)]
    resources: ResourceArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct ResourceArgs {
    /// Use the local twin: names, endpoint and test credentials from localstack/twin.json.
    #[arg(long, global = true)]
    local: bool,
    /// Bucket uploads go to.
    #[arg(long, global = true, env = env::SOURCE_BUCKET)]
    source_bucket: Option<String>,
    /// DynamoDB table of asset records.
    #[arg(long, global = true, env = env::ASSET_TABLE)]
    table: Option<String>,
    /// SNS topic of lifecycle events.
    #[arg(long, global = true, env = env::TOPIC_ARN)]
    topic_arn: Option<String>,
    /// CDN base URL serving the outputs.
    #[arg(long, global = true, env = env::CDN_BASE_URL)]
    cdn: Option<String>,
}

#[derive(Debug, Args)]
struct KeyArgs {
    /// CloudFront public-key id (key-pair id) of the trusted key group.
    #[arg(long, env = env::SIGNING_KEY_PAIR_ID)]
    key_pair_id: String,
    /// PEM file of the matching RSA private key.
    #[arg(long, env = env::SIGNING_PRIVATE_KEY_FILE)]
    private_key: PathBuf,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Upload a source file; prints the asset id it will have.
    Upload {
        file: PathBuf,
        /// Object key (default: the file name, exactly as it is).
        #[arg(long)]
        key: Option<String>,
        /// Wait for COMPLETE/REJECTED/FAILED (exit 0/2/3; 4 on timeout).
        #[arg(long)]
        wait: bool,
        #[arg(long)]
        json: bool,
        /// How long --wait waits (90s, 30m, 2h).
        #[arg(long, default_value = "30m", value_parser = parse_duration)]
        timeout: Duration,
        /// How often --wait reads the record.
        #[arg(long, default_value = "2s", value_parser = parse_duration)]
        poll_interval: Duration,
    },
    /// Show one asset record.
    Status {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// List assets, newest first.
    List {
        #[arg(long, value_parser = records::parse_status)]
        status: Option<AssetStatus>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Print lifecycle events as they are published (temporary SQS queue, removed on exit).
    Watch {
        /// One JSON event per line on stdout.
        #[arg(long)]
        json: bool,
        /// Stop after this many events.
        #[arg(long)]
        max_events: Option<usize>,
        /// Stop after this long (exit 4 if --max-events was not reached).
        #[arg(long, value_parser = parse_duration)]
        timeout: Option<Duration>,
    },
    /// Probe a local file as the pipeline would (ranged reads, nothing uploaded): the report
    /// on stdout (input for `vod job plan`), a summary on stderr; exit 2 if it would be rejected.
    Probe { file: PathBuf },
    /// MediaConvert job tools.
    Job {
        #[command(subcommand)]
        command: JobCommand,
    },
    /// Sign a CloudFront URL (canned policy, or custom with --policy-resource/--ip/--not-before).
    Sign {
        url: String,
        #[command(flatten)]
        key: KeyArgs,
        /// 1h, 30m, 2d, epoch seconds or an RFC 3339 time.
        #[arg(long, default_value = "1h")]
        expires: String,
        /// Custom policy resource, e.g. 'https://d.example/assets/ID/*'.
        #[arg(long)]
        policy_resource: Option<String>,
        /// Viewer IP or CIDR (custom policy).
        #[arg(long)]
        ip: Option<String>,
        /// Not valid before (custom policy): RFC 3339, epoch seconds or a duration from now.
        #[arg(long)]
        not_before: Option<String>,
        /// Print Set-Cookie lines instead of the URL.
        #[arg(long)]
        cookies: bool,
        #[arg(long)]
        json: bool,
    },
    /// Playback URLs of an asset plus signed cookies covering <cdn>/<prefix><id>/*.
    Playback {
        id: String,
        #[command(flatten)]
        key: KeyArgs,
        /// How long the viewer may play.
        #[arg(long = "for", default_value = "2h")]
        valid_for: String,
        /// Restrict the cookies to a viewer IP or CIDR.
        #[arg(long)]
        ip: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The local twin (no AWS account needed).
    Local {
        #[command(subcommand)]
        command: LocalCommand,
    },
    /// List the environment variables vod reads.
    Env,
}

#[derive(Debug, Subcommand)]
enum LocalCommand {
    /// Run the twin in the foreground (moto, Step Functions, Lambdas, MediaConvert, CDN) and
    /// print its endpoints and the `export` lines for the aws CLI; Ctrl-C stops it cleanly.
    Up(vod_local::cli::UpArgs),
}

#[derive(Debug, Subcommand)]
enum JobCommand {
    /// Print the CreateJob JSON body for a probe report (or asset record with `probe`).
    Plan {
        probe: PathBuf,
        /// MediaConvert role ARN.
        #[arg(long, env = env::MEDIACONVERT_ROLE_ARN)]
        role: Option<String>,
        /// Ladder policy (JSON or TOML).
        #[arg(long, env = env::LADDER_POLICY_FILE)]
        policy: Option<PathBuf>,
        /// Source URI (default: the record's source, else s3://<source bucket>/<probe file stem>).
        #[arg(long)]
        input: Option<String>,
        #[arg(long, env = env::OUTPUT_BUCKET)]
        output_bucket: Option<String>,
        #[arg(long, env = env::PIPELINE_NAME)]
        pipeline: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

async fn run(cli: Cli) -> Result<u8> {
    let r = cli.resources;
    let resources = Resources::resolve(ResourceFlags {
        source_bucket: r.source_bucket,
        table: r.table,
        topic_arn: r.topic_arn,
        cdn: r.cdn,
        local: r.local,
    })?;
    match cli.command {
        Command::Upload {
            file,
            key,
            wait,
            json,
            timeout,
            poll_interval,
        } => {
            let bucket = resources.source_bucket()?.to_owned();
            let table = if wait {
                Some(resources.table()?.to_owned())
            } else {
                None
            };
            let key = match key {
                Some(k) => k,
                None => upload::default_key(&file)?,
            };
            let clients = AwsClients::from_sdk_config(&resources.sdk_config().await);
            let done = upload::upload(&clients.s3(), &bucket, &key, &file).await?;
            eprintln!(
                "uploaded {} to s3://{}/{} ({} bytes); asset id {}",
                file.display(),
                done.bucket,
                done.key,
                done.size_bytes,
                done.asset_id
            );
            let Some(table) = table else {
                if json {
                    print_json(&done)?;
                } else {
                    println!("{}", done.asset_id);
                }
                return Ok(exit::OK);
            };
            if !json {
                println!("{}", done.asset_id);
            }
            let store = DynamoAssetStore::new(clients.dynamodb(), table);
            match records::wait_final(&store, &done.asset_id, timeout, poll_interval).await? {
                WaitOutcome::Final(record) => {
                    if json {
                        print_json(&record)?;
                    } else {
                        print!("{}", records::describe(&record));
                    }
                    Ok(final_code(&record))
                }
                WaitOutcome::TimedOut(last) => {
                    let status = last
                        .as_ref()
                        .map(|r| r.status.as_str())
                        .unwrap_or("not claimed yet");
                    eprintln!(
                        "error: gave up after {timeout:?}: {} is still {status}; check later with `vod status {}`",
                        done.asset_id, done.asset_id
                    );
                    if json {
                        print_json(
                            &serde_json::json!({"assetId": done.asset_id, "timedOut": true, "record": last}),
                        )?;
                    }
                    Ok(exit::TIMEOUT)
                }
            }
        }
        Command::Status { id, json } => {
            let id = records::parse_id(&id)?;
            let store = store(&resources).await?;
            let record = records::get_existing(&store, &id).await?;
            if json {
                print_json(&record)?;
            } else {
                print!("{}", records::describe(&record));
            }
            Ok(exit::OK)
        }
        Command::List {
            status,
            limit,
            json,
        } => {
            let store = store(&resources).await?;
            let list = records::list(&store, status, limit).await?;
            if json {
                print_json(&list)?;
            } else if list.is_empty() {
                eprintln!(
                    "no assets{}",
                    status
                        .map(|s| format!(" with status {}", s.as_str()))
                        .unwrap_or_default()
                );
            } else {
                for record in &list {
                    println!("{}", records::list_line(record));
                }
            }
            Ok(exit::OK)
        }
        Command::Watch {
            json,
            max_events,
            timeout,
        } => {
            let topic = resources.topic_arn()?.to_owned();
            let sdk = resources.sdk_config().await;
            let sqs = aws_sdk_sqs::Client::new(&sdk);
            let sns = aws_sdk_sns::Client::new(&sdk);
            let end = watch::watch(
                &sqs,
                &sns,
                &topic,
                watch::WatchLimits {
                    max_events,
                    timeout,
                },
                |event| {
                    if json {
                        println!("{event}");
                    } else {
                        println!("{}", watch::event_line(event));
                    }
                },
            )
            .await?;
            eprintln!(
                "stopped watching ({end:?}); the temporary queue and subscription were removed"
            );
            Ok(match end {
                watch::WatchEnd::TimedOut { .. } if max_events.is_some() => exit::TIMEOUT,
                _ => exit::OK,
            })
        }
        Command::Probe { file } => match probe::probe_file(&file).await? {
            vod_core::probe::ProbeOutcome::Accepted { report } => {
                eprint!("accepted: {}", probe::describe(&report));
                print_json(&report)?;
                Ok(exit::OK)
            }
            vod_core::probe::ProbeOutcome::Rejected { rejection } => {
                eprintln!(
                    "rejected ({}): {}",
                    serde_json::to_value(rejection.reason)?
                        .as_str()
                        .unwrap_or("?"),
                    rejection.message
                );
                print_json(&rejection)?;
                Ok(exit::REJECTED)
            }
        },
        Command::Job {
            command:
                JobCommand::Plan {
                    probe,
                    role,
                    policy,
                    input,
                    output_bucket,
                    pipeline,
                },
        } => {
            let twin = resources.twin.as_ref();
            let probe_input = plan::read_probe(&probe)?;
            let policy = plan::read_policy(policy.as_deref())?;
            let role_arn = match role.or_else(|| twin.map(|t| t.media_convert_role_arn.clone())) {
                Some(role) => role,
                None => {
                    let placeholder = "arn:aws:iam::000000000000:role/vod-mediaconvert";
                    eprintln!(
                        "note: no --role / {}; using the placeholder {placeholder}",
                        env::MEDIACONVERT_ROLE_ARN
                    );
                    placeholder.to_owned()
                }
            };
            let input_uri = input.or(probe_input.input_uri.clone()).unwrap_or_else(|| {
                let bucket = resources
                    .source_bucket
                    .clone()
                    .unwrap_or_else(|| "vod-source".to_owned());
                let stem = probe
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "source".to_owned());
                format!("s3://{bucket}/{stem}")
            });
            let target = plan::PlanTarget {
                input_uri,
                output_bucket: output_bucket
                    .or_else(|| twin.map(|t| t.output_bucket.clone()))
                    .unwrap_or_else(|| "vod-output".to_owned()),
                output_prefix: resources.output_prefix.clone(),
                pipeline: pipeline
                    .or_else(|| twin.map(|t| t.pipeline_name.clone()))
                    .unwrap_or_else(|| "vod".to_owned()),
                role_arn,
            };
            let planned = plan::plan(&probe_input, &policy, &target).await?;
            eprintln!("ladder for {}:", probe.display());
            for rung in &planned.plan.rungs {
                eprintln!(
                    "  {} {}x{} (QVBR {}, max {} kb/s)",
                    rung.name,
                    rung.width,
                    rung.height,
                    rung.qvbr_quality_level,
                    rung.max_bitrate_bps / 1000
                );
            }
            for audio in &planned.plan.audio {
                eprintln!(
                    "  audio {} {} ch {} kb/s",
                    audio.name,
                    audio.channels,
                    audio.bitrate_bps / 1000
                );
            }
            for reason in &planned.plan.reasons {
                eprintln!("  - {reason}");
            }
            print_json(&planned.body)?;
            Ok(exit::OK)
        }
        Command::Sign {
            url,
            key,
            expires,
            policy_resource,
            ip,
            not_before,
            cookies,
            json,
        } => {
            let signing_key = sign::load_key(&key.key_pair_id, &key.private_key)?;
            let now = Utc::now();
            let request = sign::SignRequest {
                url,
                expires: vod_signing::parse_expiry(&expires, now).context("--expires")?,
                policy_resource,
                ip,
                not_before: not_before.map(|t| sign::parse_time(&t, now)).transpose()?,
            };
            let signed = sign::sign(&signing_key, &request)?;
            if json {
                print_json(&signed)?;
            } else if cookies {
                for line in sign::set_cookie_lines(
                    &signed.cookies,
                    &signed.cookie_path,
                    signed.expires_at,
                    now,
                )? {
                    println!("{line}");
                }
            } else {
                println!("{}", signed.signed_url);
            }
            Ok(exit::OK)
        }
        Command::Playback {
            id,
            key,
            valid_for,
            ip,
            json,
        } => {
            let id = records::parse_id(&id)?;
            let cdn = resources.cdn()?.to_owned();
            let signing_key = sign::load_key(&key.key_pair_id, &key.private_key)?;
            let valid_for = vod_signing::parse_duration(&valid_for).context("--for")?;
            let store = store(&resources).await?;
            let record = records::get_existing(&store, &id).await?;
            if record.status != AssetStatus::Complete {
                eprintln!(
                    "warning: {id} is {}, not COMPLETE: the URLs will not play until it is",
                    record.status.as_str()
                );
            }
            let prefix = vod_core::job::asset_prefix(&resources.output_prefix, &id);
            let base = format!("{cdn}/{prefix}");
            let relative = |url: Option<&String>, default: &'static str| -> String {
                url.and_then(|u| u.strip_prefix(&base))
                    .map(str::to_owned)
                    .unwrap_or_else(|| default.to_owned())
            };
            let pb = record.playback.as_ref();
            let hls = relative(pb.and_then(|p| p.hls_url.as_ref()), "stream.m3u8");
            let dash = relative(pb.and_then(|p| p.dash_url.as_ref()), "stream.mpd");
            let now = Utc::now();
            let session = vod_signing::playback(
                &signing_key,
                &vod_signing::PlaybackRequest {
                    cdn_base_url: &cdn,
                    asset_prefix: &prefix,
                    hls_manifest: Some(&hls),
                    dash_manifest: Some(&dash),
                    valid_for,
                    now,
                    client_ip: ip.as_deref(),
                },
            )?;
            if json {
                print_json(&serde_json::json!({
                    "assetId": id,
                    "status": record.status,
                    "hlsUrl": session.hls_url,
                    "dashUrl": session.dash_url,
                    "resource": session.resource,
                    "cookiePath": session.cookie_path,
                    "expiresAt": session.expires_at,
                    "cookies": session.cookies,
                    "cookieHeader": session.cookies.cookie_header(),
                }))?;
            } else {
                println!("HLS   {}", session.hls_url.unwrap_or_default());
                println!("DASH  {}", session.dash_url.unwrap_or_default());
                for line in sign::set_cookie_lines(
                    &session.cookies,
                    &session.cookie_path,
                    session.expires_at,
                    now,
                )? {
                    println!("{line}");
                }
                eprintln!(
                    "cookies cover {} until {}; e.g. curl -H 'Cookie: {}' …",
                    session.resource,
                    session.expires_at,
                    session.cookies.cookie_header()
                );
            }
            Ok(exit::OK)
        }
        Command::Local {
            command: LocalCommand::Up(args),
        } => {
            vod_local::cli::init_tracing();
            vod_local::cli::run_until_signal(args).await?;
            Ok(exit::OK)
        }
        Command::Env => {
            for (name, doc) in env::ALL {
                println!("{name:<30} {doc}");
            }
            Ok(exit::OK)
        }
    }
}

async fn store(resources: &Resources) -> Result<DynamoAssetStore> {
    let table = resources.table()?.to_owned();
    let clients = AwsClients::from_sdk_config(&resources.sdk_config().await);
    Ok(DynamoAssetStore::new(clients.dynamodb(), table))
}

fn final_code(record: &AssetRecord) -> u8 {
    match record.status {
        AssetStatus::Complete => exit::OK,
        AssetStatus::Rejected => exit::REJECTED,
        AssetStatus::Failed => exit::FAILED,
        _ => exit::ERROR,
    }
}
