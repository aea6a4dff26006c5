//! What each call of the contract does to the installation (spec §2, §3.3, §4), with its
//! refusals: 400 for a request naming something that does not fit, 404 for an unknown object in
//! the path, 409 for a conflict with the current state.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::addresses::Family;
use crate::error::ApiError;
use crate::model::{Ip, Owner, PortStatus, PowerStatus, Server, TemplateRef, User};
use crate::operations::OperationKind;
use crate::sessions::{IssuedToken, Subject};
use crate::world::World;

/// The user that wins the owner races staged by fault injection.
pub const RIVAL_EMAIL: &str = "rival@dci6-sim.invalid";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    On,
    Off,
    Reset,
}

/// The fields of `POST /api/dci/v3/server/<id>`; absent ones stay as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerEdit {
    pub domain: Option<String>,
    pub notes: Option<String>,
    pub maintenance_mode: Option<bool>,
}

/// An OS installation as requested; the password and keys only need to be present.
#[derive(Debug, Clone, PartialEq)]
pub struct Installation {
    pub template: u64,
    pub domain: String,
    pub scripts: Vec<u64>,
}

/// A new user account as requested.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub email: String,
    pub password: String,
    pub role: String,
}

fn find(servers: &mut BTreeMap<u64, Server>, id: u64) -> Result<&mut Server, ApiError> {
    servers
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(format!("server {id} not found")).with_value(id))
}

/// 409 while an operation runs on the server.
fn ensure_idle(server: &Server) -> Result<(), ApiError> {
    match server.running_operation() {
        Some(operation) => Err(ApiError::conflict(format!(
            "server {} is busy with operation {}",
            server.id, operation.id
        ))
        .with_value(operation.id)),
        None => Ok(()),
    }
}

impl World {
    pub fn login(
        &mut self,
        email: &str,
        password: &str,
        now: Instant,
    ) -> Result<IssuedToken, ApiError> {
        let subject = if email == self.admin.email && password == self.admin.password {
            Some(Subject::Admin)
        } else {
            self.users
                .values()
                .find(|u| u.email == email && u.password.as_deref() == Some(password))
                .map(|u| Subject::User(u.id))
        };
        let subject =
            subject.ok_or_else(|| ApiError::unauthorized("invalid e-mail or password"))?;
        Ok(self.sessions.issue(subject, now))
    }

    pub fn key_login(&mut self, key: &str, now: Instant) -> Result<String, ApiError> {
        let user = self
            .sessions
            .redeem_key(key)
            .filter(|user| self.users.contains_key(user))
            .ok_or_else(|| ApiError::unauthorized("invalid or used key"))?;
        Ok(self.sessions.issue(Subject::User(user), now).token)
    }

    pub fn authenticate(&mut self, token: &str, now: Instant) -> Option<Subject> {
        self.sessions.authenticate(token, now)
    }

    pub fn is_admin(&self, subject: Subject) -> bool {
        match subject {
            Subject::Admin => true,
            Subject::User(id) => self.users.get(&id).is_some_and(User::is_admin),
        }
    }

    /// An administrator may end any session, a user only their own.
    pub fn revoke_token(
        &mut self,
        caller: Subject,
        token: &str,
        now: Instant,
    ) -> Result<(), ApiError> {
        let holder = self
            .sessions
            .holder(token, now)
            .ok_or_else(|| ApiError::not_found("no such session"))?;
        if holder != caller && !self.is_admin(caller) {
            return Err(ApiError::forbidden("not your session"));
        }
        self.sessions.revoke(token);
        Ok(())
    }

    /// `user` is an id or an e-mail.
    /// The user's id and the key.
    pub fn issue_key(&mut self, user: &str) -> Result<(u64, String), ApiError> {
        let found = match user.parse::<u64>() {
            Ok(id) => self.users.get(&id),
            Err(_) => self.users.values().find(|u| u.email == user),
        };
        let id = found
            .map(|u| u.id)
            .ok_or_else(|| ApiError::not_found("user not found").with_value(user))?;
        Ok((id, self.sessions.issue_key(id)))
    }

