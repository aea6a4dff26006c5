//! Fixtures and readers on a [`TestDb`]: what an administrator and a customer would have set up
//! in BILLmanager before the module runs (a processing module, an account, a tariff with addons,
//! an ordered service), and what a test checks afterwards.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use mysql::params;
use mysql::prelude::Queryable;

use crate::mariadb::TestDb;
use crate::{key, store};

/// `item.status` values.
pub mod item_status {
    pub const ORDERED: i32 = 1;
    pub const ACTIVE: i32 = 2;
    pub const SUSPENDED: i32 = 3;
    pub const DELETED: i32 = 4;
    pub const PROCESSING: i32 = 5;
}

/// The product type every tariff of the fixtures sells.
const DEDIC: &str = "dedic";

/// An addon of a tariff: one addon pricelist under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddonSpec {
    /// `pricelist.intname`; `None` leaves it empty so BILLmanager keys the addon by its product
    /// type.
    pub intname: Option<String>,
    /// The addon's product type (`itemtype.intname`), created when missing.
    pub itemtype: String,
    pub kind: AddonKind,
    /// `measure.intname`: `unit`, `mb`, `gb`, `tb`.
    pub measure: Option<String>,
    /// `addonlimit`: the amount included in the tariff.
    pub included: Option<i64>,
    /// `addonmax`: the maximum, the value of a stat-billed addon.
    pub max: Option<i64>,
    /// `addonmaxtrial`: the cap for trial services.
    pub max_trial: Option<i64>,
    /// The tariff's default: an enumeration intname, or `on`/`off`.
    pub default: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddonKind {
    Boolean,
    /// Ordered amounts (`ram`, `ip`, `ncpu`, `hdd_1`).
    Integer,
    /// One of the listed intnames (`cpu`).
    Enumeration(Vec<String>),
    /// Billed by statistics; valued by `addonmax` (`bandwidth`).
    Stat,
}

impl AddonSpec {
    fn new(intname: &str, kind: AddonKind) -> AddonSpec {
        AddonSpec {
            intname: Some(intname.to_owned()),
            itemtype: intname.to_owned(),
            kind,
            measure: None,
            included: None,
            max: None,
            max_trial: None,
            default: None,
            active: true,
        }
    }

    /// An amount in `measure` (`integer("ram", "gb")`, `integer("ip", "unit")`).
    pub fn integer(intname: &str, measure: &str) -> AddonSpec {
        AddonSpec {
            measure: Some(measure.to_owned()),
            ..AddonSpec::new(intname, AddonKind::Integer)
        }
    }

    pub fn enumeration(intname: &str, values: &[&str]) -> AddonSpec {
        let values = values.iter().map(|v| (*v).to_owned()).collect();
        AddonSpec::new(intname, AddonKind::Enumeration(values))
    }

    pub fn boolean(intname: &str) -> AddonSpec {
        AddonSpec::new(intname, AddonKind::Boolean)
    }

    pub fn stat(intname: &str, measure: &str, max: i64) -> AddonSpec {
        AddonSpec {
            measure: Some(measure.to_owned()),
            max: Some(max),
            ..AddonSpec::new(intname, AddonKind::Stat)
        }
    }

    /// The amount included in the tariff (`addonlimit`).
    pub fn included(self, amount: i64) -> AddonSpec {
        AddonSpec {
            included: Some(amount),
            ..self
        }
    }

    pub fn max_trial(self, amount: i64) -> AddonSpec {
        AddonSpec {
            max_trial: Some(amount),
            ..self
        }
    }

    /// The tariff's default value: an enumeration intname or `on`/`off`.
    pub fn default_value(self, value: &str) -> AddonSpec {
        AddonSpec {
            default: Some(value.to_owned()),
            ..self
        }
    }

    /// Leaves `pricelist.intname` empty: the addon is known by its product type only.
    pub fn keyed_by_itemtype(self) -> AddonSpec {
        AddonSpec {
            intname: None,
            ..self
        }
    }

    pub fn inactive(self) -> AddonSpec {
        AddonSpec {
            active: false,
            ..self
        }
    }

