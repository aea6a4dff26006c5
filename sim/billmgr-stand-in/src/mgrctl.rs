//! The stand-in's `mgrctl -m billmgr`: applies the module's callbacks to the test database the
//! way BILLmanager does, answers in BILLmanager's XML, and records every call.
//!
//! `sbin/mgrctl` of a [`crate::Mgr5Root`] execs the `mgrctl-stand-in` binary, which runs
//! [`main`]. Each call is appended to `var/mgrctl-calls.log` as one JSON line
//! ([`MgrctlCall`]), successful or not.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use mysql::prelude::Queryable;
use mysql::{Conn, params};
use quick_xml::escape::escape;
use rsa::RsaPrivateKey;
use serde::{Deserialize, Serialize};

use crate::{key, mariadb, store};

/// Where the stand-in finds its database (written by [`crate::Mgr5Root::create`]).
pub(crate) const CONFIG_FILE: &str = "etc/stand-in.json";
/// One JSON [`MgrctlCall`] per line.
pub(crate) const CALL_LOG: &str = "var/mgrctl-calls.log";
/// Function names, one per line: the next call of each fails once.
pub(crate) const FAIL_NEXT: &str = "var/mgrctl-fail-next";
/// The key, relative to the root as BILLmanager's `CryptKey` is.
pub(crate) const CRYPT_KEY: &str = "etc/billmgr.pem";

/// `item.status` values.
const STATUS_ACTIVE: i32 = 2;
const STATUS_SUSPENDED: i32 = 3;
const STATUS_DELETED: i32 = 4;
/// `ip.status` of an empty slot and of an address in use.
const IP_EMPTY_SLOT: i32 = 1;
const IP_IN_USE: i32 = 2;

/// The test database, as `etc/stand-in.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StandInConfig {
    pub socket: PathBuf,
    pub user: String,
    pub password: String,
    pub database: String,
}

/// One call of `mgrctl`, as recorded in `var/mgrctl-calls.log`:
/// `{"func":"service.saveparam","params":{"elid":"5","ip":"10.0.0.5","sok":"ok"},"error":null}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MgrctlCall {
    pub func: String,
    pub params: BTreeMap<String, String>,
    /// BILLmanager's error message when the call failed.
    pub error: Option<String>,
}

/// An error answer: `<doc><error type=".." object=".."><msg>..</msg></error></doc>`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ApiError {
    error_type: String,
    object: String,
    message: String,
}

impl ApiError {
    fn new(error_type: &str, object: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            error_type: error_type.to_owned(),
            object: object.to_owned(),
            message: message.into(),
        }
    }

    fn to_xml(&self) -> String {
        document(&format!(
            "<error type=\"{}\" object=\"{}\" lang=\"en\"><param name=\"object\" type=\"msg\" msg=\"{1}\">{1}</param>\
             <param name=\"value\">{2}</param><msg>{2}</msg></error>",
            escape(self.error_type.as_str()),
            escape(self.object.as_str()),
            escape(self.message.as_str()),
        ))
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> ApiError {
        ApiError::new("stand_in", "mgrctl-stand-in", format!("{err:#}"))
    }
}

type Answer = Result<String, ApiError>;