    pub fn create_user(&mut self, new: NewUser) -> Result<u64, ApiError> {
        if !new.email.contains('@') {
            return Err(ApiError::bad_request("invalid e-mail").with_value(new.email));
        }
        if new.password.is_empty() {
            return Err(ApiError::bad_request("empty password"));
        }
        if new.role != "@user" && new.role != "@admin" {
            return Err(ApiError::bad_request("role must be @user or @admin").with_value(new.role));
        }
        if new.email == self.admin.email || self.users.values().any(|u| u.email == new.email) {
            return Err(ApiError::conflict("a user with this e-mail exists").with_value(new.email));
        }
        Ok(self.add_user(new.email, Some(new.password), format!("[{}]", new.role)))
    }

    fn add_user(&mut self, email: String, password: Option<String>, roles: String) -> u64 {
        let id = self.users.keys().next_back().map_or(1, |last| last + 1);
        self.users.insert(
            id,
            User {
                id,
                email,
                password,
                roles,
            },
        );
        id
    }

    pub fn power(&mut self, id: u64, action: PowerAction) -> Result<(), ApiError> {
        let server = find(&mut self.servers, id)?;
        server.power_status = match action {
            PowerAction::On => PowerStatus::On,
            PowerAction::Off => {
                ensure_idle(server)?;
                PowerStatus::Off
            }
            PowerAction::Reset => {
                ensure_idle(server)?;
                PowerStatus::On
            }
        };
        Ok(())
    }

    pub fn set_owner(&mut self, id: u64, user: u64) -> Result<(), ApiError> {
        self.server(id)?;
        let owner = self
            .users
            .get(&user)
            .map(|u| Owner {
                id: u.id,
                email: u.email.clone(),
            })
            .ok_or_else(|| {
                ApiError::bad_request(format!("user {user} not found")).with_value(user)
            })?;
        if self.claims_to_steal > 0 {
            self.claims_to_steal -= 1;
            self.steal(id);
        }
        let server = find(&mut self.servers, id)?;
        ensure_idle(server)?;
        if server.owner().is_some() {
            return Err(
                ApiError::conflict(format!("server {id} already has an owner")).with_value(id),
            );
        }
        server.set_owner(Some(owner));
        Ok(())
    }

    /// Another user takes the server first, as in a lost race.
    fn steal(&mut self, id: u64) {
        let existing = self.users.values().find(|u| u.email == RIVAL_EMAIL);
        let rival = match existing {
            Some(user) => user.id,
            None => self.add_user(RIVAL_EMAIL.into(), None, "[@user]".into()),
        };
        if let Some(server) = self.servers.get_mut(&id)
            && server.owner().is_none()
            && server.running_operation().is_none()
        {
            server.set_owner(Some(Owner {
                id: rival,
                email: RIVAL_EMAIL.into(),
            }));
        }
    }

    pub fn remove_owner(&mut self, id: u64) -> Result<(), ApiError> {
        let server = find(&mut self.servers, id)?;
        ensure_idle(server)?;
        if server.owner().is_none() {
            return Err(ApiError::conflict(format!("server {id} has no owner")).with_value(id));
        }
        server.set_owner(None);
        Ok(())
    }

    pub fn edit_server(&mut self, id: u64, edit: ServerEdit) -> Result<(), ApiError> {
        let server = find(&mut self.servers, id)?;
        if let Some(domain) = edit.domain {
            server.domain = domain;
        }
        if let Some(notes) = edit.notes {
            server.notes = notes;
        }
        if let Some(maintenance_mode) = edit.maintenance_mode {
            server.maintenance_mode = maintenance_mode;
        }
        Ok(())
    }

    /// The link follows the port's administrative state.
    pub fn set_port(
        &mut self,
        id: u64,
        connection: u64,
        status: PortStatus,
    ) -> Result<(), ApiError> {
        let server = find(&mut self.servers, id)?;
        let port = server
            .switch_connection
            .iter_mut()
            .find(|c| c.id == connection)
            .ok_or_else(|| {
                ApiError::not_found(format!("server {id} has no switch connection {connection}"))
                    .with_value(connection)
            })?;
        port.admin_status = status;
        port.oper_status = status;
        Ok(())
    }

