//! The twin's state directory (`.vod` by default): moto's journal ([`crate::persist`]), the
//! MediaConvert twin's jobs and moto's log. One twin uses it at a time (a lock that the kernel
//! releases when the process dies, SIGKILL included), and [`reset`] empties it on purpose.

use std::path::{Path, PathBuf};

/// The lock file; it stays behind, empty, and is never removed.
pub const LOCK: &str = "vod-local.lock";
/// What [`reset`] removes: moto's journal, the MediaConvert twin's jobs, moto's log. Nothing
/// else in the directory is touched, whatever `--state-dir` names.
pub const STATE: [&str; 3] = ["moto", "mediaconvert", "moto.log"];

/// The state directory is in use or cannot be changed.
#[derive(Debug, thiserror::Error)]
pub enum StateDirError {
    #[error("another twin is using the state directory {} (stop it first)", path.display())]
    InUse { path: PathBuf },
    #[error("{action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Held while a twin runs on the directory.
#[derive(Debug)]
pub struct StateLock {
    _file: std::fs::File,
}

impl StateLock {
    /// Takes the directory's lock without waiting (creating the directory if needed).
    pub fn acquire(dir: &Path) -> Result<Self, StateDirError> {
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| StateDirError::Io {
                action,
                path,
                source,
            }
        };
        std::fs::create_dir_all(dir).map_err(io("creating", dir))?;
        let path = dir.join(LOCK);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io("opening", &path))?;
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(Self { _file: file }),
            Err(rustix::io::Errno::WOULDBLOCK) => Err(StateDirError::InUse {
                path: dir.to_path_buf(),
            }),
            Err(e) => Err(io("locking", &path)(e.into())),
        }
    }
}

/// Empties the state directory: every asset, record, subscription and job the twin kept is
/// gone at its next start. Refused while a twin runs on it. Returns what was removed.
pub fn reset(dir: &Path) -> Result<Vec<PathBuf>, StateDirError> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let _lock = StateLock::acquire(dir)?;
    let mut removed = Vec::new();
    for name in STATE {
        let path = dir.join(name);
        let result = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match result {
            Ok(()) => removed.push(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(StateDirError::Io {
                    action: "removing",
                    path,
                    source,
                });
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_removes_the_state_and_nothing_else_and_waits_for_no_running_twin() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("moto")).unwrap();
        std::fs::write(dir.path().join("moto/journal.jsonl"), "{}\n").unwrap();
        std::fs::create_dir_all(dir.path().join("mediaconvert/jobs")).unwrap();
        std::fs::write(dir.path().join("moto.log"), "log").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();

        let running = StateLock::acquire(dir.path()).unwrap();
        assert!(matches!(
            reset(dir.path()),
            Err(StateDirError::InUse { .. })
        ));
        assert!(StateLock::acquire(dir.path()).is_err());
        drop(running);

        let removed = reset(dir.path()).unwrap();
        assert_eq!(removed.len(), 3, "{removed:?}");
        assert!(!dir.path().join("moto").exists());
        assert!(!dir.path().join("mediaconvert").exists());
        assert!(!dir.path().join("moto.log").exists());
        assert!(dir.path().join("notes.txt").exists());
        assert!(reset(dir.path()).unwrap().is_empty());
        assert!(reset(&dir.path().join("never-made")).unwrap().is_empty());
    }
}
