//! A moto server owned by vod-local (when no `AWS_ENDPOINT_URL` is given): started on
//! 127.0.0.1, killed on shutdown (by `kill_on_drop` if vod-local unwinds, and by the kernel if
//! vod-local is killed: [`vod_toolchain::dies_with_parent`]).
//!
//! Given a journal path, moto's request recorder appends to it once
//! [`MotoProcess::start_recording`] is called (never before: the replay of the journal must not
//! record itself); see [`crate::persist`].

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
    #[error("127.0.0.1:{port} is in use (another moto? pick another port with --moto-port)")]
    PortInUse {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("moto did not listen on 127.0.0.1:{port} within 30 s; see {}", log.display())]
    NotListening { port: u16, log: PathBuf },
}

#[derive(Debug)]
pub struct MotoProcess {
    child: Child,
    port: u16,
}

/// Waits (up to 10 s) until nothing listens on `port`. A moto killed a moment ago (with the
/// twin that started it) still holds its socket while its threads exit, and accepts connections
/// it will never answer: the readiness check must not mistake it for the new one.
async fn wait_until_free(port: u16) -> Result<(), MotoError> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match std::net::TcpListener::bind(("127.0.0.1", port)) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(source) => return Err(MotoError::PortInUse { port, source }),
        }
    }
}

impl MotoProcess {
    pub async fn start(
        binary: Option<PathBuf>,
        port: u16,
        account_id: &str,
        log: &Path,
        journal: Option<&Path>,
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
            wait_until_free(port).await?;
            port
        };
        let log_error = |source| MotoError::Log {
            path: log.to_path_buf(),
            source,
        };
        let log_file = std::fs::File::create(log).map_err(log_error)?;
        let mut command = Command::from(vod_toolchain::dies_with_parent(&binary));
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_ACCOUNT_ID", account_id)
            // Line by line into the log, so a killed moto's last requests are in it.
            .env("PYTHONUNBUFFERED", "1")
            // Recording starts only when asked (`start_recording`), whatever the caller's shell.
            .env_remove("MOTO_ENABLE_RECORDING");
        if let Some(journal) = journal {
            command.env("MOTO_RECORDER_FILEPATH", journal);
        }
        let child = command
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
            if let Ok(Some(status)) = process.child.try_wait() {
                return Err(MotoError::Exited {
                    status,
                    port,
                    log: log.to_path_buf(),
                });
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(process);
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

    /// Turns moto's request recorder on: from now on every request moto serves is appended to
    /// the journal given to [`MotoProcess::start`].
    pub async fn start_recording(&self) -> Result<(), crate::persist::PersistError> {
        crate::persist::start_recording(&self.endpoint()).await
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}
