//! Reads from BILLmanager's database: the processing module and its connection params, the
//! service item, its tariff, addons and params, the customer's e-mail, units of measure.
//!
//! Modules read the database directly and write only through `mgrctl` (spec §4), so everything
//! here is a `SELECT`. Columns are read as text and parsed here, so the module does not depend on
//! the exact column types of a BILLmanager version (an `addonlimit` may be an integer or a
//! decimal, a flag an enum or a string).

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result};
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder, Params, Row, Value};

use super::crypto::CryptKey;
use crate::protocol::error::{ErrorKind, ModuleError};
use crate::provision::ip_list::{ListedIp, family_of_itemtype};
use crate::provision::order::{Addon, Measure};

/// `item.period` of a trial service.
const TRIAL_PERIOD: i32 = -100;

/// Where the database is and who to log in as (from `paramlist`).
#[derive(Clone, PartialEq, Eq)]
pub struct DbParams {
    pub host: String,
    pub port: Option<u16>,
    pub user: String,
    pub password: String,
    pub name: String,
    pub socket: Option<String>,
}

impl std::fmt::Debug for DbParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbParams")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &"***")
            .field("name", &self.name)
            .field("socket", &self.socket)
            .finish()
    }
}

/// A processing module (`processingmodule`) with its connection params, crypted ones decrypted.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessingModule {
    pub id: u64,
    /// The name the administrator gave it.
    pub name: String,
    /// The module binary, `pmdci6`.
    pub module: String,
    pub params: BTreeMap<String, String>,
}

/// A service (`item` row) with what the commands need to judge it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
    pub id: u64,
    /// 1 ordered, 2 active, 3 suspended, 4 deleted, 5 processing.
    pub status: i32,
    pub account: u64,
    /// The tariff.
    pub pricelist: u64,
    pub processingmodule: Option<u64>,
    /// `processingmodule.module` of the item's module: the binary that owns it.
    pub module_name: Option<String>,
    /// The product type's intname, `dedic` for dedicated servers.
    pub itemtype: String,
    /// `-100` for a trial.
    pub period: i32,
    /// Set for addon items, which are children of a service.
    pub parent: Option<u64>,
}

/// A customer of a processing module: an account with a service of it, and the e-mail its
/// DCImanager user has (the account's first user's, as for [`Db::account_email`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub account: u64,
    pub email: Option<String>,
}

/// A tariff (`pricelist` without parent) with its param `configuration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffRecord {
    pub id: u64,
    pub configuration: Option<String>,
}

/// A value of a product-type param (`itemtypeparamvalue`): an OS template of `ostempl`, a
/// script of `recipe`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamValue {
    pub id: u64,
    pub intname: String,
}

/// A connection to BILLmanager's database.
pub struct Db {
    conn: Conn,
    name: String,
}

/// The socket a MySQL client library uses for `localhost` when no socket is configured:
/// libmysqlclient (which BILLmanager uses) reads `localhost` as "the local socket", not TCP.
const DEFAULT_SOCKETS: [&str; 4] = [
    "/run/mysqld/mysqld.sock",
    "/var/run/mysqld/mysqld.sock",
    "/var/lib/mysql/mysql.sock",
    "/tmp/mysql.sock",
];

/// An `itemstat` value: `(YYYY-MM-DD, param, value)`.
pub type StatValue = (String, String, f64);

const ITEM_SELECT: &str = "
    SELECT i.id, i.status, i.account, i.pricelist, i.processingmodule, pm.module, it.intname,
           i.period, i.parent
    FROM item i
    JOIN pricelist p ON p.id = i.pricelist
    JOIN itemtype it ON it.id = p.itemtype
    LEFT JOIN processingmodule pm ON pm.id = i.processingmodule";

