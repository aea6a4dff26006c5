//! The customer's DCImanager user: found by e-mail, created with role `@user` when missing.

use anyhow::{Context, Result};
use rand::Rng;
use rand::distributions::Alphanumeric;

use crate::dci::api::{NewUser, User};
use crate::dci::client::{Client, is_conflict};

pub fn ensure_user(client: &Client, email: &str) -> Result<User> {
    if let Some(user) = client.user_by_email(email)? {
        return Ok(user);
    }
    // The customer signs in through BILLmanager's key login, never with this password.
    let password = random_password(24);
    crate::billmgr::logging::register_secret(&password);
    let created = client.create_user(&NewUser {
        email,
        full_name: email,
        password: &password,
        phone_number: "",
        role: "@user",
    });
    match created {
        Ok(id) => {
            log::info!("created DCImanager user {id} for {email}");
        }
        // Created meanwhile by a parallel run: read it back.
        Err(err) if is_conflict(&err) => {
            log::info!("DCImanager user {email} was created meanwhile")
        }
        Err(err) => return Err(err).with_context(|| format!("creating DCImanager user {email}")),
    }
    client
        .user_by_email(email)?
        .with_context(|| format!("DCImanager user {email} is missing right after it was created"))
}

/// Letters and digits from the OS's random source: strong, and safe in any shell or form.
pub fn random_password(length: usize) -> String {
    rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(length)
        .map(char::from)
        .collect()
}
