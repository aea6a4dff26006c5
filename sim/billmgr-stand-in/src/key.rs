//! BILLmanager's crypt key (`etc/billmgr.pem`) and what it is used for: crypted params are
//! base64 of RSA PKCS#1 v1.5, as in BILLmanager.
//!
//! Tests use one key per process, generated on first use: 1024 bits, because key generation is
//! slow in debug builds and the key protects nothing.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, Result, anyhow};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, LineEnding};
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};

const TEST_KEY_BITS: usize = 1024;

/// The key of every mgr5 root and test database of this process.
pub fn process_key() -> Result<&'static RsaPrivateKey> {
    static KEY: OnceLock<Result<RsaPrivateKey, String>> = OnceLock::new();
    KEY.get_or_init(|| {
        RsaPrivateKey::new(&mut rand::thread_rng(), TEST_KEY_BITS)
            .map_err(|err| format!("generating the RSA key: {err}"))
    })
    .as_ref()
    .map_err(|err| anyhow!("{err}"))
}

/// The key as BILLmanager writes it: PKCS#1 PEM.
pub fn to_pem(key: &RsaPrivateKey) -> Result<String> {
    Ok(key
        .to_pkcs1_pem(LineEnding::LF)
        .context("encoding the RSA key as PEM")?
        .to_string())
}

/// Reads a PEM key, PKCS#1 or PKCS#8.
pub fn load(path: &Path) -> Result<RsaPrivateKey> {
    let pem =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    RsaPrivateKey::from_pkcs1_pem(&pem)
        .or_else(|_| RsaPrivateKey::from_pkcs8_pem(&pem))
        .map_err(|_| anyhow!("{} is not an RSA private key in PEM", path.display()))
}

/// A crypted param value.
pub fn encrypt(key: &RsaPrivateKey, plain: &str) -> Result<String> {
    let public = RsaPublicKey::from(key);
    let bytes = public
        .encrypt(&mut rand::thread_rng(), Pkcs1v15Encrypt, plain.as_bytes())
        .with_context(|| format!("encrypting a value of {} bytes", plain.len()))?;
    Ok(STANDARD.encode(bytes))
}

/// The plain text of a crypted param value.
pub fn decrypt(key: &RsaPrivateKey, crypted: &str) -> Result<String> {
    let bytes = STANDARD
        .decode(crypted.trim())
        .context("crypted value is not base64")?;
    let plain = key
        .decrypt(Pkcs1v15Encrypt, &bytes)
        .context("decrypting a crypted value")?;
    String::from_utf8(plain).context("decrypted value is not UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_pem() {
        let key = process_key().unwrap();
        let dir = std::env::temp_dir().join(format!("stand-in-key-{}.pem", std::process::id()));
        std::fs::write(&dir, to_pem(key).unwrap()).unwrap();
        let loaded = load(&dir).unwrap();
        std::fs::remove_file(&dir).unwrap();
        let crypted = encrypt(key, "p@ss'w\"d").unwrap();
        assert_ne!(crypted, "p@ss'w\"d");
        assert_eq!(decrypt(&loaded, &crypted).unwrap(), "p@ss'w\"d");
    }
}