/// `mgrctl-stand-in --root R -m billmgr [-o xml] <func> [k=v ...]`: prints the XML answer;
/// exit 0 on success, 1 on an error answer, 2 when the command line itself is wrong.
pub fn main(args: &[String]) -> ExitCode {
    let invocation = match Invocation::parse(args) {
        Ok(invocation) => invocation,
        Err(err) => {
            eprintln!("mgrctl-stand-in: {err:#}");
            return ExitCode::from(2);
        }
    };
    let answer = invocation.answer();
    let call = MgrctlCall {
        func: invocation.func.clone(),
        params: invocation.params.clone(),
        error: answer.as_ref().err().map(|err| err.message.clone()),
    };
    if let Err(err) = record(&invocation.root, &call) {
        eprintln!("mgrctl-stand-in: recording the call: {err:#}");
    }
    match answer {
        Ok(xml) => {
            print!("{xml}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            print!("{}", err.to_xml());
            ExitCode::FAILURE
        }
    }
}

struct Invocation {
    root: PathBuf,
    func: String,
    params: BTreeMap<String, String>,
}

impl Invocation {
    fn parse(args: &[String]) -> Result<Invocation> {
        let mut root = None;
        let mut func = None;
        let mut params = BTreeMap::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--root" => {
                    root = Some(PathBuf::from(args.next().context("--root needs a value")?))
                }
                "-m" => {
                    let manager = args.next().context("-m needs a value")?;
                    if manager != "billmgr" {
                        bail!("only -m billmgr is supported, not {manager}");
                    }
                }
                "-o" => {
                    let format = args.next().context("-o needs a value")?;
                    if format != "xml" {
                        bail!("only -o xml is supported, not {format}");
                    }
                }
                _ if func.is_none() => func = Some(arg.clone()),
                _ => {
                    let (name, value) = arg
                        .split_once('=')
                        .with_context(|| format!("{arg:?} is not name=value"))?;
                    params.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        Ok(Invocation {
            root: root.context("--root is required")?,
            func: func.context("no function given")?,
            params,
        })
    }

    fn answer(&self) -> Answer {
        if take_injected_failure(&self.root, &self.func)? {
            return Err(ApiError::new(
                "stand_in_failure",
                &self.func,
                format!("injected failure of {}", self.func),
            ));
        }
        let config: StandInConfig = read_json(&self.root.join(CONFIG_FILE))?;
        let key = key::load(&self.root.join(CRYPT_KEY))?;
        let conn = Conn::new(mariadb::connect_opts(
            &config.socket,
            Some(&config.database),
        ))
        .with_context(|| format!("connecting to database {}", config.database))?;
        let mut billmgr = Billmgr { conn, key, config };
        billmgr.call(&self.func, &Params(&self.params))
    }
}

/// The parameters of a call, with BILLmanager's checks.
struct Params<'a>(&'a BTreeMap<String, String>);

impl Params<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::new("missing", name, format!("parameter {name} is missing")))
    }

    fn id(&self, name: &str) -> Result<u64, ApiError> {
        let value = self.required(name)?;
        value
            .parse()
            .map_err(|_| ApiError::new("value", name, format!("{name}={value:?} is not an id")))
    }

    /// BILLmanager's edit functions save only with `sok=ok`; without it they merely return the
    /// form. The stand-in answers an error instead, so a forgotten `sok` shows in the test.
    fn require_sok(&self, func: &str) -> Result<(), ApiError> {
        match self.get("sok") {
            Some("ok") => Ok(()),
            _ => Err(ApiError::new(
                "stand_in",
                "sok",
                format!(
                    "{func} without sok=ok: BILLmanager would only show the form and save nothing"
                ),
            )),
        }
    }
}

/// BILLmanager, as far as the module's callbacks reach.
struct Billmgr {
    conn: Conn,
    key: RsaPrivateKey,
    config: StandInConfig,
}

impl Billmgr {
    fn call(&mut self, func: &str, params: &Params) -> Answer {
        match func {
            "paramlist" => Ok(self.paramlist()),
            "service.postopen" | "dedic.open" => self.complete(func, params, Some(STATUS_ACTIVE)),
            "service.postsuspend" => self.complete(func, params, Some(STATUS_SUSPENDED)),
            "service.postresume" => self.complete(func, params, Some(STATUS_ACTIVE)),
            "service.postclose" => self.complete(func, params, Some(STATUS_DELETED)),
            "service.postreboot"
            | "service.posthardreboot"
            | "service.poststart"
            | "service.poststop"
            | "service.postchangepassword" => self.complete(func, params, None),
            "service.postsetparam" => self.finish_change(func, params),
            "service.changepricelist.rollback" => self.roll_back_tariff(func, params),
            "service.saveparam" => self.save_param(func, params),
            "service.dropparam" => self.drop_param(func, params),
            "service.setstatus" => self.set_service_status(params),
            "service.setexpiredate" => self.set_expire_date(params),
            "service.ip.add" => self.add_ip(func, params),
            "service.ip.add.commit" => self.commit_ip(func, params),
            "service.ip.del" => self.delete_ip(func, params),
            "problems.register" => self.register_problem(func, params),
            "problems.resolve" => self.resolve_problem(func, params),
            "runningoperation.edit" => self.edit_running_operation(func, params),
            "runningoperation.setmanual" => self.set_manual(params),
            "task.gettype" => self.task_type(params),
            "task.edit" => self.create_task(func, params),
            "processing.setconfig" => self.set_config(params),
            "service.poststat" => self.post_stat(params),
            "itemtype.param.value.sync" => self.sync_param_value(params),
            "itemtype.param.value.processing.suspend" => self.unbind_param_value(params),
            "processing.import.service" => self.import_service(func, params),
            _ => Err(ApiError::new(
                "missing",
                "func",
                format!("unknown function {func}"),
            )),
        }
    }

