//! The twin keeps its assets across a SIGKILL: `vod-local` (the code `vod local up` runs) is
//! killed mid-transcode, with no chance to clean up, and started again on the same state
//! directory and ports. Every earlier asset is still there (record, outputs, playable over the
//! CDN), the interrupted one ends FAILED with a reason, moto and ffmpeg died with their parent,
//! a listener's subscription survived, and no restored upload started a new execution.

use aws_sdk_s3::primitives::ByteStream;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use vod_core::{AssetId, AssetRecord, AssetStatus, ports::AssetStore as _};
use vod_local::TwinFile;
use vod_local::subscribe::{QueueOptions, queue_to_topic};
use vod_testkit::media::ClipCache;

/// Only there so a broken twin fails instead of hanging.
const WAIT: Duration = Duration::from_secs(240);

/// Every process in a group dies with this guard (a failing test leaves nothing running).
struct Group(u32);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0)])
            .stderr(Stdio::null())
            .status();
    }
}

/// One `vod-local` in its own process group, up and serving.
struct Up {
    child: Child,
    group: Group,
    printed: Vec<String>,
}

fn free_ports() -> [u16; 4] {
    let held: Vec<std::net::TcpListener> = (0..4)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let ports: Vec<u16> = held
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    [ports[0], ports[1], ports[2], ports[3]]
}

fn up(root: &Path, ports: [u16; 4], run: u32) -> Up {
    let [moto, sfn, cdn, mediaconvert] = ports.map(|p| p.to_string());
    let log = std::fs::File::create(root.join(format!("vod-local-{run}.log"))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vod-local"))
        .arg("--state-dir")
        .arg(root.join("state"))
        .args(["--moto-port", &moto, "--sfn-port", &sfn])
        .args(["--cdn-port", &cdn, "--mediaconvert-port", &mediaconvert])
        .arg("--moto-binary")
        .arg(vod_testkit::moto::moto_binary().unwrap())
        .env_remove("AWS_ENDPOINT_URL")
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let group = Group(child.id());
    let (tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    let deadline = Instant::now() + WAIT;
    while !printed.iter().any(|l: &String| l.starts_with("Ctrl-C")) {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = lines.recv_timeout(left) else {
            let log = std::fs::read_to_string(root.join(format!("vod-local-{run}.log")));
            panic!("vod-local did not come up:\n{printed:#?}\n{log:?}");
        };
        printed.push(line);
    }
    Up {
        child,
        group,
        printed,
    }
}

/// `(pid, command line)` of every process below `root`, from /proc.
fn descendants(root: u32) -> Vec<(u32, String)> {
    let mut parent = HashMap::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        if let Some(ppid) = after_name.split_whitespace().nth(1) {
            parent.insert(pid, ppid.parse::<u32>().unwrap_or(0));
        }
    }
    let mut found: Vec<u32> = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        found.extend(parent.iter().filter(|(_, pp)| **pp == p).map(|(c, _)| *c));
        i += 1;
    }
    found
        .into_iter()
        .skip(1)
        .map(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            (pid, String::from_utf8_lossy(&cmd).replace('\0', " "))
        })
        .collect()
}

/// Running (a zombie waiting for its reaper is not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
    })
}

/// `GET` over HTTP/1.0: status and body.
fn http_get(url: &str) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]);
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, raw[split + 4..].to_vec())
}

/// The HLS master and everything it references, transitively: URL → bytes.
fn hls_files(master: &str) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut queue = vec![master.to_owned()];
    while let Some(url) = queue.pop() {
        let (status, body) = http_get(&url);
        assert_eq!(status, 200, "{url}");
        assert!(!body.is_empty(), "{url} is empty");
        if url.ends_with(".m3u8") {
            let dir = &url[..=url.rfind('/').unwrap()];
            for line in String::from_utf8_lossy(&body).lines().map(str::trim) {
                let uri = match line.find("URI=\"") {
                    Some(i) => line[i + 5..].split('"').next().unwrap_or_default(),
                    None if !line.starts_with('#') => line,
                    None => "",
                };
                if !uri.is_empty() && !files.contains_key(&format!("{dir}{uri}")) {
                    queue.push(format!("{dir}{uri}"));
                }
            }
        }
        files.insert(url, body);
    }
    files
}

