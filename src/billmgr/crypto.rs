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
#[path = "crypto_tests.rs"]
mod tests;
