//! `vod local up`: the twin in the foreground, printing what the aws CLI needs; SIGTERM stops
//! it and everything it started (moto included), leaving no port open. `vod local reset`
//! empties what it keeps across restarts.

use crate::common::{bin, expect_code, stdout};
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use vod_testkit::moto::moto_binary;

fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500)).is_ok()
}

#[test]
fn local_up_prints_the_aws_cli_exports_and_sigterm_leaves_nothing_running() {
    // Four distinct free ports: hold them all, then let go.
    let held: Vec<TcpListener> = (0..4)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let ports: Vec<u16> = held
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    drop(held);
    let [moto, sfn, cdn, mediaconvert] = [ports[0], ports[1], ports[2], ports[3]];
    let state = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(state.path().join("stderr.log")).unwrap();
    let mut child = bin()
        .args(["local", "up", "--state-dir"])
        .arg(state.path())
        .args(["--moto-port", &moto.to_string()])
        .args(["--sfn-port", &sfn.to_string()])
        .args(["--cdn-port", &cdn.to_string()])
        .args(["--mediaconvert-port", &mediaconvert.to_string()])
        .arg("--moto-binary")
        .arg(moto_binary().unwrap())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();

    let (lines_tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while !printed
        .iter()
        .any(|l: &String| l.starts_with("Ctrl-C to stop"))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => printed.push(line),
            Err(_) => {
                let _ = child.kill();
                let stderr = std::fs::read_to_string(state.path().join("stderr.log"));
                panic!("`vod local up` did not come up:\n{printed:#?}\n{stderr:?}");
            }
        }
    }
    let text = printed.join("\n");
    for expected in [
        format!("export AWS_ENDPOINT_URL=http://127.0.0.1:{moto}"),
        format!("export AWS_ENDPOINT_URL_SFN=http://127.0.0.1:{sfn}"),
        format!("export AWS_ENDPOINT_URL_MEDIACONVERT=http://127.0.0.1:{mediaconvert}"),
        format!("export VOD_CDN_BASE_URL=http://127.0.0.1:{cdn}"),
        "export VOD_SOURCE_BUCKET=".to_owned(),
        "export VOD_TOPIC_ARN=".to_owned(),
        "export VOD_ASSET_TABLE=".to_owned(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }
    for port in [moto, sfn, cdn, mediaconvert] {
        assert!(listening(port), "nothing listens on {port}:\n{text}");
    }

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("`vod local up` ignored SIGTERM for 30 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "exit after SIGTERM: {status}");
    for port in [moto, sfn, cdn, mediaconvert] {
        assert!(!listening(port), "port {port} still open after shutdown");
    }
}

#[test]
fn local_reset_empties_the_twins_state_and_refuses_while_a_twin_runs_on_it() {
    let state = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(state.path().join("moto")).unwrap();
    std::fs::write(state.path().join("moto/journal.jsonl"), "{}\n").unwrap();
    std::fs::create_dir_all(state.path().join("mediaconvert/jobs")).unwrap();
    std::fs::write(state.path().join("notes.txt"), "mine").unwrap();
    let reset = || {
        bin()
            .args(["local", "reset", "--state-dir"])
            .arg(state.path())
            .output()
            .unwrap()
    };

    let running = vod_local::state_dir::StateLock::acquire(state.path()).unwrap();
    let refused = reset();
    expect_code(&refused, 1);
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("another twin is using"),
        "{refused:?}"
    );
    assert!(state.path().join("moto/journal.jsonl").exists());
    drop(running);

    let done = reset();
    expect_code(&done, 0);
    let printed = stdout(&done);
    assert!(
        printed.contains("removed") && printed.contains("moto"),
        "{printed}"
    );
    assert!(!state.path().join("moto").exists());
    assert!(!state.path().join("mediaconvert").exists());
    assert!(
        state.path().join("notes.txt").exists(),
        "not the twin's: kept"
    );
}