    fn paramlist(&self) -> String {
        let socket = self.config.socket.to_string_lossy();
        let params = [
            ("DBHost", "localhost"),
            ("DBUser", self.config.user.as_str()),
            ("DBPassword", self.config.password.as_str()),
            ("DBName", self.config.database.as_str()),
            ("DBSocket", socket.as_ref()),
            ("CryptKey", CRYPT_KEY),
        ];
        let elems: String = params
            .iter()
            .map(|(name, value)| format!("<elem><{name}>{}</{name}></elem>", escape(*value)))
            .collect();
        document(&elems)
    }

    /// `service.post*`: the operation is done; BILLmanager sets the status (postopen also the
    /// open date) and removes the item's running operation.
    fn complete(&mut self, func: &str, params: &Params, status: Option<i32>) -> Answer {
        params.require_sok(func)?;
        let item = self.item(params)?;
        if let Some(status) = status {
            self.conn
                .exec_drop(
                    "UPDATE item SET status = :status,
                         opendate = IF(:open, IFNULL(opendate, CURDATE()), opendate)
                     WHERE id = :item",
                    params! { status, "open" => status == STATUS_ACTIVE, item },
                )
                .context("updating the item")?;
        }
        self.conn
            .exec_drop("DELETE FROM runningoperation WHERE item = ?", (item,))
            .context("removing the running operation")?;
        Ok(ok())
    }

    /// `service.postsetparam`: the change is applied; a tariff change under way is final.
    fn finish_change(&mut self, func: &str, params: &Params) -> Answer {
        let answer = self.complete(func, params, None)?;
        let item = self.item(params)?;
        self.conn
            .exec_drop("UPDATE item SET lastpricelist = NULL WHERE id = ?", (item,))
            .context("finishing the tariff change")?;
        Ok(answer)
    }

    /// `service.changepricelist.rollback`: the item goes back to the tariff it was on before
    /// the change (`lastpricelist`); an error when no change is under way.
    fn roll_back_tariff(&mut self, func: &str, params: &Params) -> Answer {
        params.require_sok(func)?;
        let item = self.item(params)?;
        let previous: Option<Option<u64>> = self
            .conn
            .exec_first("SELECT lastpricelist FROM item WHERE id = ?", (item,))
            .context("reading the previous tariff")?;
        let Some(previous) = previous.flatten() else {
            return Err(ApiError::new(
                "value",
                "elid",
                format!("item {item} has no tariff change to roll back"),
            ));
        };
        self.conn
            .exec_drop(
                "UPDATE item SET pricelist = ?, lastpricelist = NULL WHERE id = ?",
                (previous, item),
            )
            .context("rolling back the tariff")?;
        Ok(ok())
    }

    /// `service.saveparam`: `name=..&value=..` (C++ form) or `<param>=<value>` (Python form),
    /// `crypted=on` to store encrypted.
    fn save_param(&mut self, func: &str, params: &Params) -> Answer {
        params.require_sok(func)?;
        let item = self.item(params)?;
        let crypted = params.get("crypted") == Some("on");
        let pairs: Vec<(&str, &str)> = match (params.get("name"), params.get("value")) {
            (Some(name), Some(value)) => vec![(name, value)],
            _ => params
                .0
                .iter()
                .filter(|(name, _)| {
                    !matches!(name.as_str(), "elid" | "sok" | "crypted" | "out" | "lang")
                })
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .collect(),
        };
        if pairs.is_empty() {
            return Err(ApiError::new("missing", "name", "no param to save"));
        }
        for (name, value) in pairs {
            store::save_item_param(&mut self.conn, &self.key, item, name, value, crypted)?;
        }
        Ok(ok())
    }

