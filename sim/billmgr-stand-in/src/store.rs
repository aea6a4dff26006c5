//! Writes to BILLmanager's tables shared by the fixtures and the stand-in's `mgrctl`, so a
//! param stored by a test and one stored by `service.saveparam` end up exactly alike.

use anyhow::{Context, Result};
use mysql::prelude::Queryable;
use mysql::{Conn, params};
use rsa::RsaPrivateKey;

use crate::key;

/// Stores a service param, crypted (`itemcryptedparam`, encrypted with the key) or plain
/// (`itemparam`); a param lives in one of the two tables only.
pub fn save_item_param(
    conn: &mut Conn,
    key: &RsaPrivateKey,
    item: u64,
    name: &str,
    value: &str,
    crypted: bool,
) -> Result<()> {
    let (table, other, stored) = if crypted {
        ("itemcryptedparam", "itemparam", key::encrypt(key, value)?)
    } else {
        ("itemparam", "itemcryptedparam", value.to_owned())
    };
    conn.exec_drop(
        format!(
            "INSERT INTO {table} (item, intname, value) VALUES (:item, :name, :value)
             ON DUPLICATE KEY UPDATE value = VALUES(value)"
        ),
        params! { item, name, "value" => stored },
    )
    .and_then(|()| {
        conn.exec_drop(
            format!("DELETE FROM {other} WHERE item = :item AND intname = :name"),
            params! { item, name },
        )
    })
    .with_context(|| format!("saving param {name} of item {item}"))
}

/// Removes a service param, plain or crypted.
pub fn drop_item_param(conn: &mut Conn, item: u64, name: &str) -> Result<()> {
    for table in ["itemparam", "itemcryptedparam"] {
        conn.exec_drop(
            format!("DELETE FROM {table} WHERE item = :item AND intname = :name"),
            params! { item, name },
        )
        .with_context(|| format!("dropping param {name} of item {item}"))?;
    }
    Ok(())
}
