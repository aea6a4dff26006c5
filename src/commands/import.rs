//! `import --module M --itemtype dedic [--searchstring S]`: the servers of the module's location
//! that have an owner and no pmdci6 service become BILLmanager services (see
//! [`crate::provision::import`] for which and why not).
//!
//! Each service is created with `processing.import.service`, the function ISPsystem's modules
//! import with (`module`, `import_itemtype_intname`, `import_pricelist_intname`,
//! `import_service_name`, `status`, then the service params; BILLmanager answers `service_id`),
//! plus `account`, the customer found by the owner's e-mail: ISPsystem's public examples import
//! domains, whose customer comes from contact profiles, and document no customer param, so this
//! name is the module's best reading. The tariff goes in `import_pricelist_intname` as its id
//! (ISPsystem's registrar passes an id there too). The params are `serverid`, `ip` (the main
//! IPv4 address), `username` and `ostempl` (the installed template, when DCImanager names one).
//! Then the server's notes get the service's mark, after any text staff left there, so that
//! every other command recognises it as the service's server.
//!
//! One run per module at a time (lock `tmp/pmdci6-import-<module>.lock`); a run killed between
//! the two steps is finished by the next, which finds the service by its `serverid` and only
//! writes the mark. The servers imported are complete; when some could not be imported, the run
//! ends with error `import` naming each and why, after importing the others.

use anyhow::{Context, Result};

use super::CommandContext;

use super::Output;
use crate::billmgr::db::Db;
use crate::billmgr::lock::FileLock;
use crate::billmgr::mgrctl::find_value;
use crate::dci::api::Server;
use crate::dci::client::Client;
use crate::effects::service::{Billing, load_module, module_client};
use crate::protocol::args::Format;
use crate::protocol::error::{ErrorKind, ModuleError};
use crate::protocol::features::ITEMTYPE;
use crate::protocol::xml::Element;
use crate::provision::import::{self, Decision, ImportStatus, LiveService, decide, selected};
use crate::provision::install::login_name;
use crate::provision::order::MANUAL;
use crate::provision::ownership::item_note;

pub fn run(ctx: &CommandContext<u64>, search: Option<&str>) -> Result<Option<Output>> {
    let (root, module_id) = (ctx.root, ctx.target);
    let mut billing = Billing::connect(root)?;
    let (module, connection) = load_module(&mut billing, module_id)?;
    let _lock = FileLock::try_take(
        root,
        &format!("pmdci6-import-{module_id}.lock"),
        &format!("the import of processing module {module_id}"),
    )?;
    let client = module_client(root, module_id, &connection)?;
    let location = connection.location;
    let mut servers: Vec<Server> = Vec::new();
    client
        .for_each_server_page(None, |page| {
            servers.extend(
                page.into_iter()
                    .filter(|s| s.location_id == location && selected(s, search)),
            );
            Ok(())
        })
        .context("listing the servers of DCImanager")?;
    let facts = billing_facts(&mut billing.db, module_id, &servers)?;
    let decisions: Vec<(Server, Decision)> = servers
        .into_iter()
        .map(|server| {
            let decision = decide(&server, &facts);
            (server, decision)
        })
        .collect();
    log::info!(
        "import of module {module_id} ({}), location {location}{}: {} owned server(s) considered",
        module.name,
        search.map_or(String::new(), |s| format!(", search '{s}'")),
        decisions.len()
    );
    if ctx.dry_run {
        return Ok(Some(report(ctx.format, module_id, &decisions)));
    }
    let mut not_imported = Vec::new();
    for (server, decision) in &decisions {
        match decision {
            Decision::Import {
                account,
                tariff,
                status,
                ip,
                ..
            } => {
                let imported = Imported {
                    account: *account,
                    tariff: *tariff,
                    status: *status,
                    ip: ip.as_deref(),
                };
                let item = create_service(&billing, module_id, server, &imported)?;
                mark(&client, server, item)?;
                log::info!(
                    "imported server {} as service {item}: {decision}",
                    server.name
                );
            }
            Decision::Mark { item } => {
                mark(&client, server, *item)?;
                log::info!("server {} of service {item}: mark written", server.name);
            }
            Decision::Skip(why) if why.starts_with(ALREADY) => {
                log::info!("server {} not imported: {why}", server.name);
            }
            Decision::Skip(why) => {
                log::warn!("server {} not imported: {why}", server.name);
                not_imported.push(format!("{}: {why}", server.name));
            }
        }
    }
    if !not_imported.is_empty() {
        return Err(ModuleError::new(
            ErrorKind::Import,
            format!("processing module {module_id}"),
            format!(
                "{} server(s) not imported: {}",
                not_imported.len(),
                not_imported.join("; ")
            ),
        )
        .into());
    }
    Ok(None)
}

