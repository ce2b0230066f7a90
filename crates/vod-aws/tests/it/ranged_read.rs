//! The ranged read trusts no server: the real aws-sdk-s3 client against a server on 127.0.0.1
//! that ignores `Range` and streams a 1 GiB object made up on the fly, and against moto for the
//! version pin (`If-Match`).

use crate::sdk_config;
use aws_sdk_s3::primitives::ByteStream;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;
use vod_aws::AwsClients;
use vod_aws::s3::S3MediaReader;
use vod_core::ports::{MediaReader, ObjectVersion, PortErrorKind};
use vod_testkit::MotoServer;

/// The object the server pretends to hold: 1 GiB, never in memory.
const OBJECT_LEN: u64 = 1 << 30;
/// The most a server may have sent for a read to count as "stopped early": socket buffers on
/// both sides hold a few MiB, the object is 64 times this.
const FAR_LESS: u64 = OBJECT_LEN / 64;

/// Byte `i` of the object: a pattern with a period (251) that no power-of-two offset shares.
fn byte_at(i: u64) -> u8 {
    (i % 251) as u8
}

fn object_bytes(offset: u64, len: u64) -> Vec<u8> {
    (offset..offset + len).map(byte_at).collect()
}

/// How the server answers the one GET it serves.
#[derive(Clone, Copy)]
enum Answer {
    /// 200 and the whole object: `Range` ignored.
    WholeObject,
    /// 206 claiming the object's first bytes whatever range was asked for.
    WrongRange,
    /// 403 with no body: what S3 answers a HEAD of a missing key without s3:ListBucket, or of
    /// any key the caller may not read.
    Forbidden,
}

/// What the server saw and sent.
struct Served {
    /// The request line and headers, header names lowercased.
    request: String,
    /// Body bytes written before the client hung up (or the object ended).
    body_written: u64,
}

/// Serves one connection on 127.0.0.1 and reports what happened when it is over.
fn serve_one(answer: Answer) -> (String, JoinHandle<Served>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        // Bounds the test if a client neither reads nor hangs up.
        stream
            .set_write_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let request = read_head(&stream);
        let body_written = respond(stream, answer);
        Served {
            request,
            body_written,
        }
    });
    (endpoint, handle)
}

fn read_head(stream: &TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            return head;
        }
        head.push_str(&line.to_lowercase());
    }
}

fn respond(mut stream: TcpStream, answer: Answer) -> u64 {
    let head = match answer {
        Answer::Forbidden => {
            let _ = stream.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
            return 0;
        }
        Answer::WholeObject => format!("HTTP/1.1 200 OK\r\nContent-Length: {OBJECT_LEN}\r\n"),
        Answer::WrongRange => format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Length: {OBJECT_LEN}\r\n\
             Content-Range: bytes 0-{}/{OBJECT_LEN}\r\n",
            OBJECT_LEN - 1
        ),
    };
    let head =
        format!("{head}Content-Type: video/mp4\r\nETag: \"abc\"\r\nx-amz-request-id: test\r\n\r\n");
    if stream.write_all(head.as_bytes()).is_err() {
        return 0;
    }
    let mut written = 0;
    let mut chunk = vec![0u8; 64 * 1024];
    while written < OBJECT_LEN {
        for (i, b) in chunk.iter_mut().enumerate() {
            *b = byte_at(written + i as u64);
        }
        match stream.write(&chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => written += n as u64,
        }
    }
    written
}

/// Waits for the server off the runtime's thread: the client's connection task must keep
/// running to hang up.
async fn finished(server: JoinHandle<Served>) -> Served {
    let served = tokio::task::spawn_blocking(move || server.join().unwrap())
        .await
        .unwrap();
    eprintln!("server wrote {} body bytes", served.body_written);
    served
}

fn reader_for(endpoint: &str) -> S3MediaReader {
    S3MediaReader::new(AwsClients::from_sdk_config(&sdk_config(endpoint)).s3())
}

fn pinned() -> ObjectVersion {
    ObjectVersion {
        etag: Some("\"abc\"".into()),
        version_id: Some("v1".into()),
    }
}

#[tokio::test]
async fn a_server_that_ignores_range_gives_exactly_len_bytes_from_the_start_and_is_cut_off() {
    let (endpoint, server) = serve_one(Answer::WholeObject);
    let len = 100_000;
    let bytes = reader_for(&endpoint)
        .read_range("src", "big.mp4", &pinned(), 0, len)
        .await
        .unwrap();
    assert_eq!(bytes.len() as u64, len);
    assert!(
        bytes == object_bytes(0, len),
        "not the object's first bytes"
    );

    let served = finished(server).await;
    assert!(
        served.body_written < FAR_LESS,
        "the server sent {} of {OBJECT_LEN} bytes before the reader hung up",
        served.body_written
    );
    // The read asked for its range, pinned to the version the stat found.
    assert!(
        served.request.starts_with("get /src/big.mp4?"),
        "{}",
        served.request
    );
    assert!(
        served.request.contains("versionid=v1"),
        "{}",
        served.request
    );
    assert!(
        served.request.contains("\r\nrange: bytes=0-99999\r\n"),
        "{}",
        served.request
    );
    assert!(
        served.request.contains("\r\nif-match: \"abc\"\r\n"),
        "{}",
        served.request
    );
}