    fn drop_param(&mut self, func: &str, params: &Params) -> Answer {
        params.require_sok(func)?;
        let item = self.item(params)?;
        store::drop_item_param(&mut self.conn, item, params.required("name")?)?;
        Ok(ok())
    }

    fn set_service_status(&mut self, params: &Params) -> Answer {
        let item = self.item(params)?;
        let status = params.id("service_status")?;
        self.conn
            .exec_drop(
                "UPDATE item SET service_status = ? WHERE id = ?",
                (status, item),
            )
            .context("setting the service status")?;
        Ok(ok())
    }

    fn set_expire_date(&mut self, params: &Params) -> Answer {
        let item = self.item(params)?;
        let date = params.required("expiredate")?;
        self.conn
            .exec_drop("UPDATE item SET expiredate = ? WHERE id = ?", (date, item))
            .map_err(|err| ApiError::new("value", "expiredate", format!("{date:?}: {err}")))?;
        Ok(ok())
    }

    fn edit_running_operation(&mut self, func: &str, params: &Params) -> Answer {
        params.require_sok(func)?;
        let id = self.running_operation(params)?;
        if let Some(errorxml) = params.get("errorxml") {
            self.conn
                .exec_drop(
                    "UPDATE runningoperation SET errorxml = ? WHERE id = ?",
                    (errorxml, id),
                )
                .context("storing the error of the running operation")?;
        }
        Ok(ok())
    }

    fn set_manual(&mut self, params: &Params) -> Answer {
        let id = self.running_operation(params)?;
        self.conn
            .exec_drop(
                "UPDATE runningoperation SET manual = 'on' WHERE id = ?",
                (id,),
            )
            .context("switching the running operation to manual")?;
        Ok(ok())
    }

    /// `<doc><task_type>N</task_type></doc>`, or `<doc/>` when no task type is set up for the
    /// operation.
    fn task_type(&mut self, params: &Params) -> Answer {
        let operation = params.required("operation")?;
        let id: Option<u64> = self
            .conn
            .exec_first("SELECT id FROM tasktype WHERE operation = ?", (operation,))
            .context("reading task types")?;
        Ok(match id {
            Some(id) => document(&format!("<task_type>{id}</task_type>")),
            None => document(""),
        })
    }

    fn create_task(&mut self, func: &str, params: &Params) -> Answer {
        params.require_sok(func)?;
        let task_type = params.id("type")?;
        let item = params
            .get("item")
            .filter(|v| !v.is_empty())
            .map(|_| params.id("item"))
            .transpose()?;
        let running_operation = params
            .get("runningoperation")
            .filter(|v| !v.is_empty())
            .map(|_| params.id("runningoperation"))
            .transpose()?;
        self.conn
            .exec_drop(
                "INSERT INTO task (item, runningoperation, type, params) VALUES (?, ?, ?, ?)",
                (item, running_operation, task_type, params.get("params")),
            )
            .context("creating the task")?;
        Ok(document(&format!(
            "<ok/><id>{}</id>",
            self.conn.last_insert_id()
        )))
    }

