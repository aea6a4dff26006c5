//! The objects as the platform dialect shows them: the same state as `model.rs`, under the names
//! and in the shapes of ISPsystem's own clients for the platform. Each view borrows the model
//! object and is written straight to JSON, as the default form is.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::addresses::Family;
use crate::model::{
    Access, Diagnostics, Ip, OsTemplate, PowerStatus, RackRef, Server, ServerErrors,
    SwitchConnection, TemplateRef, UserView,
};
use crate::operations::{Operation, OperationStatus};

/// The platform's task vocabulary.
pub fn status_word(status: OperationStatus) -> &'static str {
    match status {
        OperationStatus::Running => "running",
        OperationStatus::Ok => "complete",
        OperationStatus::Failed => "fail",
        OperationStatus::Canceled => "cancel",
    }
}

/// The number the platform gives the task that carries an operation. Distinct from every
/// operation id, so that a client confusing the two is caught.
pub fn task_id(operation: u64) -> u64 {
    operation + TASK_IDS_FROM
}

pub const TASK_IDS_FROM: u64 = 1_000_000;

/// `{"id", "status", "status_info", "progress_info"}`: no `type`, progress as a list of steps.
#[derive(Serialize)]
pub struct OperationView {
    id: u64,
    status: &'static str,
    status_info: Map<String, Value>,
    progress_info: [ProgressStep; 1],
}

#[derive(Serialize)]
struct ProgressStep {
    progress: u8,
}

impl From<&Operation> for OperationView {
    fn from(operation: &Operation) -> OperationView {
        OperationView {
            id: operation.id,
            status: status_word(operation.status),
            status_info: Map::new(),
            progress_info: [ProgressStep {
                progress: operation.progress,
            }],
        }
    }
}

/// An address without `pool`: the documented `ip[]` item has none.
#[derive(Serialize)]
pub struct IpView<'a> {
    id: u64,
    name: &'a str,
    family: Family,
    gateway: &'a Option<String>,
    network: &'a Option<String>,
}

impl<'a> From<&'a Ip> for IpView<'a> {
    fn from(ip: &'a Ip) -> IpView<'a> {
        IpView {
            id: ip.id,
            name: &ip.name,
            family: ip.family,
            gateway: &ip.gateway,
            network: &ip.network,
        }
    }
}

/// A server with no `owner` object (only `owner_email`) and `comment` for the notes. Read by id
/// it leaves out its associated objects (`ip`, `switch_connection`), as the platform documents
/// for reads by id; the list shows them.
#[derive(Serialize)]
pub struct ServerView<'a> {
    id: u64,
    name: &'a str,
    domain: &'a str,
    location_id: u64,
    rack: &'a Option<RackRef>,
    configuration: &'a str,
    owner_email: Option<&'a str>,
    is_new: bool,
    diagnostics: &'a Diagnostics,
    operation: Option<OperationView>,
    maintenance_mode: bool,
    in_operation: bool,
    power_status: PowerStatus,
    mac_addresses: &'a [String],
    errors: &'a ServerErrors,
    os_template: &'a Option<TemplateRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<Vec<IpView<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    switch_connection: Option<&'a [SwitchConnection]>,
    comment: &'a str,
}

impl<'a> ServerView<'a> {
    /// As a list shows it: everything.
    pub fn listed(server: &'a Server) -> ServerView<'a> {
        ServerView::new(server, true)
    }

    /// As a read by id shows it: without the associated objects.
    pub fn by_id(server: &'a Server) -> ServerView<'a> {
        ServerView::new(server, false)
    }

    fn new(server: &'a Server, associated: bool) -> ServerView<'a> {
        ServerView {
            id: server.id,
            name: &server.name,
            domain: &server.domain,
            location_id: server.location_id,
            rack: &server.rack,
            configuration: &server.configuration,
            owner_email: server.owner_email(),
            is_new: server.is_new,
            diagnostics: &server.diagnostics,
            operation: server.operation.as_ref().map(OperationView::from),
            maintenance_mode: server.maintenance_mode,
            in_operation: server.in_operation,
            power_status: server.power_status,
            mac_addresses: &server.mac_addresses,
            errors: &server.errors,
            os_template: &server.os_template,
            ip: associated.then(|| server.ip.iter().map(IpView::from).collect()),
            switch_connection: associated.then_some(server.switch_connection.as_slice()),
            comment: &server.notes,
        }
    }
}

/// A user whose `roles` is an array: `["@user"]`.
#[derive(Serialize)]
pub struct UserListView<'a> {
    id: u64,
    email: &'a str,
    server_count: u64,
    roles: Vec<&'a str>,
}

impl<'a> From<&'a UserView> for UserListView<'a> {
    fn from(user: &'a UserView) -> UserListView<'a> {
        UserListView {
            id: user.id,
            email: &user.email,
            server_count: user.server_count,
            roles: user
                .roles
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split(',')
                .map(str::trim)
                .filter(|role| !role.is_empty())
                .collect(),
        }
    }
}

/// A template marked admin-only by a boolean.
#[derive(Serialize)]
pub struct TemplateView<'a> {
    id: u64,
    name: &'a str,
    adminonly: bool,
    location_id: u64,
}

impl<'a> From<&'a OsTemplate> for TemplateView<'a> {
    fn from(template: &'a OsTemplate) -> TemplateView<'a> {
        TemplateView {
            id: template.id,
            name: &template.name,
            adminonly: template.access == Access::Admin,
            location_id: template.location_id,
        }
    }
}