#[tokio::test]
async fn a_server_that_ignores_range_is_refused_for_a_read_past_the_start() {
    let (endpoint, server) = serve_one(Answer::WholeObject);
    let err = reader_for(&endpoint)
        .read_range("src", "big.mp4", &pinned(), 512 << 20, 4096)
        .await
        .unwrap_err();
    assert_eq!(err.kind, PortErrorKind::Permanent);
    assert!(err.message.contains("ignored the Range header"), "{err}");

    let served = finished(server).await;
    assert!(
        served.body_written < FAR_LESS,
        "the server sent {} of {OBJECT_LEN} bytes: the reader downloaded its way to the offset",
        served.body_written
    );
    assert!(
        served
            .request
            .contains("\r\nrange: bytes=536870912-536875007\r\n"),
        "{}",
        served.request
    );
}

#[tokio::test]
async fn a_partial_answer_for_another_range_is_refused() {
    let (endpoint, server) = serve_one(Answer::WrongRange);
    let err = reader_for(&endpoint)
        .read_range("src", "big.mp4", &ObjectVersion::ANY, 4096, 4096)
        .await
        .unwrap_err();
    assert!(err.message.contains("sent another range"), "{err}");
    let served = finished(server).await;
    assert!(served.body_written < FAR_LESS);
    // Unpinned (a local tool): neither a version nor a condition is sent.
    assert!(!served.request.contains("versionid"), "{}", served.request);
    assert!(!served.request.contains("if-match"), "{}", served.request);
}

#[tokio::test]
async fn a_head_answered_403_is_an_access_error_not_a_missing_upload() {
    // ingest-probe may list the upload prefix, so S3 tells a missing key with 404 (moto too:
    // see `s3_ranged_reads_probe_a_moov_at_end_mp4_without_downloading_it`). A 403 left over
    // is a permission problem; read as "not found" it would blame the uploader.
    let (endpoint, server) = serve_one(Answer::Forbidden);
    let err = reader_for(&endpoint)
        .stat("src", "clip.mp4")
        .await
        .unwrap_err();
    assert_ne!(err.kind, PortErrorKind::NotFound, "{err}");
    assert_ne!(err.kind, PortErrorKind::Transient, "{err}");
    assert!(
        finished(server)
            .await
            .request
            .starts_with("head /src/clip.mp4 ")
    );
}

#[tokio::test]
async fn a_read_pinned_to_an_overwritten_object_is_replaced_not_the_new_bytes() {
    let moto = MotoServer::start().unwrap();
    let s3 = AwsClients::from_sdk_config(&sdk_config(&moto.endpoint())).s3();
    s3.create_bucket().bucket("src").send().await.unwrap();
    let put = |body: &'static [u8]| {
        s3.put_object()
            .bucket("src")
            .key("clip.mp4")
            .body(ByteStream::from_static(body))
            .send()
    };
    put(b"the first upload").await.unwrap();
    let reader = S3MediaReader::new(s3.clone());
    let first = reader.stat("src", "clip.mp4").await.unwrap().unwrap();
    let version = first.version();
    assert!(version.etag.is_some());
    assert_eq!(
        version.version_id, None,
        "an unversioned bucket has no version to pin"
    );
    assert_eq!(
        reader
            .read_range("src", "clip.mp4", &version, 4, 5)
            .await
            .unwrap(),
        b"first"
    );

    put(b"the second upload").await.unwrap();
    let err = reader
        .read_range("src", "clip.mp4", &version, 4, 6)
        .await
        .unwrap_err();
    assert_eq!(err.kind, PortErrorKind::Replaced, "{err}");
    assert!(err.message.contains("overwritten"), "{err}");
}

#[tokio::test]
async fn in_a_versioned_bucket_a_pinned_read_still_gets_the_version_the_stat_found() {
    let moto = MotoServer::start().unwrap();
    let s3 = AwsClients::from_sdk_config(&sdk_config(&moto.endpoint())).s3();
    s3.create_bucket().bucket("src").send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket("src")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let put = |body: &'static [u8]| {
        s3.put_object()
            .bucket("src")
            .key("clip.mp4")
            .body(ByteStream::from_static(body))
            .send()
    };
    put(b"the first upload").await.unwrap();
    let reader = S3MediaReader::new(s3.clone());
    let version = reader
        .stat("src", "clip.mp4")
        .await
        .unwrap()
        .unwrap()
        .version();
    assert!(version.version_id.is_some());

    // The overwrite makes a new version; the first one is still there to read.
    put(b"the second upload").await.unwrap();
    assert_eq!(
        reader
            .read_range("src", "clip.mp4", &version, 4, 5)
            .await
            .unwrap(),
        b"first"
    );
}