struct Clients {
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    sns: aws_sdk_sns::Client,
    store: vod_aws::dynamodb::DynamoAssetStore,
    sfn: aws_sdk_sfn::Client,
}

async fn clients(twin: &TwinFile, ports: [u16; 4]) -> Clients {
    let sdk = vod_local::sdk_config(&format!("http://127.0.0.1:{}", ports[0]), twin).await;
    let aws = vod_aws::AwsClients::from_sdk_config(&sdk);
    Clients {
        s3: aws.s3(),
        sqs: aws_sdk_sqs::Client::new(&sdk),
        sns: aws_sdk_sns::Client::new(&sdk),
        store: vod_aws::dynamodb::DynamoAssetStore::new(aws.dynamodb(), &twin.asset_table),
        sfn: aws_sdk_sfn::Client::from_conf(
            aws_sdk_sfn::config::Builder::from(&sdk)
                .endpoint_url(format!("http://127.0.0.1:{}", ports[1]))
                .build(),
        ),
    }
}

async fn upload(c: &Clients, twin: &TwinFile, key: &str, file: &Path) -> AssetId {
    let put =
        c.s3.put_object()
            .bucket(&twin.source_bucket)
            .key(key)
            .body(ByteStream::from_path(file).await.unwrap())
            .send()
            .await
            .unwrap();
    AssetId::derive(&twin.source_bucket, key, put.e_tag().unwrap())
}

