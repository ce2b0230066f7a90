//! A moto server owned by vod-local (when no `AWS_ENDPOINT_URL` is given): started on
//! 127.0.0.1, killed on shutdown (and by `kill_on_drop` if vod-local unwinds).

use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

#[derive(Debug)]
pub struct MotoProcess {
    child: Child,
    port: u16,
}

impl MotoProcess {
    pub async fn start(
        binary: Option<PathBuf>,
        port: u16,
        account_id: &str,
        log: &Path,
    ) -> anyhow::Result<Self> {
        let binary = match binary {
            Some(binary) => binary,
            None => vod_toolchain::moto_server()?,
        };
        let port = if port == 0 {
            std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port()
        } else {
            port
        };
        let log_file =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_ACCOUNT_ID", account_id)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "starting {} (make venv installs it; or set AWS_ENDPOINT_URL / --no-moto)",
                    binary.display()
                )
            })?;
        let mut process = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(process);
            }
            if let Ok(Some(status)) = process.child.try_wait() {
                anyhow::bail!(
                    "moto exited with {status} (port {port} in use?); see {}",
                    log.display()
                );
            }
            if Instant::now() > deadline {
                process.stop().await;
                anyhow::bail!(
                    "moto did not listen on 127.0.0.1:{port} within 30 s; see {}",
                    log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}
