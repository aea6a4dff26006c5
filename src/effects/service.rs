//! What every command on a service reads before it acts: BILLmanager's database and key, the
//! item, its processing module and connection, the customer, and the server it holds.

use std::collections::BTreeMap;

use anyhow::{Context, Result};

use super::session::dci_client;
use crate::billmgr::crypto::CryptKey;
use crate::billmgr::db::{Db, ItemRecord, ProcessingModule};
use crate::billmgr::mgrctl::Mgrctl;
use crate::billmgr::paths::MgrRoot;
use crate::commands::NothingToDo;
use crate::dci::api::Server;
use crate::dci::client::{Client, is_not_found};
use crate::dci::filter::{Filter, Literal};
use crate::protocol::connection::Connection;
use crate::protocol::error::{ErrorKind, ModuleError, fail};
use crate::provision::action::{self, ItemCommand, ItemFacts, Verdict};
use crate::provision::ownership::{Holder, NotOwned, item_note, marked_for};

pub use crate::provision::action::MODULE_NAME;

/// BILLmanager's side: `mgrctl` for writes, the database and the key for reads.
pub struct Billing {
    pub mgrctl: Mgrctl,
    pub db: Db,
    pub key: CryptKey,
}

impl Billing {
    pub fn connect(root: &MgrRoot) -> Result<Billing> {
        let mgrctl = Mgrctl::new(root);
        let params = mgrctl
            .paramlist()
            .context("asking BILLmanager for its database (paramlist)")?;
        let db = Db::connect(&params.db)?;
        let key = CryptKey::load(&params.crypt_key)?;
        Ok(Billing { mgrctl, db, key })
    }

    /// `service.saveparam`, in the Python form (the param name is the key).
    pub fn save_param(&self, item: u64, name: &str, value: &str, crypted: bool) -> Result<()> {
        let elid = item.to_string();
        let crypted = if crypted { "on" } else { "off" };
        self.mgrctl
            .call(
                "service.saveparam",
                &[
                    ("sok", "ok"),
                    ("elid", &elid),
                    (name, value),
                    ("crypted", crypted),
                ],
            )
            .map(drop)
            .with_context(|| format!("saving param {name} of item {item}"))
    }

    /// `service.dropparam`: the param is gone afterwards, whether or not it was there.
    pub fn drop_param(&self, item: u64, name: &str) -> Result<()> {
        let elid = item.to_string();
        self.mgrctl
            .call(
                "service.dropparam",
                &[("sok", "ok"), ("elid", &elid), ("name", name)],
            )
            .map(drop)
            .with_context(|| format!("dropping param {name} of item {item}"))
    }

    /// `service.post<what>`: tells BILLmanager the operation is done.
    pub fn report(&self, func: &str, item: u64) -> Result<()> {
        let elid = item.to_string();
        self.mgrctl
            .call(func, &[("sok", "ok"), ("elid", &elid)])
            .map(drop)
    }
}

/// A service item of this module, with what the commands need about it.
pub struct Service {
    pub item: ItemRecord,
    pub module: ProcessingModule,
    pub connection: Connection,
    pub params: BTreeMap<String, String>,
    pub email: Option<String>,
}

impl Service {
    /// The item, admitted by the action table ([`action::verdict`]) for `command` before
    /// anything else is read: a refusal is error `item`, nothing to do is [`NothingToDo`].
    pub fn load(billing: &mut Billing, item_id: u64, command: ItemCommand) -> Result<Service> {
        let object = format!("item {item_id}");
        let item = billing.db.item(item_id)?.ok_or_else(|| {
            ModuleError::new(
                ErrorKind::Item,
                &object,
                format!("item {item_id} does not exist in BILLmanager"),
            )
        })?;
        if let Some(parent) = item.parent {
            return fail(
                ErrorKind::Item,
                object,
                format!("item {item_id} is an addon of service {parent}, not a service"),
            );
        }
        let facts = ItemFacts {
            id: item_id,
            item_type: &item.itemtype,
            module: item.module_name.as_deref(),
            status: i64::from(item.status),
        };
        match action::verdict(command, &facts) {
            Verdict::Act => {}
            Verdict::Nothing(why) => return Err(NothingToDo(why).into()),
            Verdict::Refuse(why) => return fail(ErrorKind::Item, object, why),
        }
        let module_id = item.processingmodule.ok_or_else(|| {
            ModuleError::new(
                ErrorKind::Item,
                &object,
                format!("item {item_id} has no processing module"),
            )
        })?;
        let (module, connection) = load_module(billing, module_id)?;
        let params = billing.db.item_params(item_id)?;
        let email = billing.db.account_email(item.account)?;
        Ok(Service {
            item,
            module,
            connection,
            params,
            email,
        })
    }

    pub fn id(&self) -> u64 {
        self.item.id
    }

    /// The DCImanager client, with the session token kept in BILLmanager's `var/` between runs
    /// so that frequent commands (sync_item) do not log in every time.
    pub fn client(&self, root: &MgrRoot) -> Result<Client> {
        module_client(root, self.module.id, &self.connection)
    }

