//! One handler per endpoint: reads the request body exactly (unknown or missing fields are a
//! 400), performs the call on the installation and writes the answer.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::actions::{Installation, NewUser, ServerEdit};
use crate::addresses::Family;
use crate::dialect::Dialect;
use crate::error::ApiError;
use crate::model::{PortStatus, Server};
use crate::platform::{IpView, ServerView, TemplateView, UserListView, task_id};
use crate::query::Record;
use crate::routes::{Endpoint, Params};
use crate::sessions::Subject;
use crate::world::World;

/// A call that passed routing and authentication.
pub struct Call<'a> {
    pub dialect: Dialect,
    pub endpoint: Endpoint,
    pub params: &'a Params,
    /// The raw body; POST bodies must be a JSON object.
    pub body: &'a str,
    /// `None` only for public endpoints.
    pub caller: Option<Subject>,
    pub now: Instant,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyBody {
    key: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUserBody {
    email: String,
    password: String,
    role: String,
    #[serde(rename = "full_name")]
    _full_name: Option<String>,
    #[serde(rename = "phone_number")]
    _phone_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditBody {
    domain: Option<String>,
    notes: Option<String>,
    maintenance_mode: Option<bool>,
}

/// Platform: `comment` for the notes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlatformEditBody {
    domain: Option<String>,
    comment: Option<String>,
    maintenance_mode: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnerBody {
    user: u64,
}

/// Platform: `{"account": <user id>}` sets the owner, `{"account": null}` removes it; the field
/// itself is required.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountBody {
    #[serde(deserialize_with = "Option::deserialize")]
    account: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PortBody {
    admin_status: PortStatus,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddIpsBody {
    pool: u64,
    family: Family,
    count: usize,
}

/// Platform: one family per call, each given as a list of exactly one pool and a count.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyIpsBody {
    ipv4_pool: Option<Vec<u64>>,
    ipv4_number: Option<usize>,
    ipv6_pool: Option<Vec<u64>>,
    ipv6_number: Option<usize>,
}

impl FamilyIpsBody {
    /// The pool, family and count asked for.
    fn request(self) -> Result<(u64, Family, usize), ApiError> {
        let (family, pools, number, other_number) = match (self.ipv4_pool, self.ipv6_pool) {
            (Some(pools), None) => (Family::Ipv4, pools, self.ipv4_number, self.ipv6_number),
            (None, Some(pools)) => (Family::Ipv6, pools, self.ipv6_number, self.ipv4_number),
            _ => {
                return Err(ApiError::bad_request(
                    "give either ipv4_pool and ipv4_number or ipv6_pool and ipv6_number",
                ));
            }
        };
        if other_number.is_some() {
            return Err(ApiError::bad_request("one address family per call"));
        }
        let number = number.ok_or_else(|| {
            ApiError::bad_request(format!("{}_number is missing", family.as_str()))
        })?;
        match pools.as_slice() {
            [pool] => Ok((*pool, family, number)),
            _ => Err(ApiError::bad_request(format!(
                "{}_pool must list exactly one pool",
                family.as_str()
            ))
            .with_value(pools)),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OsInstallBody {
    os_template: u64,
    password: String,
    domain: String,
    #[serde(default)]
    scripts: Vec<u64>,
    #[serde(default, rename = "ssh_keys")]
    _ssh_keys: Vec<String>,
}

/// Platform: `os` for the template, scripts as `recipe_list`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReinstallBody {
    os: u64,
    password: String,
    domain: String,
    #[serde(default)]
    recipe_list: Vec<RecipeRef>,
    #[serde(default, rename = "ssh_keys")]
    _ssh_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipeRef {
    recipe: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiagnosticsBody {
    disk_cleanup: bool,
}

fn body<T: DeserializeOwned>(call: &Call<'_>) -> Result<T, ApiError> {
    let value: Value = serde_json::from_str(call.body)
        .map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    serde_json::from_value(value).map_err(|e| ApiError::bad_request(format!("bad body: {e}")))
}

/// The answer's JSON text, written straight from the objects: a page of a thousand servers
/// costs no intermediate JSON tree.
fn text(value: &impl Serialize) -> Result<String, ApiError> {
    serde_json::to_string(value)
        .map_err(|e| ApiError::new(500, format!("encoding the answer: {e}")))
}

#[derive(Serialize)]
struct ListAnswer<V> {
    list: Vec<V>,
    size: usize,
}

/// One page of `records`, each written as `view` shows it.
fn list<'a, T: Record, V: Serialize>(
    call: &Call<'_>,
    records: impl IntoIterator<Item = &'a T>,
    view: impl Fn(&'a T) -> V,
) -> Result<String, ApiError> {
    let page = call.params.list_query::<T>(call.dialect)?.apply(records);
    text(&ListAnswer {
        list: page.items.into_iter().map(view).collect(),
        size: page.size,
    })
}

fn found<T: Serialize>(what: &str, id: u64, object: Option<&T>) -> Result<String, ApiError> {
    match object {
        Some(object) => text(object),
        None => Err(ApiError::not_found(format!("{what} {id} not found")).with_value(id)),
    }
}

fn done() -> String {
    "{}".to_string()
}

/// The answer of a call that started an operation.
fn started(dialect: Dialect) -> impl Fn(u64) -> String {
    move |operation| match dialect {
        Dialect::Default => json!({"operation": {"id": operation}}).to_string(),
        Dialect::Platform => json!({"id": operation, "task": task_id(operation)}).to_string(),
    }
}

/// The installation asked for: the password is only checked, never kept.
fn installation(
    template: u64,
    password: &str,
    domain: String,
    scripts: Vec<u64>,
) -> Result<Installation, ApiError> {
    if password.is_empty() {
        return Err(ApiError::bad_request("empty password"));
    }
    Ok(Installation {
        template,
        domain,
        scripts,
    })
}

/// The answer's JSON text.
pub fn handle(world: &mut World, call: Call<'_>) -> Result<String, ApiError> {
    use Endpoint as E;
    let now = call.now;
    match &call.endpoint {
        E::Login => {
            let credentials: Credentials = body(&call)?;
            let issued = world.login(&credentials.email, &credentials.password, now)?;
            Ok(match call.dialect {
                Dialect::Default => json!({"token": issued.token, "expires_at": issued.expires_at}),
                Dialect::Platform => json!({"token": issued.token}),
            }
            .to_string())
        }
        E::KeyLogin => {
            let key: KeyBody = body(&call)?;
            Ok(json!({"token": world.key_login(&key.key, now)?}).to_string())
        }
        E::RevokeToken(token) => {
            let caller = call
                .caller
                .ok_or_else(|| ApiError::unauthorized("no session"))?;
            world.revoke_token(caller, token, now)?;
            Ok(done())
        }
        E::UserKey(user) => {
            body::<Empty>(&call)?;
            let (id, key) = world.issue_key(user)?;
            Ok(match call.dialect {
                Dialect::Default => json!({"key": key}),
                Dialect::Platform => json!({"id": id.to_string(), "key": key}),
            }
            .to_string())
        }
        E::ListServers => match call.dialect {
            Dialect::Default => list(&call, world.servers.values(), |s: &Server| s),
            Dialect::Platform => list(&call, world.servers.values(), ServerView::listed),
        },
        E::ShowServer(id) => {
            let server = world.server(*id)?;
            match call.dialect {
                Dialect::Default => text(server),
                Dialect::Platform => text(&ServerView::by_id(server)),
            }
        }
        E::EditServer(id) => {
            let edit = match call.dialect {
                Dialect::Default => {
                    let edit: EditBody = body(&call)?;
                    ServerEdit {
                        domain: edit.domain,
                        notes: edit.notes,
                        maintenance_mode: edit.maintenance_mode,
                    }
                }
                Dialect::Platform => {
                    let edit: PlatformEditBody = body(&call)?;
                    ServerEdit {
                        domain: edit.domain,
                        notes: edit.comment,
                        maintenance_mode: edit.maintenance_mode,
                    }
                }
            };
            world.edit_server(*id, edit).map(|()| done())
        }
        E::ListConfigurations => list(&call, &world.configurations(), |c| c),
        E::Power(id, action) => {
            body::<Empty>(&call)?;
            world.power(*id, *action).map(|()| done())
        }
        E::SetOwner(id) => {
            let owner: OwnerBody = body(&call)?;
            world.set_owner(*id, owner.user).map(|()| done())
        }
        E::RemoveOwner(id) => world.remove_owner(*id).map(|()| done()),
        E::SetAccount(id) => match body::<AccountBody>(&call)?.account {
            Some(user) => world.set_owner(*id, user).map(|()| done()),
            None => world.remove_owner(*id).map(|()| done()),
        },
        E::SetPort { server, connection } => {
            let port: PortBody = body(&call)?;
            world
                .set_port(*server, *connection, port.admin_status)
                .map(|()| done())
        }
        E::AddIps(id) => {
            let request: AddIpsBody = body(&call)?;
            let added = world.add_ips(*id, request.pool, request.family, request.count)?;
            text(&BTreeMap::from([("ip", added)]))
        }
        E::AddIpsByFamily(id) => {
            let (pool, family, count) = body::<FamilyIpsBody>(&call)?.request()?;
            let added = world.add_ips(*id, pool, family, count)?;
            let added: Vec<IpView<'_>> = added.iter().map(IpView::from).collect();
            text(&BTreeMap::from([("ip", added)]))
        }
        E::RemoveIp { server, ip } => world.remove_ip(*server, *ip).map(|()| done()),
        E::DeleteIp(ip) => {
            let server = world.server_of_ip(*ip)?;
            world.remove_ip(server, *ip).map(|()| done())
        }
        E::InstallOs(id) => {
            let request: OsInstallBody = body(&call)?;
            let installation = installation(
                request.os_template,
                &request.password,
                request.domain,
                request.scripts,
            )?;
            world
                .install_os(*id, installation, now)
                .map(started(call.dialect))
        }
        E::Reinstall(id) => {
            let request: ReinstallBody = body(&call)?;
            let scripts = request.recipe_list.iter().map(|r| r.recipe).collect();
            let installation =
                installation(request.os, &request.password, request.domain, scripts)?;
            world
                .install_os(*id, installation, now)
                .map(started(call.dialect))
        }
        E::RunDiagnostics(id) => {
            let request: DiagnosticsBody = body(&call)?;
            world
                .run_diagnostics(*id, request.disk_cleanup, now)
                .map(started(call.dialect))
        }
        E::StopOperation(id) => {
            body::<Empty>(&call)?;
            world.stop_operation(*id).map(|()| done())
        }
        E::ListUsers => {
            let users = world.user_views();
            match call.dialect {
                Dialect::Default => list(&call, &users, |u| u),
                Dialect::Platform => list(&call, &users, UserListView::from),
            }
        }
        E::CreateUser => {
            let request: NewUserBody = body(&call)?;
            let id = world.create_user(NewUser {
                email: request.email,
                password: request.password,
                role: request.role,
            })?;
            Ok(json!({"id": id}).to_string())
        }
        E::ListLocations => list(&call, world.locations.values(), |l| l),
        E::ShowLocation(id) => found("location", *id, world.locations.get(id)),
        E::ListRacks => list(&call, world.racks.values(), |r| r),
        E::ShowRack(id) => found("rack", *id, world.racks.get(id)),
        E::ListPools => list(&call, &world.pool_views(), |p| p),
        E::PoolSettings => text(&world.pool_settings),
        E::ListTemplates => match call.dialect {
            Dialect::Default => list(&call, world.templates.values(), |t| t),
            Dialect::Platform => list(&call, world.templates.values(), TemplateView::from),
        },
        E::ListScripts => list(&call, world.scripts.values(), |s| s),
        E::ListTraffic => list(&call, world.traffic.days(), |t| t),
    }
}
