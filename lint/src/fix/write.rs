//! Writing a fixed file: never half-written, never over someone else's edit.
//!
//! The new text goes to a temporary file in the same directory, is flushed to
//! disk, gets the original's permissions, and replaces the original with one
//! `rename`. Before that, the file on disk must still hold exactly the text
//! that was linted; otherwise it is left alone.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Test hook (hidden): `SYNCLINT_TEST_FAIL_FIX=write:<file name>` makes the
/// write of that file's temporary copy fail as a full disk does, and
/// `rename:<file name>` makes the final rename fail as a read-only file
/// system does. Tests run as root, where permissions do not stop writes.
pub const FAIL_HOOK: &str = "SYNCLINT_TEST_FAIL_FIX";

fn injected(step: &str, target: &Path) -> Option<std::io::Error> {
    let v = std::env::var(FAIL_HOOK).ok()?;
    let (s, name) = v.split_once(':')?;
    let hit = s == step && target.file_name().is_some_and(|n| n == name);
    // ENOSPC and EROFS, as the kernel reports them.
    hit.then(|| std::io::Error::from_raw_os_error(if step == "write" { 28 } else { 30 }))
}

/// Why a fixed file was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// The file on disk is not the text that was linted.
    Changed,
    Io(String),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Changed => write!(f, "the file changed since it was read; left it alone"),
            WriteError::Io(e) => write!(f, "{e}; the original is unchanged"),
        }
    }
}

/// Replaces `path`'s content `original` with `fixed`, atomically.
pub fn write_fixed(path: &Path, original: &str, fixed: &str) -> Result<(), WriteError> {
    // Write through a symlink to its target, keeping the link.
    let target =
        std::fs::canonicalize(path).map_err(|e| WriteError::Io(format!("cannot resolve: {e}")))?;
    let unchanged = || std::fs::read(&target).is_ok_and(|b| b == original.as_bytes());
    if !unchanged() {
        return Err(WriteError::Changed);
    }
    let meta = std::fs::metadata(&target).map_err(|e| WriteError::Io(e.to_string()))?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (tmp, mut file) = create_temp(dir, &name).map_err(|e| {
        WriteError::Io(format!(
            "cannot create a temporary file in {}: {e}",
            dir.display()
        ))
    })?;
    let result = (|| -> Result<(), WriteError> {
        let bytes = fixed.as_bytes();
        if let Some(e) = injected("write", &target) {
            // What a full disk leaves: part of the data, then an error.
            let _ = file.write_all(&bytes[..bytes.len() / 2]);
            return Err(WriteError::Io(format!("cannot write: {e}")));
        }
        file.write_all(bytes)
            .map_err(|e| WriteError::Io(format!("cannot write: {e}")))?;
        file.sync_all()
            .map_err(|e| WriteError::Io(format!("cannot write: {e}")))?;
        std::fs::set_permissions(&tmp, meta.permissions())
            .map_err(|e| WriteError::Io(format!("cannot set permissions: {e}")))?;
        if !unchanged() {
            return Err(WriteError::Changed);
        }
        if let Some(e) = injected("rename", &target) {
            return Err(WriteError::Io(format!("cannot replace the file: {e}")));
        }
        std::fs::rename(&tmp, &target)
            .map_err(|e| WriteError::Io(format!("cannot replace the file: {e}")))
    })();
    drop(file);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn create_temp(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let pid = std::process::id();
    let mut n = 0u32;
    loop {
        let p = dir.join(format!(".{name}.synclint-{pid}-{n}.tmp"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
            Err(e) => return Err(e),
        }
    }
}