    /// A problem on the dashboard: registering one that is there again updates it.
    fn register_problem(&mut self, func: &str, params: &Params) -> Answer {
        params.require_sok(func)?;
        let name = params.required("name")?;
        let object = params.id("id")?;
        let fields: BTreeMap<&str, &str> = params
            .0
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("param_")?, v.as_str())))
            .collect();
        let fields = serde_json::to_string(&fields).context("the problem's params")?;
        self.conn
            .exec_drop(
                "INSERT INTO problem (name, objid, level, params) VALUES (?, ?, ?, ?)
                 ON DUPLICATE KEY UPDATE level = VALUES(level), params = VALUES(params), resolved = 'off'",
                (name, object, params.get("level"), fields),
            )
            .context("registering the problem")?;
        Ok(ok())
    }

    fn resolve_problem(&mut self, func: &str, params: &Params) -> Answer {
        params.require_sok(func)?;
        let name = params.required("name")?;
        let object = params.id("id")?;
        self.conn
            .exec_drop(
                "UPDATE problem SET resolved = 'on' WHERE name = ? AND objid = ?",
                (name, object),
            )
            .context("resolving the problem")?;
        if self.conn.affected_rows() == 0 {
            return Err(ApiError::new(
                "missing",
                "problem",
                format!("no problem {name} for {object}"),
            ));
        }
        Ok(ok())
    }

    /// Fills the empty slot `elid` of a service's IP list; answers the row's id as `ip.id`.
    /// An address already in the IP list (of any service) is refused, as BILLmanager keeps each
    /// address once, so a module that adds twice shows in the test.
    fn add_ip(&mut self, func: &str, params: &Params) -> Answer {
        params.require_sok(func)?;
        let slot = params.id("elid")?;
        let address = params.required("ip")?;
        let status: Option<i32> = self
            .conn
            .exec_first("SELECT status FROM ip WHERE id = ?", (slot,))
            .context("reading the IP slot")?;
        match status {
            None => {
                return Err(ApiError::new("missing", "ip", format!("no IP slot {slot}")));
            }
            Some(status) if status != IP_EMPTY_SLOT => {
                return Err(ApiError::new(
                    "exists",
                    "ip",
                    format!("IP slot {slot} is not empty"),
                ));
            }
            Some(_) => {}
        }
        let holder: Option<u64> = self
            .conn
            .exec_first("SELECT id FROM ip WHERE name = ?", (address,))
            .context("looking the address up")?;
        if let Some(holder) = holder {
            return Err(ApiError::new(
                "exists",
                "ip",
                format!("address {address} is in the IP list already (row {holder})"),
            ));
        }
        self.conn
            .exec_drop(
                "UPDATE ip SET name = ?, status = ?, mask = ?, gateway = ?, domain = ? WHERE id = ?",
                (
                    address,
                    IP_IN_USE,
                    params.get("mask"),
                    params.get("gateway"),
                    params.get("domain"),
                    slot,
                ),
            )
            .context("filling the IP slot")?;
        Ok(document(&format!("<ip.id>{slot}</ip.id>")))
    }

    fn commit_ip(&mut self, func: &str, params: &Params) -> Answer {
        params.require_sok(func)?;
        let id = params.id("elid")?;
        self.conn
            .exec_drop(
                "UPDATE ip SET committed = 'on' WHERE id = ? AND status = ?",
                (id, IP_IN_USE),
            )
            .context("committing the address")?;
        if self.conn.affected_rows() == 0 {
            return Err(ApiError::new(
                "missing",
                "ip",
                format!("no address in use with id {id} to commit"),
            ));
        }
        Ok(ok())
    }

    /// Releases row `elid`: BILLmanager keeps one slot per ordered address, so the row becomes an
    /// empty slot again.
    fn delete_ip(&mut self, func: &str, params: &Params) -> Answer {
        params.require_sok(func)?;
        let id = self.existing("ip", params.id("elid")?)?;
        self.conn
            .exec_drop(
                "UPDATE ip SET name = '', status = ?, mask = NULL, gateway = NULL, domain = NULL, committed = 'off' WHERE id = ?",
                (IP_EMPTY_SLOT, id),
            )
            .context("releasing the address")?;
        Ok(ok())
    }

    fn set_config(&mut self, params: &Params) -> Answer {
        let module = self.module(params, "elid")?;
        let config = params.required("config")?;
        self.conn
            .exec_drop(
                "UPDATE processingmodule SET config = ? WHERE id = ?",
                (config, module),
            )
            .context("storing the module config")?;
        Ok(ok())
    }

    /// The module's statistics of `date` are in: BILLmanager charges them from `itemstat`. The
    /// stand-in checks the call's form (pylib's `poststat`: the module and the date, no `sok`).
    fn post_stat(&mut self, params: &Params) -> Answer {
        self.module(params, "elid")?;
        let date = params.required("date")?;
        let valid = date.len() == 10
            && date.char_indices().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if !valid {
            return Err(ApiError::new(
                "value",
                "date",
                format!("{date} is not YYYY-MM-DD"),
            ));
        }
        Ok(ok())
    }

    /// Adds or renames a value of a product-type parameter (an OS template, a script) and binds
    /// it to the module.
    fn sync_param_value(&mut self, params: &Params) -> Answer {
        let module = self.module(params, "module")?;
        let itemtype = params.required("itemtype")?;
        let param = params.required("param")?;
        let value = params.required("value")?;
        let param_id: Option<u64> = self
            .conn
            .exec_first(
                "SELECT itp.id FROM itemtypeparam itp JOIN itemtype it ON it.id = itp.itemtype
                 WHERE it.intname = ? AND itp.intname = ?",
                (itemtype, param),
            )
            .context("reading product type params")?;
        let param_id = param_id.ok_or_else(|| {
            ApiError::new(
                "missing",
                "param",
                format!("product type {itemtype} has no param {param}"),
            )
        })?;
        self.conn
            .exec_drop(
                "INSERT INTO itemtypeparamvalue (itemtypeparam, intname, name, name_ru)
                 VALUES (:param_id, :value, :name, :name_ru)
                 ON DUPLICATE KEY UPDATE name = VALUES(name), name_ru = VALUES(name_ru)",
                params! { param_id, value, "name" => params.get("name"), "name_ru" => params.get("name_ru") },
            )
            .context("storing the param value")?;
        let value_id: Option<u64> = self
            .conn
            .exec_first(
                "SELECT id FROM itemtypeparamvalue WHERE itemtypeparam = ? AND intname = ?",
                (param_id, value),
            )
            .context("reading the param value")?;
        let value_id = value_id.context("the param value just stored is missing")?;
        self.conn
            .exec_drop(
                "INSERT IGNORE INTO processingmodule2itemtypeparamvalue (processingmodule, itemtypeparamvalue)
                 VALUES (?, ?)",
                (module, value_id),
            )
            .context("binding the param value to the module")?;
        Ok(document(&format!("<ok/><id>{value_id}</id>")))
    }

    /// Unbinds a param value from the module (the value itself stays, as in BILLmanager).
    fn unbind_param_value(&mut self, params: &Params) -> Answer {
        let module = self.module(params, "elid")?;
        let value = params.id("plid")?;
        let exists: Option<u64> = self
            .conn
            .exec_first("SELECT id FROM itemtypeparamvalue WHERE id = ?", (value,))
            .context("reading the param value")?;
        if exists.is_none() {
            return Err(ApiError::new(
                "missing",
                "plid",
                format!("no param value {value}"),
            ));
        }
        self.conn
            .exec_drop(
                "DELETE FROM processingmodule2itemtypeparamvalue WHERE processingmodule = ? AND itemtypeparamvalue = ?",
                (module, value),
            )
            .context("unbinding the param value")?;
        Ok(ok())
    }

    /// The existing item named by `elid`.
    /// `processing.import.service`: a service of `module` for the customer `account`, on the
    /// tariff of product type `import_itemtype_intname` whose intname (or, for a tariff
    /// without one, id) is `import_pricelist_intname`, named `import_service_name`, in `status`,
    /// opened today; every other parameter becomes a service param. Answers `service_id`.
    fn import_service(&mut self, func: &str, params: &Params) -> Answer {
        params.require_sok(func)?;
        let module = self.module(params, "module")?;
        let account = self.existing("account", params.id("account")?)?;
        let itemtype = params.required("import_itemtype_intname")?;
        let tariff_ref = params.required("import_pricelist_intname")?;
        let tariff: Option<u64> = self
            .conn
            .exec_first(
                "SELECT p.id FROM pricelist p JOIN itemtype t ON t.id = p.itemtype
                 WHERE p.parent IS NULL AND t.intname = :itemtype
                   AND (p.intname = :tariff OR (p.intname IS NULL AND CAST(p.id AS CHAR) = :tariff))
                 ORDER BY p.intname IS NULL LIMIT 1",
                params! { itemtype, "tariff" => tariff_ref },
            )
            .context("finding the tariff to import into")?;
        let tariff = tariff.ok_or_else(|| {
            ApiError::new(
                "missing",
                "import_pricelist_intname",
                format!("no tariff '{tariff_ref}' of product type {itemtype}"),
            )
        })?;
        let status = params.id("status")?;
        let name = params.required("import_service_name")?;
        self.conn
            .exec_drop(
                "INSERT INTO item (name, account, pricelist, processingmodule, status, opendate)
                 VALUES (?, ?, ?, ?, ?, CURDATE())",
                (name, account, tariff, module, status),
            )
            .context("creating the imported service")?;
        let item = self.conn.last_insert_id();
        let service_params = params.0.iter().filter(|(name, _)| {
            !name.starts_with("import_")
                && !matches!(
                    name.as_str(),
                    "sok"
                        | "module"
                        | "status"
                        | "account"
                        | "expiredate"
                        | "period"
                        | "out"
                        | "lang"
                )
        });
        for (name, value) in service_params {
            store::save_item_param(&mut self.conn, &self.key, item, name, value, false)?;
        }
        Ok(document(&format!("<service_id>{item}</service_id>")))
    }

    fn item(&mut self, params: &Params) -> Result<u64, ApiError> {
        self.existing("item", params.id("elid")?)
    }

    fn running_operation(&mut self, params: &Params) -> Result<u64, ApiError> {
        self.existing("runningoperation", params.id("elid")?)
    }

    fn module(&mut self, params: &Params, name: &str) -> Result<u64, ApiError> {
        self.existing("processingmodule", params.id(name)?)
    }

    fn existing(&mut self, table: &str, id: u64) -> Result<u64, ApiError> {
        let found: Option<u64> = self
            .conn
            .exec_first(format!("SELECT id FROM {table} WHERE id = ?"), (id,))
            .with_context(|| format!("reading {table} {id}"))?;
        found.ok_or_else(|| ApiError::new("missing", table, format!("{table} {id} does not exist")))
    }
}

