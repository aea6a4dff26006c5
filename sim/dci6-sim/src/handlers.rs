//! One handler per endpoint: reads the request body exactly (unknown or missing fields are a
//! 400), performs the call on the installation and writes the answer.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::actions::{Installation, NewUser, ServerEdit};
use crate::addresses::Family;
use crate::error::ApiError;
use crate::model::{PortStatus, Server};
use crate::query::Record;
use crate::routes::{Endpoint, Params};
use crate::sessions::Subject;
use crate::world::World;

/// A call that passed routing and authentication.
pub struct Call<'a> {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnerBody {
    user: u64,
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
struct ListAnswer<'a, T> {
    list: Vec<&'a T>,
    size: usize,
}

fn list<'a, T: Record + Serialize>(
    params: &Params,
    records: impl IntoIterator<Item = &'a T>,
) -> Result<String, ApiError> {
    let page = params.list_query::<T>()?.apply(records);
    text(&ListAnswer {
        list: page.items,
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

fn started(operation: u64) -> String {
    json!({"operation": {"id": operation}}).to_string()
}

/// The answer's JSON text.
pub fn handle(world: &mut World, call: Call<'_>) -> Result<String, ApiError> {
    use Endpoint as E;
    let now = call.now;
    match &call.endpoint {
        E::Login => {
            let credentials: Credentials = body(&call)?;
            let issued = world.login(&credentials.email, &credentials.password, now)?;
            Ok(json!({"token": issued.token, "expires_at": issued.expires_at}).to_string())
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
            Ok(json!({"key": world.issue_key(user)?}).to_string())
        }
        E::ListServers => list::<Server>(call.params, world.servers.values()),
        E::ShowServer(id) => text(world.server(*id)?),
        E::EditServer(id) => {
            let edit: EditBody = body(&call)?;
            let edit = ServerEdit {
                domain: edit.domain,
                notes: edit.notes,
                maintenance_mode: edit.maintenance_mode,
            };
            world.edit_server(*id, edit).map(|()| done())
        }
        E::ListConfigurations => list(call.params, &world.configurations()),
        E::Power(id, action) => {
            body::<Empty>(&call)?;
            world.power(*id, *action).map(|()| done())
        }
        E::SetOwner(id) => {
            let owner: OwnerBody = body(&call)?;
            world.set_owner(*id, owner.user).map(|()| done())
        }
        E::RemoveOwner(id) => world.remove_owner(*id).map(|()| done()),
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
        E::RemoveIp { server, ip } => world.remove_ip(*server, *ip).map(|()| done()),
        E::InstallOs(id) => {
            let request: OsInstallBody = body(&call)?;
            if request.password.is_empty() {
                return Err(ApiError::bad_request("empty password"));
            }
            let installation = Installation {
                template: request.os_template,
                domain: request.domain,
                scripts: request.scripts,
            };
            world.install_os(*id, installation, now).map(started)
        }
        E::RunDiagnostics(id) => {
            let request: DiagnosticsBody = body(&call)?;
            world
                .run_diagnostics(*id, request.disk_cleanup, now)
                .map(started)
        }
        E::StopOperation(id) => {
            body::<Empty>(&call)?;
            world.stop_operation(*id).map(|()| done())
        }
        E::ListUsers => list(call.params, &world.user_views()),
        E::CreateUser => {
            let request: NewUserBody = body(&call)?;
            let id = world.create_user(NewUser {
                email: request.email,
                password: request.password,
                role: request.role,
            })?;
            Ok(json!({"id": id}).to_string())
        }
        E::ListLocations => list(call.params, world.locations.values()),
        E::ShowLocation(id) => found("location", *id, world.locations.get(id)),
        E::ListRacks => list(call.params, world.racks.values()),
        E::ShowRack(id) => found("rack", *id, world.racks.get(id)),
        E::ListPools => list(call.params, &world.pool_views()),
        E::PoolSettings => text(&world.pool_settings),
        E::ListTemplates => list(call.params, world.templates.values()),
        E::ListScripts => list(call.params, world.scripts.values()),
    }
}