impl Db {
    /// Connects over `socket` when given (or the default socket for a plain `localhost`), else
    /// over TCP to `host[:port]`. Options are set one by one, never through a URL, so the
    /// password may hold any character.
    pub fn connect(params: &DbParams) -> Result<Db> {
        let socket = params
            .socket
            .clone()
            .or_else(|| default_socket(params, |path| path.exists()));
        let mut opts = OptsBuilder::new()
            .user(Some(&params.user))
            .pass(Some(&params.password))
            .db_name(Some(&params.name))
            .tcp_connect_timeout(Some(Duration::from_secs(10)));
        let location = match &socket {
            Some(socket) => {
                opts = opts.socket(Some(socket));
                format!("socket {socket}")
            }
            None => {
                let port = params.port.unwrap_or(3306);
                opts = opts.ip_or_hostname(Some(&params.host)).tcp_port(port);
                format!("{}:{port}", params.host)
            }
        };
        let conn = Conn::new(opts).map_err(|err| {
            ModuleError::new(
                ErrorKind::Database,
                format!("database {}", params.name),
                format!(
                    "cannot connect to BILLmanager's database {} at {location} as {}: {err}",
                    params.name, params.user
                ),
            )
        })?;
        log::debug!("connected to database {} at {location}", params.name);
        Ok(Db {
            conn,
            name: params.name.clone(),
        })
    }

    /// The processing module `id` with its connection params, crypted ones decrypted.
    pub fn processing_module(&mut self, id: u64, key: &CryptKey) -> Result<ProcessingModule> {
        let what = format!("processing module {id}");
        let rows = self.rows(
            &what,
            "SELECT id, name, module FROM processingmodule WHERE id = ?",
            (id,),
        )?;
        let Some(row) = rows.first() else {
            return Err(ModuleError::new(
                ErrorKind::ModuleConfig,
                &what,
                format!("{what} does not exist in BILLmanager"),
            )
            .into());
        };
        let mut params = self.name_values(
            &format!("params of {what}"),
            "SELECT intname, value FROM processingparam WHERE processingmodule = ?",
            id,
        )?;
        let crypted = self.name_values(
            &format!("crypted params of {what}"),
            "SELECT intname, value FROM processingcryptedparam WHERE processingmodule = ?",
            id,
        )?;
        params.extend(decrypt_all(crypted, key, &what, ErrorKind::ModuleConfig)?);
        Ok(ProcessingModule {
            id: required(row, 0, "processingmodule.id")?,
            name: cell(row, 1).unwrap_or_default(),
            module: cell(row, 2).unwrap_or_default(),
            params,
        })
    }

    /// What Config last stored for module `id` with `processing.setconfig`
    /// (`processingmodule.config`), or `None` when it never ran.
    pub fn module_config(&mut self, id: u64) -> Result<Option<String>> {
        let what = format!("the config of processing module {id}");
        let rows = self.rows(
            &what,
            "SELECT config FROM processingmodule WHERE id = ?",
            (id,),
        )?;
        Ok(rows
            .first()
            .and_then(|row| cell(row, 0))
            .filter(|config| !config.trim().is_empty()))
    }

    /// The item `id`, or `None` when there is no such row.
    pub fn item(&mut self, id: u64) -> Result<Option<ItemRecord>> {
        let sql = format!("{ITEM_SELECT}\n    WHERE i.id = ?");
        let rows = self.rows(&format!("item {id}"), &sql, (id,))?;
        rows.first().map(item_record).transpose()
    }

    /// The services (not addons) of a processing module, deleted ones left out.
    pub fn items_of_module(&mut self, module: u64) -> Result<Vec<ItemRecord>> {
        let sql = format!(
            "{ITEM_SELECT}\n    WHERE i.processingmodule = ? AND i.parent IS NULL AND i.status <> 4\n    ORDER BY i.id"
        );
        let rows = self.rows(
            &format!("items of processing module {module}"),
            &sql,
            (module,),
        )?;
        rows.iter().map(item_record).collect()
    }

    /// Every account with a service of the module, deleted services included: a server still
    /// owned by a customer whose services are all deleted is drift too.
    pub fn module_customers(&mut self, module: u64) -> Result<Vec<Customer>> {
        let rows = self.rows(
            &format!("the customers of processing module {module}"),
            "SELECT a.account,
                    (SELECT u.email FROM `user` u WHERE u.account = a.account ORDER BY u.id LIMIT 1)
             FROM (SELECT DISTINCT account FROM item
                   WHERE processingmodule = ? AND parent IS NULL) a
             ORDER BY a.account",
            (module,),
        )?;
        rows.iter()
            .map(|row| {
                Ok(Customer {
                    account: required(row, 0, "item.account")?,
                    email: cell(row, 1).filter(|email| !email.is_empty()),
                })
            })
            .collect()
    }