fn document(body: &str) -> String {
    if body.is_empty() {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<doc/>\n".to_owned();
    }
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<doc>{body}</doc>\n")
}

fn ok() -> String {
    document("<ok/>")
}

/// Whether `func` was marked to fail (the mark is used up).
fn take_injected_failure(root: &Path, func: &str) -> Result<bool> {
    let path = root.join(FAIL_NEXT);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(false);
    };
    let mut lines: Vec<&str> = text.lines().collect();
    let Some(position) = lines.iter().position(|line| *line == func) else {
        return Ok(false);
    };
    lines.remove(position);
    let rest: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(&path, rest).with_context(|| format!("updating {}", path.display()))?;
    Ok(true)
}

/// Appends the call to the call log in one write, so concurrent calls do not interleave.
fn record(root: &Path, call: &MgrctlCall) -> Result<()> {
    let path = root.join(CALL_LOG);
    let mut line = serde_json::to_string(call).context("encoding the call")?;
    line.push('\n');
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(line.as_bytes()))
        .with_context(|| format!("appending to {}", path.display()))
}

pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_the_mgrctl_command_line() {
        let invocation = Invocation::parse(&args(&[
            "--root",
            "/r",
            "-m",
            "billmgr",
            "-o",
            "xml",
            "service.saveparam",
            "elid=5",
            "ip=1.2.3.4",
            "note=a=b",
        ]))
        .unwrap();
        assert_eq!(invocation.root, Path::new("/r"));
        assert_eq!(invocation.func, "service.saveparam");
        assert_eq!(
            invocation.params.get("note").map(String::as_str),
            Some("a=b")
        );
        assert_eq!(invocation.params.len(), 3);
        assert!(Invocation::parse(&args(&["--root", "/r", "-m", "vmmgr", "x"])).is_err());
        assert!(Invocation::parse(&args(&["--root", "/r", "-m", "billmgr"])).is_err());
        assert!(Invocation::parse(&args(&["-m", "billmgr", "paramlist"])).is_err());
    }

    #[test]
    fn error_answer_is_escaped_billmanager_xml() {
        let xml = ApiError::new("missing", "elid", "item <5> & more").to_xml();
        assert!(
            xml.contains("<error type=\"missing\" object=\"elid\" lang=\"en\">"),
            "{xml}"
        );
        assert!(
            xml.contains("<msg>item &lt;5&gt; &amp; more</msg>"),
            "{xml}"
        );
    }
}
