//! Decryption of BILLmanager's crypted params (connection passwords, service passwords).
//!
//! BILLmanager stores them as base64 of an RSA PKCS#1 v1.5 encryption with the key named by
//! `CryptKey` in `paramlist`. Errors here never quote the ciphertext or the key: both are
//! secrets.

use std::path::Path;

use anyhow::{Context, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};

use crate::protocol::error::{ErrorKind, ModuleError};

/// BILLmanager's private key, read from its PEM file.
pub struct CryptKey {
    key: RsaPrivateKey,
}

impl std::fmt::Debug for CryptKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CryptKey(..)")
    }
}

impl CryptKey {
    /// Reads a PEM key, PKCS#1 (`BEGIN RSA PRIVATE KEY`, what BILLmanager generates) or PKCS#8
    /// (`BEGIN PRIVATE KEY`).
    pub fn load(path: &Path) -> Result<CryptKey> {
        let object = format!("crypt key {}", path.display());
        let pem = std::fs::read_to_string(path).map_err(|err| {
            ModuleError::new(
                ErrorKind::Database,
                &object,
                format!(
                    "cannot read BILLmanager's key {}: {err} (the module must run as root)",
                    path.display()
                ),
            )
        })?;
        CryptKey::from_pem(&pem).map_err(|reason| {
            ModuleError::new(
                ErrorKind::Database,
                &object,
                format!(
                    "{} is not an RSA private key in PEM (PKCS#1 or PKCS#8): {reason}",
                    path.display()
                ),
            )
            .into()
        })
    }

    /// The key from PEM text; the error says only which forms were tried.
    fn from_pem(pem: &str) -> Result<CryptKey, String> {
        let key = if pem.contains("BEGIN RSA PRIVATE KEY") {
            RsaPrivateKey::from_pkcs1_pem(pem).map_err(|_| "the PKCS#1 key cannot be decoded")?
        } else if pem.contains("BEGIN PRIVATE KEY") {
            RsaPrivateKey::from_pkcs8_pem(pem).map_err(|_| "the PKCS#8 key cannot be decoded")?
        } else {
            return Err("no BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY block".to_owned());
        };
        Ok(CryptKey { key })
    }

    /// Decrypts one crypted param value. Surrounding whitespace (a trailing newline from the
    /// database) is ignored.
    pub fn decrypt(&self, base64_value: &str) -> Result<String> {
        let ciphertext = STANDARD
            .decode(base64_value.trim())
            .map_err(|_| anyhow::anyhow!("the crypted value is not base64"))?;
        let plain = self
            .key
            .decrypt(Pkcs1v15Encrypt, &ciphertext)
            .map_err(|_| {
                anyhow::anyhow!("the crypted value cannot be decrypted with BILLmanager's key")
            })?;
        String::from_utf8(plain).context("the decrypted value is not UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use rsa::RsaPublicKey;
    use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
    use rsa::pkcs8::EncodePrivateKey;

    use super::*;
    use crate::protocol::error::classify;

    fn test_key() -> &'static RsaPrivateKey {
        static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
        KEY.get_or_init(|| RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap())
    }

    fn encrypt(plain: &str) -> String {
        let public = RsaPublicKey::from(test_key());
        let bytes = public
            .encrypt(&mut rand::thread_rng(), Pkcs1v15Encrypt, plain.as_bytes())
            .unwrap();
        STANDARD.encode(bytes)
    }

    fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("pmdci6-crypto-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn decrypts_with_a_pkcs1_key() {
        let pem = test_key().to_pkcs1_pem(LineEnding::LF).unwrap();
        let path = write_temp("pkcs1.pem", &pem);
        let key = CryptKey::load(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(key.decrypt(&encrypt("p@ss'w\"d é")).unwrap(), "p@ss'w\"d é");
    }

    #[test]
    fn decrypts_with_a_pkcs8_key_and_ignores_surrounding_whitespace() {
        let pem = test_key().to_pkcs8_pem(LineEnding::LF).unwrap();
        let path = write_temp("pkcs8.pem", &pem);
        let key = CryptKey::load(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            key.decrypt(&format!("{}\n", encrypt("secret"))).unwrap(),
            "secret"
        );
    }

    #[test]
    fn errors_name_the_problem_but_not_the_value() {
        let key = CryptKey::from_pem(&test_key().to_pkcs1_pem(LineEnding::LF).unwrap()).unwrap();
        let err = key.decrypt("not base64 !!").unwrap_err().to_string();
        assert_eq!(err, "the crypted value is not base64");
        let garbage = STANDARD.encode([7u8; 128]);
        let err = key.decrypt(&garbage).unwrap_err().to_string();
        assert!(!err.contains(&garbage));
        assert!(err.contains("cannot be decrypted"), "{err}");
    }

    #[test]
    fn a_missing_or_bad_key_is_a_database_error() {
        let err = CryptKey::load(Path::new("/nonexistent/billmgr.pem")).unwrap_err();
        assert_eq!(classify(&err).0, ErrorKind::Database);
        assert!(err.to_string().contains("/nonexistent/billmgr.pem"));

        let path = write_temp(
            "bad.pem",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        );
        let err = CryptKey::load(&path).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(classify(&err).0, ErrorKind::Database);
        assert!(
            err.to_string().contains("no BEGIN RSA PRIVATE KEY"),
            "{err}"
        );
    }
}