    /// The tariffs that sell through the module: those bound to it
    /// (`processingmodule2pricelist`, active) and those its live services are on.
    pub fn module_tariffs(&mut self, module: u64) -> Result<Vec<TariffRecord>> {
        let rows = self.rows(
            &format!("the tariffs of processing module {module}"),
            "SELECT p.id, pp.value
             FROM pricelist p
             LEFT JOIN pricelistparam pp ON pp.pricelist = p.id AND pp.intname = 'configuration'
             WHERE p.parent IS NULL
               AND (p.id IN (SELECT pricelist FROM processingmodule2pricelist
                             WHERE processingmodule = ? AND active = 'on')
                    OR p.id IN (SELECT pricelist FROM item
                                WHERE processingmodule = ? AND parent IS NULL AND status <> 4))
             ORDER BY p.id",
            (module, module),
        )?;
        rows.iter()
            .map(|row| {
                Ok(TariffRecord {
                    id: required(row, 0, "pricelist.id")?,
                    configuration: cell(row, 1),
                })
            })
            .collect()
    }

    /// The active processing modules of `module_name` that sell `tariff`, in BILLmanager's own
    /// order of choice (`orderpriority`, then `ipmgr`, then id, as its C++ base answers
    /// `get_suitable_module`).
    pub fn tariff_modules(&mut self, module_name: &str, tariff: u64) -> Result<Vec<u64>> {
        let rows = self.rows(
            &format!("the processing modules of tariff {tariff}"),
            "SELECT pm.id
             FROM processingmodule2pricelist pm2p
             JOIN processingmodule pm ON pm.id = pm2p.processingmodule
             WHERE pm2p.pricelist = ? AND pm.module = ? AND pm.active = 'on'
             ORDER BY pm.orderpriority, pm.ipmgr, pm.id",
            (tariff, module_name),
        )?;
        rows.iter()
            .map(|row| required(row, 0, "processingmodule.id"))
            .collect()
    }

    /// One plain param of every service of the module, by item: one query, however many
    /// services there are.
    pub fn module_item_param(&mut self, module: u64, name: &str) -> Result<BTreeMap<u64, String>> {
        let rows = self.rows(
            &format!("param {name} of the services of processing module {module}"),
            "SELECT ip.item, ip.value
             FROM itemparam ip
             JOIN item i ON i.id = ip.item
             WHERE i.processingmodule = ? AND i.parent IS NULL AND ip.intname = ?",
            (module, name),
        )?;
        rows.iter()
            .map(|row| {
                Ok((
                    required(row, 0, "itemparam.item")?,
                    cell(row, 1).unwrap_or_default(),
                ))
            })
            .collect()
    }

    /// The tariff the item was on before a tariff change BILLmanager has not finished
    /// (`item.lastpricelist`); `None` when no change is under way.
    pub fn last_pricelist(&mut self, item: u64) -> Result<Option<u64>> {
        let rows = self.rows(
            &format!("the previous tariff of item {item}"),
            "SELECT lastpricelist FROM item WHERE id = ?",
            (item,),
        )?;
        Ok(rows
            .first()
            .and_then(|row| cell(row, 0))
            .and_then(|v| v.parse().ok())
            .filter(|id: &u64| *id > 0))
    }

    /// The accounts having a user with `email` (any case): the customers an e-mail names.
    pub fn accounts_with_email(&mut self, email: &str) -> Result<Vec<u64>> {
        let rows = self.rows(
            &format!("the accounts of e-mail {email}"),
            "SELECT DISTINCT account FROM `user` WHERE LOWER(email) = LOWER(?) ORDER BY account",
            (email,),
        )?;
        rows.iter()
            .map(|row| required(row, 0, "user.account"))
            .collect()
    }

    /// The e-mail of the account's first user, if it has one.
    pub fn account_email(&mut self, account: u64) -> Result<Option<String>> {
        let rows = self.rows(
            &format!("the e-mail of account {account}"),
            "SELECT email FROM `user` WHERE account = ? ORDER BY id LIMIT 1",
            (account,),
        )?;
        Ok(rows
            .first()
            .and_then(|row| cell(row, 0))
            .filter(|email| !email.is_empty()))
    }

