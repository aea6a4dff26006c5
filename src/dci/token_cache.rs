//! A DCImanager session token kept between runs.
//!
//! BILLmanager runs some commands (sync_item) for every service every few minutes; logging in
//! each time would double the requests and fill DCImanager's session list. The token is stored
//! with a fingerprint of the address and e-mail it was issued for, so a changed connection never
//! sends a stale token; the password is never stored. The cache is only an optimisation: a
//! missing, unreadable or foreign file means "log in", and a failure to write it is logged, not
//! raised.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone)]
pub struct TokenCache {
    path: PathBuf,
    fingerprint: String,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    fingerprint: String,
    token: String,
}

impl TokenCache {
    /// `base` is the normalised installation address, so `host/` and `host/api` share a token.
    pub fn new(path: PathBuf, base: &str, email: &str) -> TokenCache {
        TokenCache {
            path,
            fingerprint: fingerprint(base, email),
        }
    }

    /// The token saved for this connection, if any.
    pub fn load(&self) -> Option<String> {
        let text = match fs::read(&self.path) {
            Ok(text) => text,
            Err(err) => {
                if err.kind() != std::io::ErrorKind::NotFound {
                    log::debug!(
                        "token cache {} unreadable, logging in: {err}",
                        self.path.display()
                    );
                }
                return None;
            }
        };
        match serde_json::from_slice::<Saved>(&text) {
            Ok(saved) if saved.fingerprint == self.fingerprint && !saved.token.is_empty() => {
                Some(saved.token)
            }
            Ok(_) => {
                log::debug!(
                    "token cache {} is for another connection, logging in",
                    self.path.display()
                );
                None
            }
            Err(_) => {
                log::debug!("token cache {} is corrupt, logging in", self.path.display());
                None
            }
        }
    }

    /// Replaces the file atomically (temporary file, then rename), readable by its owner only.
    pub fn store(&self, token: &str) -> Result<()> {
        let saved = Saved {
            fingerprint: self.fingerprint.clone(),
            token: token.to_owned(),
        };
        let text = serde_json::to_vec(&saved).context("encoding the token cache")?;
        let temporary = self.temporary_path();
        let written = write_private(&temporary, &text).and_then(|()| {
            fs::rename(&temporary, &self.path).with_context(|| {
                format!(
                    "renaming {} to {}",
                    temporary.display(),
                    self.path.display()
                )
            })
        });
        if written.is_err() {
            // Best effort: the error below is the one worth reporting.
            let _ = fs::remove_file(&temporary);
        }
        written
            .with_context(|| format!("saving the DCImanager token cache {}", self.path.display()))
    }

    fn temporary_path(&self) -> PathBuf {
        let name = self
            .path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.path
            .with_file_name(format!(".{name}.{}.tmp", std::process::id()))
    }
}

fn write_private(path: &Path, text: &[u8]) -> Result<()> {
    // A leftover of a killed run would make create_new fail; it holds nothing we need.
    let _ = fs::remove_file(path);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(text)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// FNV-1a, 64 bits: stable across Rust releases (unlike `DefaultHasher`), and enough to tell
/// connections apart; it guards against mistakes, not against someone who can write the file.
fn fingerprint(base: &str, email: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in base
        .bytes()
        .chain([0])
        .chain(email.trim().to_ascii_lowercase().bytes())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::dci::test_peer::scratch_dir;

    #[test]
    fn a_stored_token_is_loaded_back_from_a_private_file() -> Result<()> {
        let dir = scratch_dir("cache-roundtrip");
        let path = dir.join("dci-token");
        let cache = TokenCache::new(path.clone(), "https://dci.example.com", "admin@example.com");
        assert_eq!(cache.load(), None);
        cache.store("abc123")?;
        assert_eq!(cache.load().as_deref(), Some("abc123"));
        assert_eq!(fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
        cache.store("def456")?;
        assert_eq!(cache.load().as_deref(), Some("def456"));
        assert_eq!(fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
        // Only the cache itself is left: the temporary file was renamed.
        assert_eq!(fs::read_dir(&dir)?.count(), 1);
        let text = fs::read_to_string(&path)?;
        assert!(!text.contains("admin@example.com"), "{text}");
        Ok(())
    }

    #[test]
    fn a_token_of_another_connection_is_ignored() -> Result<()> {
        let dir = scratch_dir("cache-fingerprint");
        let path = dir.join("dci-token");
        TokenCache::new(path.clone(), "https://dci.example.com", "admin@example.com")
            .store("abc")?;
        let same = TokenCache::new(
            path.clone(),
            "https://dci.example.com",
            " Admin@Example.com ",
        );
        assert_eq!(same.load().as_deref(), Some("abc"));
        let other_user =
            TokenCache::new(path.clone(), "https://dci.example.com", "ops@example.com");
        assert_eq!(other_user.load(), None);
        let other_host = TokenCache::new(
            path.clone(),
            "https://dci2.example.com",
            "admin@example.com",
        );
        assert_eq!(other_host.load(), None);
        Ok(())
    }

    #[test]
    fn a_corrupt_or_unreadable_cache_is_ignored() -> Result<()> {
        let dir = scratch_dir("cache-corrupt");
        let path = dir.join("dci-token");
        let cache = TokenCache::new(path.clone(), "https://dci.example.com", "admin@example.com");
        fs::write(&path, "{not json")?;
        assert_eq!(cache.load(), None);
        fs::write(&path, r#"{"token": "abc"}"#)?;
        assert_eq!(cache.load(), None);
        // A directory in its place cannot be read as a file.
        fs::remove_file(&path)?;
        fs::create_dir(&path)?;
        assert_eq!(cache.load(), None);
        assert!(cache.store("abc").is_err());
        Ok(())
    }
}