    /// `pricelist.addontype` and `pricelist.billtype`.
    fn types(&self) -> (i32, i32) {
        match self.kind {
            AddonKind::Boolean => (1, 2),
            AddonKind::Integer => (2, 2),
            AddonKind::Enumeration(_) => (3, 2),
            AddonKind::Stat => (2, 3),
        }
    }
}

/// An `item` row as a test checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRow {
    pub id: u64,
    pub status: i32,
    /// Set by `service.setstatus`.
    pub service_status: Option<i32>,
    /// `YYYY-MM-DD`.
    pub opendate: Option<String>,
    pub expiredate: Option<String>,
    pub account: u64,
    pub pricelist: u64,
    pub processingmodule: Option<u64>,
    pub period: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    pub id: u64,
    pub item: Option<u64>,
    pub runningoperation: Option<u64>,
    pub task_type: u64,
    /// The text for staff.
    pub params: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningOperationRow {
    pub id: u64,
    pub item: u64,
    pub processingmodule: Option<u64>,
    pub trycount: i32,
    /// Switched to manual processing by `runningoperation.setmanual`.
    pub manual: bool,
    /// Stored by `runningoperation.edit`.
    pub errorxml: Option<String>,
}

/// A problem on the administrator's dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemRow {
    pub name: String,
    /// The object it concerns (a processing module's id).
    pub object: u64,
    pub level: Option<String>,
    /// The `param_*` fields, without the prefix.
    pub params: BTreeMap<String, String>,
    pub resolved: bool,
}

/// A row of a service's IP list (BILLmanager's table `ip`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpRow {
    pub id: u64,
    /// The add-on item the slot belongs to.
    pub addon: u64,
    /// The address; empty for an empty slot.
    pub name: String,
    /// 1 empty slot, 2 in use.
    pub status: i32,
    pub mask: Option<String>,
    pub gateway: Option<String>,
    pub domain: Option<String>,
    /// Confirmed by `service.ip.add.commit`.
    pub committed: bool,
}

/// A value of a product-type param (an OS template, a script) and the modules it is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamValueRow {
    pub id: u64,
    pub intname: String,
    pub name: Option<String>,
    pub name_ru: Option<String>,
    pub modules: Vec<u64>,
}

/// An `itemstat` row: `(YYYY-MM-DD, param, value, measure intname)`.
pub type StatRow = (String, String, f64, Option<String>);

impl TestDb {
    /// A pmdci6 processing module with its connection params; crypted ones are stored encrypted
    /// with the process key, as BILLmanager stores them.
    pub fn add_module(
        &self,
        name: &str,
        params: &[(&str, &str)],
        crypted_params: &[(&str, &str)],
    ) -> Result<u64> {
        let key = key::process_key()?;
        let mut conn = self.conn();
        conn.exec_drop(
            "INSERT INTO processingmodule (name, module) VALUES (?, 'pmdci6')",
            (name,),
        )
        .context("adding a processing module")?;
        let module = conn.last_insert_id();
        for (table, list, crypted) in [
            ("processingparam", params, false),
            ("processingcryptedparam", crypted_params, true),
        ] {
            for (param, value) in list {
                let value = if crypted {
                    key::encrypt(key, value)?
                } else {
                    (*value).to_owned()
                };
                conn.exec_drop(
                    format!(
                        "INSERT INTO {table} (processingmodule, intname, value) VALUES (?, ?, ?)"
                    ),
                    (module, param, value),
                )
                .with_context(|| format!("adding param {param} of module {module}"))?;
            }
        }
        Ok(module)
    }

    /// Binds `tariff` to `module` (`processingmodule2pricelist`): the module may open its orders.
    pub fn bind_tariff(&self, module: u64, tariff: u64) -> Result<()> {
        self.conn()
            .exec_drop(
                "INSERT INTO processingmodule2pricelist (processingmodule, pricelist) VALUES (?, ?)",
                (module, tariff),
            )
            .with_context(|| format!("binding tariff {tariff} to module {module}"))
    }