    /// The login (`user.name`) of the account's first user, the one whose e-mail
    /// [`Db::account_email`] gives.
    pub fn account_login(&mut self, account: u64) -> Result<Option<String>> {
        let rows = self.rows(
            &format!("the login of account {account}"),
            "SELECT name FROM `user` WHERE account = ? ORDER BY id LIMIT 1",
            (account,),
        )?;
        Ok(rows.first().and_then(|row| cell(row, 0)))
    }

    /// The service's IP list: the rows of BILLmanager's table `ip` in the slots of its IP
    /// add-ons (product types `ip` and `ipv6`), in id order.
    pub fn service_ips(&mut self, item: u64) -> Result<Vec<ListedIp>> {
        let rows = self.rows(
            &format!("the IP list of item {item}"),
            "SELECT ip.id, ip.name, ip.status, it.intname
             FROM ip
             JOIN item addon ON addon.id = ip.item
             JOIN pricelist p ON p.id = addon.pricelist
             JOIN itemtype it ON it.id = p.itemtype
             WHERE addon.parent = ? AND it.intname IN ('ip', 'ipv6')
             ORDER BY ip.id",
            (item,),
        )?;
        rows.iter()
            .filter_map(|row| {
                let family = family_of_itemtype(&cell(row, 3)?)?;
                Some((row, family))
            })
            .map(|(row, family)| {
                let id = required(row, 0, "ip.id")?;
                let status = cell(row, 2)
                    .and_then(|s| s.parse::<i64>().ok())
                    .unwrap_or_default();
                Ok(ListedIp::from_row(
                    id,
                    &cell(row, 1).unwrap_or_default(),
                    status,
                    family,
                ))
            })
            .collect()
    }

    /// The tariff's settings (`pricelistparam`), among them `configuration`.
    pub fn pricelist_params(&mut self, pricelist: u64) -> Result<BTreeMap<String, String>> {
        self.name_values(
            &format!("params of tariff {pricelist}"),
            "SELECT intname, value FROM pricelistparam WHERE pricelist = ?",
            pricelist,
        )
    }

    /// The item's plain params (`itemparam`).
    pub fn item_params(&mut self, item: u64) -> Result<BTreeMap<String, String>> {
        self.name_values(
            &format!("params of item {item}"),
            "SELECT intname, value FROM itemparam WHERE item = ?",
            item,
        )
    }

    /// The day the item was opened (`item.opendate`), `YYYY-MM-DD`.
    pub fn item_opened(&mut self, item: u64) -> Result<Option<String>> {
        let rows = self.rows(
            &format!("the opening date of item {item}"),
            "SELECT DATE_FORMAT(opendate, '%Y-%m-%d') FROM item WHERE id = ?",
            (item,),
        )?;
        Ok(rows.first().and_then(|row| cell(row, 0)))
    }

    /// The item's `itemstat` values of `params` from `since` (`YYYY-MM-DD`) on, as
    /// `(day, param, value)`, and the last day any of them was written, however long ago.
    pub fn item_stats(
        &mut self,
        item: u64,
        params: &[&str],
        since: &str,
    ) -> Result<(Vec<StatValue>, Option<String>)> {
        let what = format!("the statistics of item {item}");
        let names = vec!["?"; params.len()].join(", ");
        let mut values: Vec<Value> = vec![item.into()];
        values.extend(params.iter().map(|p| Value::from(*p)));
        let last = self.rows(
            &what,
            &format!(
                "SELECT DATE_FORMAT(MAX(statdate), '%Y-%m-%d') FROM itemstat WHERE item = ? AND param IN ({names})"
            ),
            values.clone(),
        )?;
        values.push(since.into());
        let rows = self.rows(
            &what,
            &format!(
                "SELECT DATE_FORMAT(statdate, '%Y-%m-%d'), param, CAST(value AS DOUBLE) FROM itemstat
                 WHERE item = ? AND param IN ({names}) AND statdate >= ?"
            ),
            values,
        )?;
        let written = rows
            .iter()
            .map(|row| {
                Ok((
                    required(row, 0, "itemstat.statdate")?,
                    required(row, 1, "itemstat.param")?,
                    required(row, 2, "itemstat.value")?,
                ))
            })
            .collect::<Result<_>>()?;
        Ok((written, last.first().and_then(|row| cell(row, 0))))
    }

