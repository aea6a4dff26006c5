//! `get_server_config --module N` and `sync_server --module N` (the **Config** button of a
//! processing module): what DCImanager sells, pulled into BILLmanager.
//!
//! - The configurations of the module's location with their free-server counts (servers without
//!   owner) are stored with `processing.setconfig` as `<doc><slist name="configuration"><msg
//!   key="LABEL" free="N">LABEL (N free)</msg>...</slist></doc>`: the options of the tariff field
//!   `configuration`, `manual` (a configuration built from add-ons) first. Servers whose
//!   configuration diagnostics have not determined yet are not listed. The tariff form itself
//!   is filled live by `pricelist_dynamic_settings_tune`, which falls back to this stored list.
//! - The OS templates of the module's location and the scripts with access `all` become values
//!   of the `dedic` params `ostempl` and `recipe` (`itemtype.param.value.sync`, the value's
//!   internal name and names being the DCImanager name; new values are not switched on for any
//!   tariff). Values bound to the module that DCImanager no longer offers are detached from it
//!   (`itemtype.param.value.processing.suspend`); the values themselves stay, as BILLmanager
//!   keeps them for existing services.
//!
//! BILLmanager documents the two commands separately (the first stores the config, the second
//! pushes param values) but calls either from the same button, so both do the whole job; every
//! part is idempotent.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};

use super::CommandContext;

use crate::billmgr::db::ParamValue;
use crate::dci::api::{Access, ConfigurationSummary, Server};
use crate::dci::client::Client;
use crate::dci::filter::Filter;
use crate::effects::service::{Billing, load_module, module_client};
use crate::protocol::features::ITEMTYPE;
use crate::protocol::xml::Element;

/// The tariff value for a configuration built from add-ons.
pub const MANUAL: &str = "manual";

/// The name of the tariff field (and of its `slist`).
pub const FIELD: &str = "configuration";

/// What is synced for one product-type param.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ValueSync {
    param: &'static str,
    /// Offered by DCImanager, not bound to the module yet.
    add: Vec<String>,
    /// Bound to the module, no longer offered.
    detach: Vec<ParamValue>,
}

/// The values to add and to detach, from what DCImanager offers and what is bound now.
fn value_sync(
    param: &'static str,
    offered: &BTreeSet<String>,
    bound: Vec<ParamValue>,
) -> ValueSync {
    let known: BTreeSet<&str> = bound.iter().map(|v| v.intname.as_str()).collect();
    let add = offered
        .iter()
        .filter(|name| !known.contains(name.as_str()))
        .cloned()
        .collect();
    let detach = bound
        .into_iter()
        .filter(|value| !offered.contains(&value.intname))
        .collect();
    ValueSync { param, add, detach }
}

/// Adds `servers` to the count of servers without owner per configuration label. The count is
/// the location's own: DCImanager's configuration summary counts the whole installation, which
/// would offer a tariff stock that another location holds.
fn tally(free: &mut BTreeMap<String, u64>, servers: &[Server]) {
    for server in servers {
        if let Some(label) = server.configuration.as_deref().map(str::trim)
            && !label.is_empty()
        {
            *free.entry(label.to_string()).or_default() += u64::from(server.owner.is_none());
        }
    }
}

/// The `slist` of the tariff field `configuration` for `location`, read live (one paged list of
/// the location's servers).
pub fn location_slist(client: &Client, location: u64) -> Result<Element> {
    let mut free = BTreeMap::new();
    client
        .for_each_server_page(
            Some(Filter::eq(
                client.contract().field("location_id"),
                location.into(),
            )),
            |page| {
                tally(&mut free, &page);
                Ok(())
            },
        )
        .with_context(|| format!("listing the servers of location {location}"))?;
    let configurations: Vec<ConfigurationSummary> = free
        .into_iter()
        .map(|(configuration, free_server_count)| ConfigurationSummary {
            configuration,
            free_server_count,
        })
        .collect();
    Ok(slist(&configurations))
}

/// The `slist` of the tariff field `configuration`: `manual` first, then each label.
fn slist(configurations: &[ConfigurationSummary]) -> Element {
    let labels = configurations
        .iter()
        .filter(|c| !c.configuration.trim().is_empty())
        .map(|c| {
            Element::new("msg")
                .attr("key", &c.configuration)
                .attr("free", c.free_server_count.to_string())
                .text(format!(
                    "{} ({} free)",
                    c.configuration, c.free_server_count
                ))
        });
    let manual = Element::new("msg")
        .attr("key", MANUAL)
        .text("manual: built from add-ons");
    Element::new("slist")
        .attr("name", FIELD)
        .child(manual)
        .children(labels)
}

