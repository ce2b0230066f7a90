//! A moto server for one test: started on a free 127.0.0.1 port, stopped when dropped.
//!
//! The binary comes from [`vod_toolchain::moto_server`] (`VOD_MOTO_SERVER`, else the pinned
//! `<repo>/.venv/bin/moto_server` that `make venv` installs). A missing binary is a loud failure, not a skip:
//! adapter tests that silently skip would prove nothing.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    port: u16,
}

/// The moto_server binary, or an error saying how to get one.
pub fn moto_binary() -> Result<PathBuf, String> {
    vod_toolchain::moto_server().map_err(|e| e.to_string())
}

/// A port that was free a moment ago.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl MotoServer {
    /// Starts moto and waits until it answers (at most 30 s).
    pub fn start() -> Result<Self, String> {
        let binary = moto_binary()?;
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let server = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if server.get("/moto-api/").is_some() {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "moto did not answer on 127.0.0.1:{port} within 30 s"
        ))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT` (an IP, not `localhost`: S3 then uses path-style addressing).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Clears all of moto's state.
    pub fn reset(&self) -> bool {
        self.request("POST", "/moto-api/reset").is_some()
    }

    fn get(&self, path: &str) -> Option<String> {
        self.request("GET", path)
    }

    fn request(&self, method: &str, path: &str) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        stream.write_all(req.as_bytes()).ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        response.starts_with("HTTP/1.1 200").then_some(response)
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