    pub fn add_ips(
        &mut self,
        id: u64,
        pool: u64,
        family: Family,
        count: usize,
    ) -> Result<Vec<Ip>, ApiError> {
        self.server(id)?;
        if count == 0 {
            return Err(ApiError::bad_request("count must be at least 1"));
        }
        let found = self.pools.get(&pool).ok_or_else(|| {
            ApiError::bad_request(format!("pool {pool} not found")).with_value(pool)
        })?;
        let subnet = found.subnet(family).ok_or_else(|| {
            ApiError::bad_request(format!("pool {pool} has no {} network", family.as_str()))
                .with_value(pool)
        })?;
        if family == Family::Ipv4 && !self.pool_settings.allocation.contains(&pool) {
            return Err(
                ApiError::bad_request(format!("pool {pool} is not an allocation pool"))
                    .with_value(pool),
            );
        }
        let server = find(&mut self.servers, id)?;
        ensure_idle(server)?;
        let addresses = self.addresses.next_free(subnet, count).ok_or_else(|| {
            ApiError::conflict(format!(
                "pool {pool} has fewer than {count} free {} addresses",
                family.as_str()
            ))
            .with_value(pool)
        })?;
        let mut added = Vec::with_capacity(count);
        for address in addresses {
            let ip = Ip {
                id: self.next_ip_id,
                name: address.to_string(),
                family,
                gateway: Some(subnet.gateway.to_string()),
                network: Some(subnet.network.to_string()),
                pool: Some(pool),
                address,
            };
            self.next_ip_id += 1;
            self.ip_ids.insert(ip.id);
            self.addresses.take(address);
            server.ip.push(ip.clone());
            added.push(ip);
        }
        Ok(added)
    }

    /// The server holding the address: the platform names an address without its server.
    pub fn server_of_ip(&self, ip: u64) -> Result<u64, ApiError> {
        self.servers
            .values()
            .find(|s| s.ip.iter().any(|a| a.id == ip))
            .map(|s| s.id)
            .ok_or_else(|| ApiError::not_found(format!("address {ip} not found")).with_value(ip))
    }

    pub fn remove_ip(&mut self, id: u64, ip: u64) -> Result<(), ApiError> {
        let server = find(&mut self.servers, id)?;
        let index = server.ip.iter().position(|a| a.id == ip).ok_or_else(|| {
            ApiError::not_found(format!("server {id} has no address {ip}")).with_value(ip)
        })?;
        ensure_idle(server)?;
        let removed = server.ip.remove(index);
        self.addresses.release(&removed.address);
        self.ip_ids.remove(&removed.id);
        Ok(())
    }

    pub fn install_os(
        &mut self,
        id: u64,
        installation: Installation,
        now: Instant,
    ) -> Result<u64, ApiError> {
        let location = self.server(id)?.location_id;
        let template = self
            .templates
            .get(&installation.template)
            .filter(|t| t.location_id == location)
            .map(|t| TemplateRef {
                id: t.id,
                name: t.name.clone(),
            })
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "OS template {} not found in location {location}",
                    installation.template
                ))
                .with_value(installation.template)
            })?;
        if let Some(unknown) = installation
            .scripts
            .iter()
            .find(|s| !self.scripts.contains_key(s))
        {
            return Err(
                ApiError::bad_request(format!("script {unknown} not found")).with_value(*unknown)
            );
        }
        let server = find(&mut self.servers, id)?;
        ensure_idle(server)?;
        let kind = OperationKind::OsInstall {
            template: Some(template),
            domain: Some(installation.domain),
        };
        Ok(self.operations.start(server, kind, now))
    }

    pub fn run_diagnostics(
        &mut self,
        id: u64,
        disk_cleanup: bool,
        now: Instant,
    ) -> Result<u64, ApiError> {
        let server = find(&mut self.servers, id)?;
        ensure_idle(server)?;
        let kind = OperationKind::Diagnostics { disk_cleanup };
        Ok(self.operations.start(server, kind, now))
    }

    /// Nothing to stop is not an error: the operation may have just ended.
    pub fn stop_operation(&mut self, id: u64) -> Result<(), ApiError> {
        let server = find(&mut self.servers, id)?;
        self.operations.stop(server);
        Ok(())
    }
}
