//! The steps of an open still to do on a server, judged from the server's real state (DESIGN §2
//! "open, step by step", steps 6 to 10).
//!
//! The same function plans a fresh claim and a retry after a failure, a timeout or a kill: each
//! step is left out when the server shows it done, so a retry never takes a second server, never
//! changes IPs already given (it only adds the missing count) and never reinstalls a finished
//! server. A plan assumes its steps succeed; after a wait, plan again from the server as read at
//! the end of the wait.

use std::fmt;

use super::install::{InstallRecord, InstallState, install_state};
use super::ownership::{self, Holder, ItemNote, NotOwned, not_owned};
use super::server_state::{self, id_list};
use crate::dci::api::{IpFamily, PortStatus, PowerStatus, Server};

/// What the open wants of the server.
#[derive(Debug, Clone, Copy)]
pub struct OpenTarget<'a> {
    pub holder: &'a Holder,
    /// The item's `serverid` param, when saved.
    pub saved_server_id: Option<u64>,
    pub ip_v4: u32,
    pub ip_v6: u32,
    /// The ordered OS template name (`ostempl`).
    pub template: &'a str,
    /// The item's own install, see [`InstallRecord`].
    pub install: InstallRecord,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenStep {
    /// Another operation (not an install) is running, and DCImanager refuses owner, IP and
    /// install changes meanwhile: wait for it, then plan again.
    WaitOperation,
    /// Set the owner to the customer's DCImanager user (created by e-mail when missing); then
    /// read the server back and check the claim ([`super::availability::verify_claim`]).
    ClaimOwner,
    /// Write [`ownership::item_note`] into the notes.
    SetNotes,
    /// `service.saveparam serverid`, at once, so that a retry finds this server.
    SaveServerId,
    /// Add this many IPv4 addresses from the chosen pool.
    AddIpv4(u32),
    /// Add this many IPv6 addresses from the same pool.
    AddIpv6(u32),
    /// Switch ports (not IPMI) to bring up.
    EnablePorts(Vec<u64>),
    PowerOn,
    /// Start `os_install` with the ordered template.
    InstallOs,
    WaitInstall,
    /// The item's install failed: release what open took and hand the service to staff.
    InstallFailed,
    /// Save `ip`, `username`, `userpassword`, then `service.postopen`.
    Finish,
}

impl fmt::Display for OpenStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenStep::WaitOperation => f.write_str("wait for the running operation"),
            OpenStep::ClaimOwner => f.write_str("set the owner"),
            OpenStep::SetNotes => f.write_str("mark the notes with the item"),
            OpenStep::SaveServerId => f.write_str("save serverid"),
            OpenStep::AddIpv4(count) => write!(f, "add {count} IPv4 address(es)"),
            OpenStep::AddIpv6(count) => write!(f, "add {count} IPv6 address(es)"),
            OpenStep::EnablePorts(ports) => write!(f, "enable switch ports {}", id_list(ports)),
            OpenStep::PowerOn => f.write_str("power on"),
            OpenStep::InstallOs => f.write_str("install the OS"),
            OpenStep::WaitInstall => f.write_str("wait for the install"),
            OpenStep::InstallFailed => f.write_str("release the server after the failed install"),
            OpenStep::Finish => f.write_str("save the service params and report the service open"),
        }
    }
}

