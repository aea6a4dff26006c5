//! What the customer ordered, read from BILLmanager: the hardware (tariff configuration or
//! addons), the IP counts, the OS template, scripts, domain and root password.

use anyhow::{Context, Result};

use super::service::{Billing, Service};
use crate::dci::api::{Access, OsTemplate, Script};
use crate::dci::client::Client;
use crate::protocol::error::{ErrorKind, ModuleError, fail};
use crate::provision::domain;
use crate::provision::order::Order;

pub struct Ordered {
    pub order: Order,
    /// `ostempl`: the DCImanager template name.
    pub template: String,
    /// `recipe`: script names.
    pub recipes: Vec<String>,
    /// The order's `domain`, else the tariff's template `freedomain` filled in.
    pub domain: Option<String>,
    /// `userpassword` when the order carries one.
    pub root_password: Option<String>,
}

pub fn read(billing: &mut Billing, service: &Service) -> Result<Ordered> {
    let item = service.id();
    let object = format!("item {item}");
    let tariff = billing.db.pricelist_params(service.item.pricelist)?;
    let order = order_of(billing, service, &tariff)?;
    let param = |name: &str| {
        service
            .params
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let Some(template) = param("ostempl") else {
        return fail(
            ErrorKind::Item,
            object,
            format!(
                "item {item} has no operating system (param ostempl): a server cannot be issued without one"
            ),
        );
    };
    let recipes = param("recipe")
        .map(|r| {
            r.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let crypted = billing.db.item_crypted_params(item, &billing.key)?;
    let root_password = crypted
        .get("userpassword")
        .filter(|p| !p.is_empty())
        .cloned();
    if let Some(password) = &root_password {
        crate::billmgr::logging::register_secret(password);
    }
    let domain = match param("domain") {
        Some(domain) => Some(domain),
        None => templated_domain(billing, service, tariff.get("freedomain"))?,
    };
    Ok(Ordered {
        order,
        template,
        recipes,
        domain,
        root_password,
    })
}

/// The tariff's `freedomain` filled for the service; a template that gives no host name is
/// logged and left out, so the server keeps its own domain.
fn templated_domain(
    billing: &mut Billing,
    service: &Service,
    template: Option<&String>,
) -> Result<Option<String>> {
    let Some(template) = template.map(|t| t.trim()).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let login = billing
        .db
        .account_login(service.item.account)?
        .unwrap_or_default();
    let item = service.id();
    let domain = domain::from_template(template, &login, &service.item.itemtype, item);
    match &domain {
        Some(domain) => {
            log::info!("item {item}: domain {domain} from the tariff's template {template}")
        }
        None => log::warn!(
            "item {item}: the tariff's domain template '{template}' gives no valid host name for login '{login}'; the server keeps its own domain"
        ),
    }
    Ok(domain)
}

/// The hardware and the IP counts the item's tariff and add-ons ask for now.
pub fn read_order(billing: &mut Billing, service: &Service) -> Result<Order> {
    let tariff = billing.db.pricelist_params(service.item.pricelist)?;
    order_of(billing, service, &tariff)
}

fn order_of(
    billing: &mut Billing,
    service: &Service,
    tariff: &std::collections::BTreeMap<String, String>,
) -> Result<Order> {
    let item = service.id();
    let configuration = tariff
        .get("configuration")
        .map(String::as_str)
        .unwrap_or("");
    let addons = billing.db.item_addons(item)?;
    let measures = billing.db.measures()?;
    Order::read(configuration, &addons, &measures).map_err(|err| {
        ModuleError::new(
            ErrorKind::Item,
            format!("item {item}"),
            format!(
                "the order of item {item} (tariff {}): {err}",
                service.item.pricelist
            ),
        )
        .into()
    })
}

/// The template and scripts of the order as DCImanager knows them; only those with access
/// "all" may be sold.
pub struct Software {
    pub template: OsTemplate,
    pub scripts: Vec<Script>,
}

pub fn resolve_software(client: &Client, location: u64, ordered: &Ordered) -> Result<Software> {
    let templates = client
        .os_templates(location)
        .context("listing OS templates")?;
    let template = templates
        .into_iter()
        .find(|t| t.name == ordered.template && t.access == Access::All && t.location_id == location)
        .ok_or_else(|| {
            ModuleError::new(
                ErrorKind::NoTemplate,
                format!("template {}", ordered.template),
                format!(
                    "OS template '{}' is not offered in DCImanager location {location} (no template of that name with access All); \
                     add it in DCImanager or remove it from the tariff",
                    ordered.template
                ),
            )
        })?;
    let all_scripts = if ordered.recipes.is_empty() {
        Vec::new()
    } else {
        client.scripts().context("listing scripts")?
    };
    let scripts = ordered
        .recipes
        .iter()
        .map(|name| {
            all_scripts.iter().find(|s| &s.name == name && s.access == Access::All).cloned().ok_or_else(|| {
                ModuleError::new(
                    ErrorKind::NoTemplate,
                    format!("script {name}"),
                    format!("script '{name}' ordered as a recipe does not exist in DCImanager with access All"),
                )
                .into()
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Software { template, scripts })
}