    /// Adds `(item, day, param, value, measure id)` to `itemstat` as ISPsystem's modules do (a
    /// repeated day adds to the day's value), all rows or none.
    pub fn add_stats(&mut self, rows: &[(u64, String, String, f64, Option<u64>)]) -> Result<()> {
        let database = format!("database {}", self.name);
        let failed = |err: mysql::Error| {
            ModuleError::new(
                ErrorKind::Database,
                database.clone(),
                format!("cannot write the statistics to BILLmanager's itemstat: {err}"),
            )
        };
        let mut tx = self
            .conn
            .start_transaction(mysql::TxOpts::default())
            .map_err(failed)?;
        for (item, day, param, value, measure) in rows {
            tx.exec_drop(
                "INSERT INTO itemstat (item, statdate, param, value, measure) VALUES (?, ?, ?, ?, ?)
                 ON DUPLICATE KEY UPDATE value = value + VALUES(value)",
                (item, day, param, value, measure),
            )
            .map_err(failed)?;
        }
        tx.commit().map_err(failed)?;
        Ok(())
    }

    /// The item's crypted params (`itemcryptedparam`), decrypted.
    pub fn item_crypted_params(
        &mut self,
        item: u64,
        key: &CryptKey,
    ) -> Result<BTreeMap<String, String>> {
        let crypted = self.name_values(
            &format!("crypted params of item {item}"),
            "SELECT intname, value FROM itemcryptedparam WHERE item = ?",
            item,
        )?;
        decrypt_all(crypted, key, &format!("item {item}"), ErrorKind::Item)
    }

    /// The item's addons with their values, as BILLmanager's own `itemaddons` computes them:
    /// every active addon pricelist of the item's tariff (not compound or manual ones; a
    /// compound part only when ordered), valued from the addon item when there is one, else
    /// from the pricelist's defaults.
    pub fn item_addons(&mut self, item: u64) -> Result<Vec<Addon>> {
        let rows = self.rows(
            &format!("addons of item {item}"),
            "SELECT p.intname, t.intname, p.addontype, p.billtype,
                    ie.intname, pe.intname,
                    a.boolvalue, p.addonbool,
                    a.addonmax, p.addonmax,
                    a.intvalue, a.addonlimit, p.addonlimit,
                    IFNULL(a.addonmaxtrial, p.addonmaxtrial),
                    i.period, m.intname
             FROM pricelist p
             JOIN item i ON i.id = ?
             LEFT JOIN item a ON a.pricelist = p.id AND a.parent = i.id
             LEFT JOIN itemtype t ON t.id = p.itemtype
             LEFT JOIN enumerationitem ie ON ie.id = a.enumerationitem
             LEFT JOIN enumerationitem pe ON pe.id = p.enumerationitem
             LEFT JOIN measure m ON m.id = p.measure
             WHERE p.parent = i.pricelist
               AND p.active = 'on'
               AND p.billtype NOT IN (4, 10)
               AND (p.compound IS NULL OR a.id IS NOT NULL)
             ORDER BY p.id, a.id",
            (item,),
        )?;
        let mut addons: Vec<Addon> = Vec::new();
        for row in &rows {
            let addon = AddonRow::from_row(row)?.value();
            // Like BILLmanager's dict: a later row for the same addon replaces the earlier one.
            match addons
                .iter_mut()
                .find(|known| known.intname == addon.intname)
            {
                Some(known) => *known = addon,
                None => addons.push(addon),
            }
        }
        Ok(addons)
    }

    /// All units of measure.
    pub fn measures(&mut self) -> Result<Vec<Measure>> {
        let rows = self.rows(
            "units of measure",
            "SELECT id, intname, relation, lessmeasure FROM measure ORDER BY id",
            (),
        )?;
        rows.iter()
            .map(|row| {
                Ok(Measure {
                    id: required(row, 0, "measure.id")?,
                    intname: cell(row, 1).unwrap_or_default(),
                    // The smallest unit of a chain has no relation to anything.
                    relation: optional(row, 2, "measure.relation")?.unwrap_or(1.0),
                    lessmeasure: optional(row, 3, "measure.lessmeasure")?,
                })
            })
            .collect()
    }