    /// The module's `orderpriority`: BILLmanager tries the lowest first.
    pub fn set_module_priority(&self, module: u64, priority: i32) -> Result<()> {
        self.conn()
            .exec_drop(
                "UPDATE processingmodule SET orderpriority = ? WHERE id = ?",
                (priority, module),
            )
            .with_context(|| format!("setting the priority of module {module}"))
    }

    /// A customer account with one user holding `email` (an empty `email` leaves it NULL).
    pub fn add_account(&self, email: &str) -> Result<u64> {
        let mut conn = self.conn();
        conn.exec_drop(
            "INSERT INTO account (name) VALUES (?)",
            (format!("customer {email}"),),
        )
        .context("adding an account")?;
        let account = conn.last_insert_id();
        let email = Some(email).filter(|e| !e.is_empty());
        conn.exec_drop(
            "INSERT INTO `user` (account, name, email) VALUES (?, 'customer', ?)",
            (account, email),
        )
        .context("adding the account's user")?;
        Ok(account)
    }

    /// A dedicated-server tariff with param `configuration` (a DCImanager configuration label, or
    /// `manual`) and its addon pricelists.
    pub fn add_tariff(&self, configuration: &str, addons: &[AddonSpec]) -> Result<u64> {
        let dedic = self.itemtype_id(DEDIC)?;
        let mut conn = self.conn();
        conn.exec_drop(
            "INSERT INTO pricelist (itemtype, name, billtype) VALUES (?, ?, 2)",
            (dedic, format!("Dedicated {configuration}")),
        )
        .context("adding a tariff")?;
        let tariff = conn.last_insert_id();
        conn.exec_drop(
            "INSERT INTO pricelistparam (pricelist, intname, value) VALUES (?, 'configuration', ?)",
            (tariff, configuration),
        )
        .context("setting the tariff's configuration")?;
        drop(conn);
        for addon in addons {
            self.add_addon_pricelist(tariff, addon)?;
        }
        Ok(tariff)
    }