pub fn run(ctx: &CommandContext<u64>) -> Result<Option<Element>> {
    let (root, module_id, dry_run) = (ctx.root, ctx.target, ctx.dry_run);
    let mut billing = Billing::connect(root)?;
    let (module, connection) = load_module(&mut billing, module_id)?;
    let client = module_client(root, module.id, &connection)?;
    let config = Element::new("doc").child(location_slist(&client, connection.location)?);
    let templates: BTreeSet<String> = client
        .os_templates(connection.location)
        .with_context(|| {
            format!(
                "reading the OS templates of location {}",
                connection.location
            )
        })?
        .into_iter()
        .filter(|t| t.access == Access::All)
        .map(|t| t.name)
        .collect();
    let scripts: BTreeSet<String> = client
        .scripts()
        .context("reading DCImanager's scripts")?
        .into_iter()
        .filter(|s| s.access == Access::All)
        .map(|s| s.name)
        .collect();
    let syncs = [("ostempl", templates), ("recipe", scripts)]
        .into_iter()
        .map(|(param, offered)| {
            let bound = billing.db.module_param_values(module.id, ITEMTYPE, param)?;
            Ok(value_sync(param, &offered, bound))
        })
        .collect::<Result<Vec<_>>>()?;
    if dry_run {
        return Ok(Some(dry_run_document(module.id, &config, &syncs)));
    }
    let elid = module.id.to_string();
    billing
        .mgrctl
        .call(
            "processing.setconfig",
            &[("elid", &elid), ("config", &config.to_xml())],
        )
        .context("storing the configurations (processing.setconfig)")?;
    for sync in &syncs {
        for value in &sync.add {
            log::info!("module {}: adding {} value {value}", module.id, sync.param);
            billing
                .mgrctl
                .call(
                    "itemtype.param.value.sync",
                    &[
                        ("itemtype", ITEMTYPE),
                        ("module", &elid),
                        ("param", sync.param),
                        ("value", value),
                        ("disablepricelists", "on"),
                        ("name", value),
                        ("name_ru", value),
                    ],
                )
                .with_context(|| format!("adding {value} to the values of {}", sync.param))?;
        }
        for value in &sync.detach {
            log::info!(
                "module {}: detaching {} value {} (id {}): DCImanager no longer offers it",
                module.id,
                sync.param,
                value.intname,
                value.id
            );
            billing
                .mgrctl
                .call(
                    "itemtype.param.value.processing.suspend",
                    &[("elid", &elid), ("plid", &value.id.to_string())],
                )
                .with_context(|| {
                    format!(
                        "detaching {} from the values of {}",
                        value.intname, sync.param
                    )
                })?;
        }
    }
    Ok(None)
}

/// `<doc><config>..</config><param name="ostempl"><add>..</add><detach id="..">..</detach></param>..</doc>`.
fn dry_run_document(module: u64, config: &Element, syncs: &[ValueSync]) -> Element {
    let params = syncs.iter().map(|sync| {
        let add = sync.add.iter().map(|value| Element::new("add").text(value));
        let detach = sync.detach.iter().map(|value| {
            Element::new("detach")
                .attr("id", value.id.to_string())
                .text(&value.intname)
        });
        Element::new("param")
            .attr("name", sync.param)
            .children(add)
            .children(detach)
    });
    Element::new("doc")
        .attr("module", module.to_string())
        .child(Element::new("config").children(config.children.clone()))
        .children(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(id: u64, name: &str) -> ParamValue {
        ParamValue {
            id,
            intname: name.into(),
        }
    }

    #[test]
    fn new_values_are_added_and_vanished_ones_detached() {
        let offered: BTreeSet<String> = ["Debian-12", "Ubuntu-24.04"].map(String::from).into();
        let sync = value_sync(
            "ostempl",
            &offered,
            vec![value(3, "Debian-12"), value(4, "CentOS-7")],
        );
        assert_eq!(
            sync,
            ValueSync {
                param: "ostempl",
                add: vec!["Ubuntu-24.04".into()],
                detach: vec![value(4, "CentOS-7")],
            }
        );
        let settled = value_sync(
            "ostempl",
            &offered,
            vec![value(3, "Debian-12"), value(5, "Ubuntu-24.04")],
        );
        assert!(settled.add.is_empty() && settled.detach.is_empty());
    }

    #[test]
    fn servers_without_owner_are_counted_per_label() {
        let server = |id: u64, configuration: &str, owner: serde_json::Value| -> Server {
            serde_json::from_value(serde_json::json!({
                "id": id, "name": format!("srv-{id}"), "location_id": 1,
                "configuration": configuration, "owner": owner
            }))
            .expect("server")
        };
        let label = "E5-2620-64Gb-2x1024NVMe";
        let taken = serde_json::json!({"id": 57, "email": "a@example.com"});
        let mut free = BTreeMap::new();
        tally(
            &mut free,
            &[
                server(1, label, serde_json::Value::Null),
                server(2, label, taken),
            ],
        );
        tally(
            &mut free,
            &[
                server(3, " ", serde_json::Value::Null),
                server(4, label, serde_json::Value::Null),
            ],
        );
        assert_eq!(
            free.into_iter().collect::<Vec<_>>(),
            [("E5-2620-64Gb-2x1024NVMe".to_string(), 2)]
        );
    }

    #[test]
    fn configurations_become_the_options_of_the_tariff_field() {
        let configurations = vec![
            ConfigurationSummary {
                configuration: "i9-9900K-64Gb-2x1024NVMe".into(),
                free_server_count: 3,
            },
            ConfigurationSummary {
                configuration: String::new(),
                free_server_count: 2,
            },
        ];
        assert_eq!(
            slist(&configurations).to_xml(),
            "<slist name=\"configuration\"><msg key=\"manual\">manual: built from add-ons</msg>\
             <msg key=\"i9-9900K-64Gb-2x1024NVMe\" free=\"3\">i9-9900K-64Gb-2x1024NVMe (3 free)</msg></slist>"
        );
    }
}