    /// The values of the product-type param `param` of `itemtype` bound to processing module
    /// `module` (`processingmodule2itemtypeparamvalue`), by id.
    pub fn module_param_values(
        &mut self,
        module: u64,
        itemtype: &str,
        param: &str,
    ) -> Result<Vec<ParamValue>> {
        let rows = self.rows(
            &format!("the {itemtype} {param} values of processing module {module}"),
            "SELECT v.id, v.intname
             FROM itemtypeparamvalue v
             JOIN processingmodule2itemtypeparamvalue b
               ON b.itemtypeparamvalue = v.id AND b.processingmodule = ?
             JOIN itemtypeparam itp ON itp.id = v.itemtypeparam
             JOIN itemtype it ON it.id = itp.itemtype
             WHERE it.intname = ? AND itp.intname = ?
             ORDER BY v.id",
            (module, itemtype, param),
        )?;
        rows.iter()
            .map(|row| {
                Ok(ParamValue {
                    id: required(row, 0, "itemtypeparamvalue.id")?,
                    intname: cell(row, 1).unwrap_or_default(),
                })
            })
            .collect()
    }

    fn rows(&mut self, what: &str, sql: &str, params: impl Into<Params>) -> Result<Vec<Row>> {
        self.conn.exec(sql, params).map_err(|err| {
            ModuleError::new(
                ErrorKind::Database,
                format!("database {}", self.name),
                format!(
                    "cannot read {what} from BILLmanager's database {}: {err}",
                    self.name
                ),
            )
            .into()
        })
    }

    /// `intname → value` rows of a params table.
    fn name_values(&mut self, what: &str, sql: &str, id: u64) -> Result<BTreeMap<String, String>> {
        let rows = self.rows(what, sql, (id,))?;
        Ok(rows
            .iter()
            .filter_map(|row| Some((cell(row, 0)?, cell(row, 1).unwrap_or_default())))
            .collect())
    }
}

/// The socket to use for `localhost` without port or socket: the first default one that exists.
fn default_socket(params: &DbParams, exists: impl Fn(&Path) -> bool) -> Option<String> {
    if params.host != "localhost" || params.port.is_some() {
        return None;
    }
    DEFAULT_SOCKETS
        .iter()
        .find(|path| exists(Path::new(path)))
        .map(|path| (*path).to_owned())
}

/// A value that does not decrypt was stored with another key or damaged: it is the owner's
/// param to enter again (`kind` says whose: the processing module's or the item's), not a fault
/// of the database.
fn decrypt_all(
    crypted: BTreeMap<String, String>,
    key: &CryptKey,
    owner: &str,
    kind: ErrorKind,
) -> Result<BTreeMap<String, String>> {
    crypted
        .into_iter()
        .map(|(name, value)| {
            let plain = key.decrypt(&value).map_err(|err| {
                ModuleError::new(
                    kind,
                    owner,
                    format!(
                        "crypted param {name} of {owner}: {err:#}; enter {name} again in the settings of the {owner}"
                    ),
                )
            })?;
            Ok((name, plain))
        })
        .collect()
}

fn item_record(row: &Row) -> Result<ItemRecord> {
    Ok(ItemRecord {
        id: required(row, 0, "item.id")?,
        status: required(row, 1, "item.status")?,
        account: required(row, 2, "item.account")?,
        pricelist: required(row, 3, "item.pricelist")?,
        processingmodule: optional(row, 4, "item.processingmodule")?,
        module_name: cell(row, 5),
        itemtype: cell(row, 6).unwrap_or_default(),
        period: optional(row, 7, "item.period")?.unwrap_or(0),
        parent: optional(row, 8, "item.parent")?,
    })
}

/// What `itemaddons` reads for one addon pricelist, before it is valued.
#[derive(Debug, Clone, Default, PartialEq)]
struct AddonRow {
    pricelist_intname: Option<String>,
    itemtype_intname: Option<String>,
    addontype: i64,
    billtype: i64,
    item_enum: Option<String>,
    pricelist_enum: Option<String>,
    item_bool: Option<String>,
    pricelist_bool: Option<String>,
    item_max: Option<String>,
    pricelist_max: Option<String>,
    item_intvalue: Option<f64>,
    item_limit: Option<f64>,
    pricelist_limit: Option<f64>,
    max_trial: Option<f64>,
    period: i32,
    measure: Option<String>,
}