    fn add_addon_pricelist(&self, tariff: u64, addon: &AddonSpec) -> Result<u64> {
        let itemtype = self.itemtype_id(&addon.itemtype)?;
        let mut conn = self.conn();
        let measure: Option<u64> = match &addon.measure {
            Some(name) => Some(
                conn.exec_first("SELECT id FROM measure WHERE intname = ?", (name,))?
                    .with_context(|| format!("no measure {name}"))?,
            ),
            None => None,
        };
        let (addontype, billtype) = addon.types();
        let addonbool = match addon.kind {
            AddonKind::Boolean => addon.default.clone(),
            _ => None,
        };
        conn.exec_drop(
            "INSERT INTO pricelist (parent, itemtype, intname, active, addontype, billtype, addonlimit,
                                    addonmax, addonbool, addonmaxtrial, measure)
             VALUES (:tariff, :itemtype, :intname, :active, :addontype, :billtype, :included,
                     :max, :addonbool, :max_trial, :measure)",
            params! {
                tariff, itemtype, "intname" => &addon.intname,
                "active" => if addon.active { "on" } else { "off" },
                addontype, billtype, "included" => addon.included, "max" => addon.max, addonbool,
                "max_trial" => addon.max_trial, measure,
            },
        )
        .with_context(|| format!("adding addon {:?} to tariff {tariff}", addon.intname))?;
        let pricelist = conn.last_insert_id();
        if let AddonKind::Enumeration(values) = &addon.kind {
            for value in values {
                conn.exec_drop(
                    "INSERT INTO enumerationitem (enumeration, intname) VALUES (?, ?)",
                    (pricelist, value),
                )?;
                if addon.default.as_deref() == Some(value) {
                    let id = conn.last_insert_id();
                    conn.exec_drop(
                        "UPDATE pricelist SET enumerationitem = ? WHERE id = ?",
                        (id, pricelist),
                    )?;
                }
            }
        }
        Ok(pricelist)
    }

    /// An ordered service of `tariff` on `module`, with addon values (`("ram", "64")`,
    /// `("cpu", "e5-2620")`, `("backup", "on")`) and plain params (`("ostempl", "Debian 12")`).
    /// An integer addon's value is the total: what the tariff includes plus what was ordered.
    pub fn add_item(
        &self,
        module: u64,
        account: u64,
        tariff: u64,
        status: i32,
        addons: &[(&str, &str)],
        params: &[(&str, &str)],
    ) -> Result<u64> {
        let key = key::process_key()?;
        let mut conn = self.conn();
        conn.exec_drop(
            "INSERT INTO item (name, account, pricelist, processingmodule, status) VALUES ('server', ?, ?, ?, ?)",
            (account, tariff, module, status),
        )
        .context("adding an item")?;
        let item = conn.last_insert_id();
        for (name, value) in params {
            store::save_item_param(&mut conn, key, item, name, value, false)?;
        }
        for (name, value) in addons {
            let row: Option<(u64, i32, i32, Option<i64>)> = conn.exec_first(
                "SELECT p.id, p.addontype, p.billtype, p.addonlimit
                 FROM pricelist p LEFT JOIN itemtype t ON t.id = p.itemtype
                 WHERE p.parent = :tariff AND (p.intname = :name OR (p.intname IS NULL AND t.intname = :name))",
                params! { tariff, name },
            )?;
            let Some((pricelist, addontype, billtype, included)) = row else {
                bail!("tariff {tariff} has no addon {name}");
            };
            // The column of the addon item that carries the value, by addon type and bill type.
            let (column, column_value) = match (addontype, billtype) {
                (1, _) => ("boolvalue", (*value).to_owned()),
                (3, _) => {
                    let choice: Option<u64> = conn.exec_first(
                        "SELECT id FROM enumerationitem WHERE enumeration = ? AND intname = ?",
                        (pricelist, value),
                    )?;
                    let choice =
                        choice.with_context(|| format!("addon {name} has no value {value}"))?;
                    ("enumerationitem", choice.to_string())
                }
                (_, 3) => ("addonmax", (*value).to_owned()),
                _ => {
                    let total: i64 = value.parse().with_context(|| {
                        format!("addon {name}: {value:?} is not a whole number")
                    })?;
                    ("intvalue", (total - included.unwrap_or(0)).to_string())
                }
            };
            conn.exec_drop(
                format!(
                    "INSERT INTO item (name, account, pricelist, processingmodule, status, parent, {column})
                     VALUES (?, ?, ?, ?, ?, ?, ?)"
                ),
                (name, account, pricelist, module, status, item, column_value),
            )
            .with_context(|| format!("adding addon {name} to item {item}"))?;
        }
        Ok(item)
    }

    /// Moves the item to `tariff` as a customer's tariff change does before BILLmanager runs
    /// `setparam`: the tariff it was on is kept in `lastpricelist`.
    pub fn change_tariff(&self, item: u64, tariff: u64) -> Result<()> {
        self.conn()
            .exec_drop(
                "UPDATE item SET lastpricelist = pricelist, pricelist = ? WHERE id = ?",
                (tariff, item),
            )
            .with_context(|| format!("changing the tariff of item {item}"))
    }

    /// Sets the value of the item's add-on `name` (an integer add-on: the total, as
    /// [`TestDb::add_item`] takes it), adding the add-on item when the order had none.
    pub fn set_addon(&self, item: u64, name: &str, total: i64) -> Result<()> {
        let mut conn = self.conn();
        let (tariff, account, module, status): (u64, u64, Option<u64>, i32) = conn
            .exec_first(
                "SELECT pricelist, account, processingmodule, status FROM item WHERE id = ?",
                (item,),
            )?
            .with_context(|| format!("no item {item}"))?;
        let (pricelist, included): (u64, Option<i64>) = conn
            .exec_first(
                "SELECT id, addonlimit FROM pricelist WHERE parent = ? AND intname = ?",
                (tariff, name),
            )?
            .with_context(|| format!("tariff {tariff} has no addon {name}"))?;
        let value = total - included.unwrap_or(0);
        let existing: Option<u64> = conn.exec_first(
            "SELECT id FROM item WHERE parent = ? AND pricelist = ?",
            (item, pricelist),
        )?;
        match existing {
            Some(addon) => conn.exec_drop(
                "UPDATE item SET intvalue = ? WHERE id = ?",
                (value, addon),
            )?,
            None => conn.exec_drop(
                "INSERT INTO item (name, account, pricelist, processingmodule, status, parent, intvalue)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, account, pricelist, module, status, item, value),
            )?,
        }
        Ok(())
    }

    /// Stores a crypted service param (as `service.saveparam crypted=on` does).
    pub fn set_item_crypted_param(&self, item: u64, name: &str, value: &str) -> Result<()> {
        store::save_item_param(
            &mut self.conn(),
            key::process_key()?,
            item,
            name,
            value,
            true,
        )
    }

    /// `item.period`; `-100` makes the service a trial.
    pub fn set_item_period(&self, item: u64, period: i32) -> Result<()> {
        self.conn()
            .exec_drop("UPDATE item SET period = ? WHERE id = ?", (period, item))
            .context("setting the item period")
    }

    /// A running operation for the item (BILLmanager's queue row the module gets as
    /// `--runningoperation`).
    pub fn add_running_operation(&self, item: u64) -> Result<u64> {
        let mut conn = self.conn();
        conn.exec_drop(
            "INSERT INTO runningoperation (item, processingmodule) SELECT id, processingmodule FROM item WHERE id = ?",
            (item,),
        )
        .context("adding a running operation")?;
        if conn.affected_rows() == 0 {
            bail!("no item {item} to add a running operation to");
        }
        Ok(conn.last_insert_id())
    }

    /// `count` empty IP slots for the service `item` in its add-on of product type `itemtype`
    /// (`ip` or `ipv6`), as BILLmanager creates them for the ordered addresses. The add-on item
    /// is created when the service has none yet (an amount included in the tariff).
    pub fn add_ip_slots(&self, item: u64, itemtype: &str, count: usize) -> Result<Vec<u64>> {
        let mut conn = self.conn();
        let existing: Option<u64> = conn.exec_first(
            "SELECT a.id FROM item a JOIN pricelist p ON p.id = a.pricelist
             JOIN itemtype t ON t.id = p.itemtype WHERE a.parent = ? AND t.intname = ?",
            (item, itemtype),
        )?;
        let addon = match existing {
            Some(addon) => addon,
            None => {
                conn.exec_drop(
                    "INSERT INTO item (name, account, pricelist, processingmodule, status, parent)
                     SELECT t.intname, i.account, p.id, i.processingmodule, i.status, i.id
                     FROM item i JOIN pricelist p ON p.parent = i.pricelist
                     JOIN itemtype t ON t.id = p.itemtype WHERE i.id = ? AND t.intname = ?",
                    (item, itemtype),
                )
                .with_context(|| format!("adding the {itemtype} add-on to item {item}"))?;
                if conn.affected_rows() == 0 {
                    bail!("the tariff of item {item} has no {itemtype} add-on");
                }
                conn.last_insert_id()
            }
        };
        (0..count)
            .map(|_| {
                conn.exec_drop("INSERT INTO ip (item) VALUES (?)", (addon,))
                    .context("adding an IP slot")?;
                Ok(conn.last_insert_id())
            })
            .collect()
    }

    /// Every problem registered, in order.
    pub fn problems(&self) -> Result<Vec<ProblemRow>> {
        type Row = (String, u64, Option<String>, Option<String>, String);
        let rows: Vec<Row> = self.conn().exec(
            "SELECT name, objid, level, params, resolved FROM problem ORDER BY id",
            (),
        )?;
        rows.into_iter()
            .map(|(name, object, level, params, resolved)| {
                let params = match params {
                    Some(text) => serde_json::from_str(&text).context("problem params")?,
                    None => BTreeMap::new(),
                };
                Ok(ProblemRow {
                    name,
                    object,
                    level,
                    params,
                    resolved: resolved == "on",
                })
            })
            .collect()
    }

    /// The IP list of the service `item`, in id order.
    pub fn service_ips(&self, item: u64) -> Result<Vec<IpRow>> {
        type Row = (
            u64,
            u64,
            String,
            i32,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
        );
        let rows: Vec<Row> = self.conn().exec(
            "SELECT ip.id, ip.item, ip.name, ip.status, ip.mask, ip.gateway, ip.domain, ip.committed
             FROM ip JOIN item a ON a.id = ip.item WHERE a.parent = ? ORDER BY ip.id",
            (item,),
        )?;
        Ok(rows
            .into_iter()
            .map(
                |(id, addon, name, status, mask, gateway, domain, committed)| IpRow {
                    id,
                    addon,
                    name,
                    status,
                    mask,
                    gateway,
                    domain,
                    committed: committed == "on",
                },
            )
            .collect())
    }

    pub fn set_try_count(&self, running_operation: u64, trycount: i32) -> Result<()> {
        self.conn()
            .exec_drop(
                "UPDATE runningoperation SET trycount = ? WHERE id = ?",
                (trycount, running_operation),
            )
            .context("setting the try count")
    }

    /// A value of a product-type param (`("dedic", "ostempl", "Debian 12")`), bound to `module`
    /// when given.
    pub fn add_itemtype_param_value(
        &self,
        itemtype: &str,
        param: &str,
        intname: &str,
        module: Option<u64>,
    ) -> Result<u64> {
        let mut conn = self.conn();
        let param_id: u64 = conn
            .exec_first(
                "SELECT itp.id FROM itemtypeparam itp JOIN itemtype it ON it.id = itp.itemtype
                 WHERE it.intname = ? AND itp.intname = ?",
                (itemtype, param),
            )?
            .with_context(|| format!("product type {itemtype} has no param {param}"))?;
        conn.exec_drop(
            "INSERT INTO itemtypeparamvalue (itemtypeparam, intname, name) VALUES (?, ?, ?)",
            (param_id, intname, intname),
        )
        .with_context(|| format!("adding value {intname} of {param}"))?;
        let value = conn.last_insert_id();
        if let Some(module) = module {
            conn.exec_drop(
                "INSERT INTO processingmodule2itemtypeparamvalue (processingmodule, itemtypeparamvalue) VALUES (?, ?)",
                (module, value),
            )?;
        }
        Ok(value)
    }

    pub fn item_status(&self, item: u64) -> Result<i32> {
        Ok(self.item(item)?.status)
    }

    pub fn item(&self, item: u64) -> Result<ItemRow> {
        type Columns = (
            u64,
            i32,
            Option<i32>,
            Option<String>,
            Option<String>,
            u64,
            u64,
            Option<u64>,
            i32,
        );
        let row: Option<Columns> = self.conn().exec_first(
            "SELECT id, status, service_status, DATE_FORMAT(opendate, '%Y-%m-%d'),
                    DATE_FORMAT(expiredate, '%Y-%m-%d'), account, pricelist, processingmodule, period
             FROM item WHERE id = ?",
            (item,),
        )?;
        let (
            id,
            status,
            service_status,
            opendate,
            expiredate,
            account,
            pricelist,
            processingmodule,
            period,
        ) = row.with_context(|| format!("no item {item}"))?;
        Ok(ItemRow {
            id,
            status,
            service_status,
            opendate,
            expiredate,
            account,
            pricelist,
            processingmodule,
            period,
        })
    }

    /// Plain service params.
    pub fn item_params(&self, item: u64) -> Result<BTreeMap<String, String>> {
        let rows: Vec<(String, Option<String>)> = self.conn().exec(
            "SELECT intname, value FROM itemparam WHERE item = ?",
            (item,),
        )?;
        Ok(rows
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect())
    }

    /// Crypted service params, decrypted.
    pub fn item_crypted_params(&self, item: u64) -> Result<BTreeMap<String, String>> {
        let key = key::process_key()?;
        let rows: Vec<(String, Option<String>)> = self.conn().exec(
            "SELECT intname, value FROM itemcryptedparam WHERE item = ?",
            (item,),
        )?;
        rows.into_iter()
            .map(|(name, value)| {
                let plain = key::decrypt(key, &value.unwrap_or_default())
                    .with_context(|| format!("crypted param {name} of item {item}"))?;
                Ok((name, plain))
            })
            .collect()
    }

    /// All tasks, oldest first.
    /// The `itemstat` rows of `item`, by day and param.
    pub fn item_stats(&self, item: u64) -> Result<Vec<StatRow>> {
        self.conn()
            .exec_map(
                "SELECT DATE_FORMAT(s.statdate, '%Y-%m-%d'), s.param, CAST(s.value AS DOUBLE), m.intname
                 FROM itemstat s LEFT JOIN measure m ON m.id = s.measure
                 WHERE s.item = ? ORDER BY s.statdate, s.param",
                (item,),
                |(date, param, value, measure)| (date, param, value, measure),
            )
            .context("reading itemstat")
    }

    pub fn tasks(&self) -> Result<Vec<TaskRow>> {
        type Columns = (u64, Option<u64>, Option<u64>, u64, Option<String>);
        let rows: Vec<Columns> = self.conn().exec(
            "SELECT id, item, runningoperation, type, params FROM task ORDER BY id",
            (),
        )?;
        Ok(rows
            .into_iter()
            .map(|(id, item, runningoperation, task_type, params)| TaskRow {
                id,
                item,
                runningoperation,
                task_type,
                params,
            })
            .collect())
    }

    /// The running operation, `None` once BILLmanager removed it (a `service.post*` call).
    pub fn running_operation(&self, id: u64) -> Result<Option<RunningOperationRow>> {
        type Columns = (u64, u64, Option<u64>, i32, String, Option<String>);
        let row: Option<Columns> = self.conn().exec_first(
            "SELECT id, item, processingmodule, trycount, manual, errorxml FROM runningoperation WHERE id = ?",
            (id,),
        )?;
        Ok(
            row.map(|(id, item, processingmodule, trycount, manual, errorxml)| {
                RunningOperationRow {
                    id,
                    item,
                    processingmodule,
                    trycount,
                    manual: manual == "on",
                    errorxml,
                }
            }),
        )
    }

    /// `processingmodule.config`, as stored by `processing.setconfig`.
    pub fn module_config(&self, module: u64) -> Result<Option<String>> {
        let config: Option<Option<String>> = self.conn().exec_first(
            "SELECT config FROM processingmodule WHERE id = ?",
            (module,),
        )?;
        config.with_context(|| format!("no processing module {module}"))
    }

    /// The values of a product-type param (`("dedic", "ostempl")`) with their module bindings.
    pub fn itemtype_param_values(&self, itemtype: &str, param: &str) -> Result<Vec<ParamValueRow>> {
        let mut conn = self.conn();
        let rows: Vec<(u64, String, Option<String>, Option<String>)> = conn.exec(
            "SELECT v.id, v.intname, v.name, v.name_ru
             FROM itemtypeparamvalue v
             JOIN itemtypeparam itp ON itp.id = v.itemtypeparam
             JOIN itemtype it ON it.id = itp.itemtype
             WHERE it.intname = ? AND itp.intname = ?
             ORDER BY v.id",
            (itemtype, param),
        )?;
        rows.into_iter()
            .map(|(id, intname, name, name_ru)| {
                let modules: Vec<u64> = conn.exec(
                    "SELECT processingmodule FROM processingmodule2itemtypeparamvalue
                     WHERE itemtypeparamvalue = ? ORDER BY processingmodule",
                    (id,),
                )?;
                Ok(ParamValueRow {
                    id,
                    intname,
                    name,
                    name_ru,
                    modules,
                })
            })
            .collect()
    }

    /// The id of a product type, created when missing.
    fn itemtype_id(&self, intname: &str) -> Result<u64> {
        let mut conn = self.conn();
        conn.exec_drop(
            "INSERT IGNORE INTO itemtype (intname) VALUES (?)",
            (intname,),
        )?;
        let id: Option<u64> =
            conn.exec_first("SELECT id FROM itemtype WHERE intname = ?", (intname,))?;
        id.with_context(|| format!("product type {intname} missing after insert"))
    }
}