/// The steps left to open `target` on `server`. Refuses a server that belongs to someone else:
/// another owner, another item's notes (the same customer may hold several servers), or a close
/// of this item in progress.
pub fn open_plan(server: &Server, target: &OpenTarget) -> Result<Vec<OpenStep>, NotOwned> {
    let holder = target.holder;
    let owned = ownership::owned_by_holder(server, holder)?;
    let note = ItemNote::read(&server.notes);
    match note {
        Some(note) if note.item != holder.item => {
            return Err(not_owned(format!(
                "the notes of server {} name item {}, not item {}",
                server.name, note.item, holder.item
            )));
        }
        _ => {}
    }
    if let Some(closing) = ownership::close_in_progress(server, holder.item) {
        return Err(closing);
    }

    let install = install_state(server, target.install, target.template);
    if let InstallState::Failed { .. } = install {
        return Ok(vec![OpenStep::InstallFailed]);
    }
    let installing = matches!(install, InstallState::Running { .. });
    let mut steps = Vec::new();
    if server_state::running_operation(server).is_some() && !installing {
        steps.push(OpenStep::WaitOperation);
    }
    if !owned {
        steps.push(OpenStep::ClaimOwner);
    }
    if note.is_none() {
        steps.push(OpenStep::SetNotes);
    }
    if target.saved_server_id != Some(server.id) {
        steps.push(OpenStep::SaveServerId);
    }
    let missing_v4 = target
        .ip_v4
        .saturating_sub(server_state::ip_count(server, IpFamily::Ipv4));
    if missing_v4 > 0 {
        steps.push(OpenStep::AddIpv4(missing_v4));
    }
    let missing_v6 = target
        .ip_v6
        .saturating_sub(server_state::ip_count(server, IpFamily::Ipv6));
    if missing_v6 > 0 {
        steps.push(OpenStep::AddIpv6(missing_v6));
    }
    let ports = server_state::ports_to_set(server, PortStatus::Up);
    if !ports.is_empty() {
        steps.push(OpenStep::EnablePorts(ports));
    }
    if !installing && server.power_status == PowerStatus::Off {
        steps.push(OpenStep::PowerOn);
    }
    match install {
        InstallState::Needed => steps.extend([OpenStep::InstallOs, OpenStep::WaitInstall]),
        InstallState::Running { .. } => steps.push(OpenStep::WaitInstall),
        InstallState::Done { .. } | InstallState::Failed { .. } => {}
    }
    steps.push(OpenStep::Finish);
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dci::api::OperationStatus;
    use crate::provision::testing::{available, holder, ip, operation, owned, port};

    fn plan(
        server: &Server,
        saved: Option<u64>,
        ip_v4: u32,
        ip_v6: u32,
    ) -> Result<Vec<OpenStep>, NotOwned> {
        plan_with(server, saved, ip_v4, ip_v6, InstallRecord::NotStarted)
    }

    /// As after our own install request, operation 89.
    fn plan_started(server: &Server, ip_v4: u32) -> Result<Vec<OpenStep>, NotOwned> {
        plan_with(
            server,
            Some(1),
            ip_v4,
            0,
            InstallRecord::Started { operation: 89 },
        )
    }

    fn plan_with(
        server: &Server,
        saved: Option<u64>,
        ip_v4: u32,
        ip_v6: u32,
        install: InstallRecord,
    ) -> Result<Vec<OpenStep>, NotOwned> {
        let holder = holder();
        open_plan(
            server,
            &OpenTarget {
                holder: &holder,
                saved_server_id: saved,
                ip_v4,
                ip_v6,
                template: "Debian-12",
                install,
            },
        )
    }

    use OpenStep::*;

    #[test]
    fn a_fresh_server_gets_every_step() {
        let mut server = available(1);
        server.power_status = PowerStatus::Off;
        server.switch_connection[0].admin_status = PortStatus::Down;
        assert_eq!(
            plan(&server, None, 2, 1),
            Ok(vec![
                ClaimOwner,
                SetNotes,
                SaveServerId,
                AddIpv4(2),
                AddIpv6(1),
                EnablePorts(vec![11]),
                PowerOn,
                InstallOs,
                WaitInstall,
                Finish
            ])
        );
    }

    #[test]
    fn after_a_kill_between_claim_and_notes() {
        let mut server = owned(1, "client@example.com", 42);
        server.notes.clear();
        server.ip.clear();
        server.operation = None;
        server.os_template = None;
        assert_eq!(
            plan(&server, None, 1, 0),
            Ok(vec![
                SetNotes,
                SaveServerId,
                AddIpv4(1),
                InstallOs,
                WaitInstall,
                Finish
            ])
        );
    }

    #[test]
    fn a_reserved_server_keeps_its_claim() {
        // Reserved by a closest match: owner and notes set, serverid saved, nothing else.
        let mut server = owned(1, "client@example.com", 42);
        server.ip.clear();
        server.operation = None;
        server.os_template = None;
        assert_eq!(
            plan(&server, Some(1), 1, 0),
            Ok(vec![AddIpv4(1), InstallOs, WaitInstall, Finish])
        );
    }

    #[test]
    fn only_the_missing_addresses_are_added() {
        let mut server = owned(1, "client@example.com", 42);
        server.operation = None;
        server.ip.push(ip(902, "2001:db8::1", IpFamily::Ipv6));
        assert_eq!(
            plan(&server, Some(1), 3, 1),
            Ok(vec![AddIpv4(2), InstallOs, WaitInstall, Finish])
        );
        // More addresses than ordered: none is taken away.
        server.ip.push(ip(903, "203.0.113.11", IpFamily::Ipv4));
        assert_eq!(
            plan(&server, Some(1), 1, 0),
            Ok(vec![InstallOs, WaitInstall, Finish])
        );
    }

    #[test]
    fn a_running_install_is_only_waited_for() {
        let mut server = owned(1, "client@example.com", 42);
        server.operation = Some(operation(89, OperationStatus::Running));
        server.power_status = PowerStatus::Off;
        assert_eq!(plan_started(&server, 1), Ok(vec![WaitInstall, Finish]));
    }

    #[test]
    fn a_stock_server_with_an_old_install_of_the_template_is_installed_again() {
        let server = owned(1, "client@example.com", 42);
        assert_eq!(
            plan(&server, Some(1), 1, 0),
            Ok(vec![InstallOs, WaitInstall, Finish])
        );
    }

    #[test]
    fn a_finished_install_is_never_repeated() {
        let mut server = owned(1, "client@example.com", 42);
        server.operation = Some(operation(89, OperationStatus::Ok));
        assert_eq!(plan_started(&server, 1), Ok(vec![Finish]));
        // Ports brought down and power off in the meantime are fixed, without a reinstall.
        server.power_status = PowerStatus::Off;
        server
            .switch_connection
            .push(port(13, false, PortStatus::Down));
        assert_eq!(
            plan_started(&server, 1),
            Ok(vec![EnablePorts(vec![13]), PowerOn, Finish])
        );
    }

    #[test]
    fn a_failed_install_of_ours_is_released() {
        let mut failed = owned(1, "client@example.com", 42);
        failed.operation = Some(operation(89, OperationStatus::Failed));
        assert_eq!(plan_started(&failed, 1), Ok(vec![InstallFailed]));
        // A failure of somebody else's earlier install is not ours: install afresh.
        assert_eq!(
            plan(&failed, Some(1), 1, 0),
            Ok(vec![InstallOs, WaitInstall, Finish])
        );
    }

    #[test]
    fn another_running_operation_is_waited_for_first() {
        let mut server = owned(1, "client@example.com", 42);
        server.ip.clear();
        server.os_template = None;
        server.operation = Some(operation(90, OperationStatus::Running));
        assert_eq!(
            plan(&server, Some(1), 1, 0),
            Ok(vec![
                WaitOperation,
                AddIpv4(1),
                InstallOs,
                WaitInstall,
                Finish
            ])
        );
    }

    #[test]
    fn servers_of_others_are_refused() {
        let reason = |server: &Server| plan(server, None, 1, 0).err().map(|e| e.reason);
        assert_eq!(
            reason(&owned(1, "other@example.com", 42)).as_deref(),
            Some("server srv-1 is owned by 'other@example.com', not by 'client@example.com'")
        );
        assert_eq!(
            reason(&owned(1, "client@example.com", 43)).as_deref(),
            Some("the notes of server srv-1 name item 43, not item 42")
        );
        let mut half_closed = available(1);
        half_closed.notes = "billmgr-item:43 closing diagnostics:90".into();
        assert_eq!(
            reason(&half_closed).as_deref(),
            Some("the notes of server srv-1 name item 43, not item 42")
        );
        let mut own_close = owned(1, "client@example.com", 42);
        own_close.notes = "billmgr-item:42 closing".into();
        assert_eq!(
            reason(&own_close).as_deref(),
            Some("a close of item 42 is in progress on server srv-1")
        );
    }
}