/// How the reasons of servers that are services already begin: those are no failure.
const ALREADY: &str = "already a service";

/// What BILLmanager holds about the module, its tariffs and the owners' e-mails.
fn billing_facts(db: &mut Db, module: u64, servers: &[Server]) -> Result<import::Billing> {
    let server_ids = db.module_item_param(module, "serverid")?;
    let services = db
        .items_of_module(module)?
        .into_iter()
        .map(|item| LiveService {
            item: item.id,
            status: i64::from(item.status),
            server: server_ids.get(&item.id).and_then(|v| v.trim().parse().ok()),
            item_type: item.itemtype,
            module: item.module_name,
        })
        .collect();
    let tariffs = db
        .module_tariffs(module)?
        .into_iter()
        .filter_map(|tariff| {
            let label = tariff.configuration?;
            let label = label.trim();
            if label.eq_ignore_ascii_case(MANUAL) {
                return None;
            }
            match label.parse() {
                Ok(configuration) => Some((tariff.id, configuration)),
                Err(err) => {
                    log::warn!(
                        "tariff {} is left out of the import: configuration '{label}': {err}",
                        tariff.id
                    );
                    None
                }
            }
        })
        .collect();
    let mut accounts = std::collections::BTreeMap::new();
    for email in servers
        .iter()
        .filter_map(|s| crate::provision::ownership::owner_email(s))
        .filter(|e| !e.is_empty())
    {
        if let std::collections::btree_map::Entry::Vacant(slot) =
            accounts.entry(crate::provision::ownership::email_key(email))
        {
            slot.insert(db.accounts_with_email(email)?);
        }
    }
    Ok(import::Billing {
        services,
        accounts,
        tariffs,
    })
}

/// What a server is imported as.
struct Imported<'a> {
    account: u64,
    tariff: u64,
    status: ImportStatus,
    ip: Option<&'a str>,
}

/// `processing.import.service`; the new service's id.
fn create_service(
    billing: &Billing,
    module: u64,
    server: &Server,
    imported: &Imported,
) -> Result<u64> {
    let (module, account, tariff, status, server_id) = (
        module.to_string(),
        imported.account.to_string(),
        imported.tariff.to_string(),
        imported.status.code().to_string(),
        server.id.to_string(),
    );
    let template = server.os_template.as_ref().map(|t| t.name.as_str());
    let mut params: Vec<(&str, &str)> = vec![
        ("sok", "ok"),
        ("module", &module),
        ("import_itemtype_intname", ITEMTYPE),
        ("import_pricelist_intname", &tariff),
        ("import_service_name", &server.name),
        ("status", &status),
        ("account", &account),
        ("serverid", &server_id),
        ("username", login_name(template.unwrap_or_default())),
    ];
    if let Some(ip) = imported.ip {
        params.push(("ip", ip));
    }
    if let Some(template) = template {
        params.push(("ostempl", template));
    }
    let answer = billing
        .mgrctl
        .call("processing.import.service", &params)
        .with_context(|| format!("importing server {} into BILLmanager", server.name))?;
    let id = find_value(&answer, "service_id")?
        .and_then(|id| id.trim().parse().ok())
        .ok_or_else(|| {
            ModuleError::new(
                ErrorKind::Mgrctl,
                "processing.import.service",
                format!(
                    "BILLmanager imported server {} but named no service_id in its answer",
                    server.name
                ),
            )
        })?;
    Ok(id)
}

/// The service's mark after whatever the notes held.
fn mark(client: &Client, server: &Server, item: u64) -> Result<()> {
    let mark = item_note(item);
    let notes = match server.notes.trim() {
        "" => mark,
        text => format!("{text}\n{mark}"),
    };
    client
        .set_notes(server.id, &notes)
        .with_context(|| format!("marking server {} with service {item}", server.name))
}

/// The dry run: every owned server considered, with what the import would do.
fn report(format: Format, module: u64, decisions: &[(Server, Decision)]) -> Output {
    let verdict = |decision: &Decision| match decision {
        Decision::Import { .. } => "import",
        Decision::Mark { .. } => "mark",
        Decision::Skip(_) => "skip",
    };
    if format == Format::Text {
        let mut text = format!(
            "Import of processing module {module}: {} owned server(s)\n",
            decisions.len()
        );
        for (server, decision) in decisions {
            text.push_str(&format!(
                "  {:<16} {:<6} {decision}\n",
                server.name,
                verdict(decision)
            ));
        }
        return Output::Text(text);
    }
    Output::Xml(
        Element::new("doc").child(
            Element::new("import")
                .attr("module", module.to_string())
                .children(decisions.iter().map(|(server, decision)| {
                    Element::new("server")
                        .attr("id", server.id.to_string())
                        .attr("name", &server.name)
                        .attr("verdict", verdict(decision))
                        .text(decision.to_string())
                })),
        ),
    )
}