/// `pricelist.addontype`.
const ADDON_BOOLEAN: i64 = 1;
const ADDON_INTEGER: i64 = 2;
const ADDON_ENUM: i64 = 3;
/// `pricelist.billtype` of addons billed by statistics.
const BILL_STAT: i64 = 3;

impl AddonRow {
    fn from_row(row: &Row) -> Result<AddonRow> {
        Ok(AddonRow {
            pricelist_intname: cell(row, 0).filter(|name| !name.is_empty()),
            itemtype_intname: cell(row, 1),
            addontype: optional(row, 2, "pricelist.addontype")?.unwrap_or(0),
            billtype: optional(row, 3, "pricelist.billtype")?.unwrap_or(0),
            item_enum: cell(row, 4),
            pricelist_enum: cell(row, 5),
            item_bool: cell(row, 6),
            pricelist_bool: cell(row, 7),
            item_max: cell(row, 8),
            pricelist_max: cell(row, 9),
            item_intvalue: optional(row, 10, "item.intvalue")?,
            item_limit: optional(row, 11, "item.addonlimit")?,
            pricelist_limit: optional(row, 12, "pricelist.addonlimit")?,
            max_trial: optional(row, 13, "addonmaxtrial")?,
            period: optional(row, 14, "item.period")?.unwrap_or(0),
            measure: cell(row, 15),
        })
    }

    /// The value BILLmanager's `itemaddons` gives this addon.
    fn value(self) -> Addon {
        let value = match self.addontype {
            ADDON_ENUM => self.item_enum.or(self.pricelist_enum),
            ADDON_BOOLEAN => self.item_bool.or(self.pricelist_bool),
            _ if self.billtype == BILL_STAT => self.item_max.or(self.pricelist_max),
            _ => {
                let limit = self.item_limit.or(self.pricelist_limit).unwrap_or(0.0);
                Some((limit + self.item_intvalue.unwrap_or(0.0)).to_string())
            }
        };
        // A trial gets at most addonmaxtrial of an integer addon.
        let value = match (value, self.max_trial) {
            (Some(v), Some(max))
                if self.addontype == ADDON_INTEGER && self.period == TRIAL_PERIOD =>
            {
                match v.parse::<f64>() {
                    Ok(n) if max < n => Some(max.to_string()),
                    _ => Some(v),
                }
            }
            (value, _) => value,
        };
        Addon {
            intname: self
                .pricelist_intname
                .or(self.itemtype_intname)
                .unwrap_or_default(),
            value: value.unwrap_or_default(),
            measure: self.measure.filter(|_| self.addontype == ADDON_INTEGER),
        }
    }
}

/// A column as text, whatever its SQL type; `None` for NULL.
fn cell(row: &Row, index: usize) -> Option<String> {
    match row.as_ref(index)? {
        Value::NULL => None,
        Value::Bytes(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::Int(n) => Some(n.to_string()),
        Value::UInt(n) => Some(n.to_string()),
        Value::Float(n) => Some(n.to_string()),
        Value::Double(n) => Some(n.to_string()),
        Value::Date(year, month, day, hour, minute, second, _) => Some(format!(
            "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}"
        )),
        Value::Time(negative, days, hours, minutes, seconds, _) => Some(format!(
            "{}{:02}:{minutes:02}:{seconds:02}",
            if *negative { "-" } else { "" },
            u32::from(*hours) + days * 24
        )),
    }
}

/// A nullable column parsed as `T`.
fn optional<T: FromStr>(row: &Row, index: usize, column: &str) -> Result<Option<T>> {
    cell(row, index)
        .map(|text| {
            text.trim()
                .parse::<T>()
                .ok()
                .with_context(|| format!("{column} holds {text:?}, not a number"))
        })
        .transpose()
}

fn required<T: FromStr>(row: &Row, index: usize, column: &str) -> Result<T> {
    optional(row, index, column)?.with_context(|| format!("{column} is NULL"))
}

#[cfg(test)]
#[path = "db_database_tests.rs"]
mod database_tests;

#[cfg(test)]
#[path = "db_tests.rs"]
mod tests;
