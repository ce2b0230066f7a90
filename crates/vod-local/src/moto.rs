//! A moto server owned by vod-local (when no `AWS_ENDPOINT_URL` is given): started on
//! 127.0.0.1, killed on shutdown (and by `kill_on_drop` if vod-local unwinds).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// The moto server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    /// No `moto_server` where the project installs it (the message says how to get one).
    #[error(transparent)]
    Missing(#[from] vod_toolchain::ToolMissing),
    #[error("finding a free port for moto")]
    FreePort(#[source] std::io::Error),
    #[error("creating {}", path.display())]
    Log {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("starting {} (make venv installs it; or set AWS_ENDPOINT_URL / --no-moto)", binary.display())]
    Spawn {
        binary: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("moto exited with {status} (port {port} in use?); see {}", log.display())]
    Exited {
        status: std::process::ExitStatus,
        port: u16,
        log: PathBuf,
    },
    #[error("moto did not listen on 127.0.0.1:{port} within 30 s; see {}", log.display())]
    NotListening { port: u16, log: PathBuf },
}

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
    ) -> Result<Self, MotoError> {
        let binary = match binary {
            Some(binary) => binary,
            None => vod_toolchain::moto_server()?,
        };
        let port = if port == 0 {
            std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(MotoError::FreePort)?
                .port()
        } else {
            port
        };
        let log_error = |source| MotoError::Log {
            path: log.to_path_buf(),
            source,
        };
        let log_file = std::fs::File::create(log).map_err(log_error)?;
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_ACCOUNT_ID", account_id)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(log_error)?)
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| MotoError::Spawn {
                binary: binary.clone(),
                source,
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
                return Err(MotoError::Exited {
                    status,
                    port,
                    log: log.to_path_buf(),
                });
            }
            if Instant::now() > deadline {
                process.stop().await;
                return Err(MotoError::NotListening {
                    port,
                    log: log.to_path_buf(),
                });
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