    /// Who must own the item's server: the customer's e-mail and the item's mark in the notes.
    pub fn holder(&self) -> Result<Holder> {
        let email = self.email.clone().ok_or_else(|| {
            ModuleError::new(
                ErrorKind::NoEmail,
                format!("item {}", self.id()),
                format!(
                    "the customer (account {}) of item {} has no e-mail: DCImanager needs one for the server's owner; set it in BILLmanager",
                    self.item.account,
                    self.id()
                ),
            )
        })?;
        Ok(Holder {
            item: self.id(),
            email,
        })
    }

    pub fn saved_server_id(&self) -> Result<Option<u64>> {
        match self
            .params
            .get("serverid")
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        {
            None => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|_| {
                ModuleError::new(
                    ErrorKind::Item,
                    format!("item {}", self.id()),
                    format!(
                        "param serverid of item {} is '{text}', not a server id",
                        self.id()
                    ),
                )
                .into()
            }),
        }
    }

    /// The server this item holds: by its saved `serverid`, else by the item's mark in the
    /// notes (a run killed before it saved `serverid`). `None` when it holds none.
    pub fn find_server(&self, client: &Client) -> Result<Option<Server>> {
        let Some(id) = self.saved_server_id()? else {
            return self.server_by_mark(client);
        };
        match client.server(id) {
            Ok(server) => Ok(Some(server)),
            // Staff may have moved the service to another server: its mark tells.
            Err(err) if is_not_found(&err) => match self.server_by_mark(client)? {
                Some(server) => {
                    log::warn!(
                        "server {id} saved in param serverid of item {} is gone; server {} carries the item's mark",
                        self.id(),
                        server.name
                    );
                    Ok(Some(server))
                }
                None => Err(err.context(ModuleError::new(
                    ErrorKind::Item,
                    format!("item {}", self.id()),
                    format!(
                        "server {id} saved in param serverid of item {} no longer exists in DCImanager; check the service by hand",
                        self.id()
                    ),
                ))),
            },
            Err(err) => Err(err).with_context(|| format!("reading server {id} of item {}", self.id())),
        }
    }

    /// The server whose notes carry the item's mark (anywhere in the notes, as
    /// [`crate::provision::ownership::ItemNote::read`] finds it).
    fn server_by_mark(&self, client: &Client) -> Result<Option<Server>> {
        let mark = item_note(self.id());
        let filter = Filter::cp(
            client.contract().field("notes"),
            Literal::string(&format!("%{mark}%"))?,
        );
        let mut found = None;
        client.for_each_server_page(Some(filter), |page| {
            found = found
                .take()
                .or_else(|| page.into_iter().find(|s| marked_for(s, self.id())));
            Ok(())
        })?;
        Ok(found)
    }
}

/// The processing module this run works for, once read: the error kept on a running operation
/// names it, so staff see which module failed.
static LOADED_MODULE: std::sync::OnceLock<(u64, String)> = std::sync::OnceLock::new();

/// The id and name of the processing module this run read, if it got that far.
pub fn loaded_module() -> Option<&'static (u64, String)> {
    LOADED_MODULE.get()
}

/// A processing module of this binary with its validated connection; refused when the module is
/// another binary's. Its password becomes a log secret.
pub fn load_module(
    billing: &mut Billing,
    module_id: u64,
) -> Result<(ProcessingModule, Connection)> {
    let module = billing.db.processing_module(module_id, &billing.key)?;
    // A run serves one module; the first one read is the one it reports for.
    let _ = LOADED_MODULE.set((module.id, module.name.clone()));
    if module.module != MODULE_NAME {
        return fail(
            ErrorKind::ModuleConfig,
            format!("processing module {module_id}"),
            format!(
                "processing module {} ({}) is run by {}, not by {MODULE_NAME}",
                module.id, module.name, module.module
            ),
        );
    }
    crate::billmgr::logging::register_secret(
        module
            .params
            .get("password")
            .map(String::as_str)
            .unwrap_or(""),
    );
    let connection = Connection::from_params(&module.params, &|name| std::env::var(name).ok())
        .with_context(|| format!("processing module {} ({})", module.id, module.name))?;
    Ok((module, connection))
}

/// The DCImanager client of a module, with the session token kept in BILLmanager's `var/`
/// (one file per module, mode 0600) so that frequent commands (sync_item) do not log in every
/// time.
pub fn module_client(root: &MgrRoot, module_id: u64, connection: &Connection) -> Result<Client> {
    let cache = root.var_dir().join(format!("pmdci6-{module_id}.token"));
    dci_client(root, connection, Some(cache))
}

/// The ownership guard's refusal as the error BILLmanager shows: nothing was touched.
pub fn not_owner(server: &Server, refusal: NotOwned) -> anyhow::Error {
    ModuleError::new(
        ErrorKind::NotOwner,
        format!("server {}", server.name),
        refusal.reason,
    )
    .into()
}