async fn wait_for(
    c: &Clients,
    id: &AssetId,
    what: &str,
    done: impl Fn(&AssetRecord) -> bool,
) -> AssetRecord {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(record) = c.store.get(id).await.unwrap()
            && done(&record)
        {
            return record;
        }
        assert!(Instant::now() < deadline, "{id} never became {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Output keys and ETags under an asset's prefix.
async fn outputs(c: &Clients, twin: &TwinFile, id: &AssetId) -> BTreeMap<String, String> {
    let listed =
        c.s3.list_objects_v2()
            .bucket(&twin.output_bucket)
            .prefix(format!("{}{id}/", twin.output_prefix))
            .send()
            .await
            .unwrap();
    listed
        .contents()
        .iter()
        .map(|o| (o.key().unwrap().to_owned(), o.e_tag().unwrap().to_owned()))
        .collect()
}

fn clip(cache: &ClipCache, name: &str, size: &str, seconds: &str) -> PathBuf {
    let video = format!("testsrc2=size={size}:rate=25");
    cache.clip(
        name,
        &[
            "-f",
            "lavfi",
            "-i",
            &video,
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-t",
            seconds,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            // Small files: the journal holds every upload.
            "-crf",
            "40",
            "-g",
            "50",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-shortest",
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_twin_starts_again_with_every_asset_and_fails_the_interrupted_one() {
    let cache = ClipCache::new(concat!(env!("CARGO_TARGET_TMPDIR"), "/vod-local-restart"));
    let short = clip(&cache, "short.mp4", "320x180", "2");
    // Long enough to be transcoding still when the twin is killed.
    let long = clip(&cache, "long.mp4", "1280x720", "40");
    let root = tempfile::tempdir().unwrap();
    let ports = free_ports();
    let twin = TwinFile::embedded();

    let first = up(root.path(), ports, 1);
    let c = clients(&twin, ports).await;
    // A listener, as `vod watch` is one: its subscription must survive the restart.
    let topic_arn = format!(
        "arn:aws:sns:{}:{}:{}",
        twin.region, twin.account_id, twin.topic_name
    );
    let raw = QueueOptions {
        raw_delivery: true,
        ..QueueOptions::default()
    };
    let listener = queue_to_topic(&c.sqs, &c.sns, &topic_arn, "restart-listener", &raw)
        .await
        .unwrap();

    let done_key = "restart/done clip ü+1.mp4";
    let done = upload(&c, &twin, done_key, &short).await;
    // Final and notified: the record changes no more.
    let completed = wait_for(&c, &done, "COMPLETE", |r| {
        r.status.is_final()
            && r.notifications
                .iter()
                .any(|n| n.event_type != vod_core::EventType::Ingested)
    })
    .await;
    assert_eq!(completed.status, AssetStatus::Complete, "{completed:#?}");
    let done_outputs = outputs(&c, &twin, &done).await;
    let master = completed
        .playback
        .as_ref()
        .unwrap()
        .hls_url
        .clone()
        .unwrap();
    let played = hls_files(&master);
    assert!(played.len() > 2, "{:?}", played.keys());

    let cut = upload(&c, &twin, "restart/cut.mp4", &long).await;
    wait_for(&c, &cut, "TRANSCODING", |r| {
        r.status == AssetStatus::Transcoding
    })
    .await;
    let deadline = Instant::now() + WAIT;
    let children = loop {
        let children = descendants(first.child.id());
        if children
            .iter()
            .any(|(_, cmd)| cmd.contains("ffmpeg") && cmd.contains("-progress"))
        {
            break children;
        }
        assert!(
            Instant::now() < deadline,
            "no ffmpeg ever ran: {children:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        c.store.get(&cut).await.unwrap().unwrap().status,
        AssetStatus::Transcoding
    );
    assert!(
        children.iter().any(|(_, cmd)| cmd.contains("moto_server")),
        "{children:?}"
    );

    // SIGKILL the twin alone: moto and ffmpeg must die with it, not linger as orphans.
    let Up {
        mut child,
        group,
        printed: _,
    } = first;
    child.kill().unwrap();
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while children.iter().any(|(pid, _)| alive(*pid)) {
        let left: Vec<_> = children.iter().filter(|(pid, _)| alive(*pid)).collect();
        assert!(
            Instant::now() < deadline,
            "outlived the killed twin: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(group);

    let second = up(root.path(), ports, 2);
    let restored = second.printed.iter().find(|l| l.contains("restored  "));
    eprintln!("restart: {restored:?}");
    assert!(restored.is_some(), "{:#?}", second.printed);

    // The earlier asset: same record, same outputs, playable, byte for byte.
    assert_eq!(c.store.get(&done).await.unwrap().as_ref(), Some(&completed));
    assert_eq!(outputs(&c, &twin, &done).await, done_outputs);
    assert_eq!(hls_files(&master), played);

    // The interrupted one: final, saying why.
    let failed = c.store.get(&cut).await.unwrap().unwrap();
    assert_eq!(failed.status, AssetStatus::Failed, "{failed:#?}");
    let error = failed.error.as_ref().unwrap();
    assert!(error.message.contains("restarted"), "{error:?}");

    // The listener hears about it: the subscription came back with the topic.
    let deadline = Instant::now() + WAIT;
    'heard: loop {
        let got = c
            .sqs
            .receive_message()
            .queue_url(&listener.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for m in got.messages() {
            let event: serde_json::Value = serde_json::from_str(m.body().unwrap()).unwrap();
            if event["assetId"] == cut.to_string() && event["eventType"] == "asset.failed" {
                break 'heard;
            }
        }
        assert!(Instant::now() < deadline, "no asset.failed for {cut}");
    }

    // The pipeline runs on, and only the new upload started an execution: restoring the
    // earlier uploads emitted no S3 event.
    let again = upload(&c, &twin, "restart/after.mp4", &short).await;
    let after = wait_for(&c, &again, "final", |r| r.status.is_final()).await;
    assert_eq!(after.status, AssetStatus::Complete, "{after:#?}");
    let executions = c
        .sfn
        .list_executions()
        .state_machine_arn(format!(
            "arn:aws:states:{}:{}:stateMachine:{}",
            twin.region, twin.account_id, twin.state_machine_name
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(executions.executions().len(), 1, "{executions:#?}");

    let Up {
        mut child, group, ..
    } = second;
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "vod-local ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(group);
}
