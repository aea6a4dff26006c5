//! Tests of `crypto.rs`, kept apart so the module reads as the code it is.

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
    let path = std::env::temp_dir().join(format!("pmdci6-crypto-{}-{name}", std::process::id()));
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
