//! The plans of the commands that act on a running service: suspend, resume and sync_item.
//!
//! Suspend and resume expect the caller to have run the guard ([`super::ownership::ownership`])
//! first; sync_item judges ownership itself, because a server that no longer belongs to the item
//! is drift to report, not an error.

use std::fmt;

use super::install::{InstallRecord, InstallState, install_state};
pub use super::item_status::ItemStatus;
use super::ownership::{self, Holder};
use super::server_state::{self, id_list};
use crate::dci::api::{PortStatus, PowerStatus, Server};

/// The server has no switch port other than its IPMI connection, so its traffic cannot be cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoSwitchPorts;

impl fmt::Display for NoSwitchPorts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the server has no switch ports besides IPMI, so it cannot be suspended: connect its ports in DCImanager",
        )
    }
}

impl std::error::Error for NoSwitchPorts {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuspendStep {
    /// Switch ports (not IPMI) to bring down.
    DisablePorts(Vec<u64>),
    /// `service.postsuspend`.
    ReportSuspended,
}

impl fmt::Display for SuspendStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuspendStep::DisablePorts(ports) => {
                write!(f, "disable switch ports {}", id_list(ports))
            }
            SuspendStep::ReportSuspended => f.write_str("report the service suspended"),
        }
    }
}

/// Suspend shuts the customer's ports and leaves the power alone (DESIGN §2a "Power"); ports
/// already down leave only the report.
pub fn suspend_plan(server: &Server) -> Result<Vec<SuspendStep>, NoSwitchPorts> {
    if server_state::switch_ports(server).next().is_none() {
        return Err(NoSwitchPorts);
    }
    let ports = server_state::ports_to_set(server, PortStatus::Down);
    let mut steps = Vec::new();
    if !ports.is_empty() {
        steps.push(SuspendStep::DisablePorts(ports));
    }
    steps.push(SuspendStep::ReportSuspended);
    Ok(steps)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumeStep {
    EnablePorts(Vec<u64>),
    PowerOn,
    /// `service.postresume`.
    ReportResumed,
}

impl fmt::Display for ResumeStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResumeStep::EnablePorts(ports) => write!(f, "enable switch ports {}", id_list(ports)),
            ResumeStep::PowerOn => f.write_str("power on"),
            ResumeStep::ReportResumed => f.write_str("report the service resumed"),
        }
    }
}

/// Resume brings the ports up and powers on when off. A server without switch ports is still
/// resumed (powered on): refusing would leave a paid service suspended for a cabling matter.
pub fn resume_plan(server: &Server) -> Vec<ResumeStep> {
    let mut steps = Vec::new();
    let ports = server_state::ports_to_set(server, PortStatus::Up);
    if !ports.is_empty() {
        steps.push(ResumeStep::EnablePorts(ports));
    }
    if server.power_status == PowerStatus::Off {
        steps.push(ResumeStep::PowerOn);
    }
    steps.push(ResumeStep::ReportResumed);
    steps
}

/// What sync_item knows of the item.
#[derive(Debug, Clone, Copy)]
pub struct SyncItem<'a> {
    pub status: ItemStatus,
    pub holder: &'a Holder,
    /// The item's `ip` param.
    pub saved_ip: Option<&'a str>,
    /// The ordered template (`ostempl`), to recognise the open's install.
    pub template: Option<&'a str>,
    /// The open's own install (param `install_operation`).
    pub install: InstallRecord,
}

/// Something wrong that sync_item cannot fix: report it once (log and a BILLmanager task).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemDrift {
    /// The item's server is no longer in DCImanager.
    ServerGone,
    /// The server has no owner any more.
    OwnerLost,
    /// Another owner, another item's notes, or a close in progress.
    Reassigned(String),
}

/// The item param that remembers the kind of drift already reported, so that a drift is
/// reported once and not on every run.
pub const DRIFT_PARAM: &str = "drift_reported";

impl ItemDrift {
    /// The value of [`DRIFT_PARAM`] for this drift.
    pub fn kind(&self) -> &'static str {
        match self {
            ItemDrift::ServerGone => "server_gone",
            ItemDrift::OwnerLost => "owner_lost",
            ItemDrift::Reassigned(_) => "reassigned",
        }
    }
}

/// What sync_item does about drift, given the kind already reported ([`DRIFT_PARAM`], empty
/// when none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftNotice<'a> {
    /// New drift: log it, create a task for staff, remember its kind.
    Report(&'a ItemDrift),
    /// The drift reported last time is still there: log it only.
    Reported(&'a ItemDrift),
    /// The drift reported earlier is gone: forget it, so that a new one is reported again.
    Forget,
    Quiet,
}

pub fn drift_notice<'a>(actions: &'a [SyncAction], reported: Option<&str>) -> DriftNotice<'a> {
    let reported = reported.map(str::trim).filter(|kind| !kind.is_empty());
    let drift = actions.iter().find_map(|action| match action {
        SyncAction::Drift(drift) => Some(drift),
        _ => None,
    });
    match (drift, reported) {
        (Some(drift), Some(kind)) if kind == drift.kind() => DriftNotice::Reported(drift),
        (Some(drift), _) => DriftNotice::Report(drift),
        (None, Some(_)) => DriftNotice::Forget,
        (None, None) => DriftNotice::Quiet,
    }
}

impl fmt::Display for ItemDrift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemDrift::ServerGone => f.write_str("the server is gone from DCImanager"),
            ItemDrift::OwnerLost => f.write_str("the server has lost its owner"),
            ItemDrift::Reassigned(reason) => {
                write!(f, "the server no longer belongs to the item: {reason}")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncAction {
    PowerOn,
    PowerOff,
    /// The open's install has finished: save the params and `service.postopen`.
    FinishOpen,
    /// Save this main IPv4 address as the item's `ip` param.
    UpdateIp(String),
    /// Nothing to do, and why (for the log).
    Nothing(String),
    Drift(ItemDrift),
}

impl fmt::Display for SyncAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncAction::PowerOn => f.write_str("power on"),
            SyncAction::PowerOff => f.write_str("power off"),
            SyncAction::FinishOpen => f.write_str("finish the open"),
            SyncAction::UpdateIp(address) => write!(f, "save ip {address}"),
            SyncAction::Nothing(reason) => write!(f, "nothing to do: {reason}"),
            SyncAction::Drift(drift) => write!(f, "drift: {drift}"),
        }
    }
}

/// Reconciles the item with its server (`None`: the item has no server, or DCImanager no longer
/// has it). Never acts while an operation runs or the server is in maintenance: those belong to
/// staff or to another command. Always gives at least one action.
pub fn sync_plan(server: Option<&Server>, item: &SyncItem) -> Vec<SyncAction> {
    let nothing = |reason: &str| vec![SyncAction::Nothing(reason.to_string())];
    if item.status == ItemStatus::Deleted {
        return nothing("the item is deleted");
    }
    let Some(server) = server else {
        return match item.status {
            ItemStatus::Active | ItemStatus::Suspended => {
                vec![SyncAction::Drift(ItemDrift::ServerGone)]
            }
            _ => nothing("the item has no server yet"),
        };
    };
    if let Some(closing) = ownership::close_in_progress(server, item.holder.item) {
        return vec![SyncAction::Nothing(closing.reason)];
    }
    if let Err(not_owned) = ownership::ownership(server, item.holder) {
        let owner_lost = ownership::owner_email(server).is_none();
        return vec![SyncAction::Drift(if owner_lost {
            ItemDrift::OwnerLost
        } else {
            ItemDrift::Reassigned(not_owned.reason)
        })];
    }
    if let Some(operation) = server_state::running_operation(server) {
        return vec![SyncAction::Nothing(format!(
            "operation {} is running",
            operation.id
        ))];
    }
    if server.maintenance_mode {
        return nothing("the server is in maintenance mode");
    }
    let mut actions = Vec::new();
    match item.status {
        ItemStatus::Ordered | ItemStatus::Processing => {
            let finished = item.template.is_some_and(|template| {
                matches!(
                    install_state(server, item.install, template),
                    InstallState::Done { .. }
                )
            });
            return if finished {
                vec![SyncAction::FinishOpen]
            } else {
                nothing("the open has not installed the OS yet")
            };
        }
        ItemStatus::Active if server.power_status == PowerStatus::Off => {
            actions.push(SyncAction::PowerOn)
        }
        ItemStatus::Suspended if server.power_status == PowerStatus::On => {
            actions.push(SyncAction::PowerOff)
        }
        _ => {}
    }
    if let Some(main) = server_state::main_ipv4(server)
        && item.saved_ip != Some(main.name.as_str())
    {
        actions.push(SyncAction::UpdateIp(main.name.clone()));
    }
    if actions.is_empty() {
        return nothing("the server is in the state the item wants");
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dci::api::{IpFamily, OperationStatus};
    use crate::provision::testing::{available, holder, ip, operation, owned, port};

    #[test]
    fn suspend_shuts_every_port_but_ipmi() {
        let mut server = owned(1, "client@example.com", 42);
        server
            .switch_connection
            .push(port(13, false, PortStatus::Up));
        assert_eq!(
            suspend_plan(&server),
            Ok(vec![
                SuspendStep::DisablePorts(vec![11, 13]),
                SuspendStep::ReportSuspended
            ])
        );
        server.switch_connection[0].admin_status = PortStatus::Down;
        assert_eq!(
            suspend_plan(&server),
            Ok(vec![
                SuspendStep::DisablePorts(vec![13]),
                SuspendStep::ReportSuspended
            ])
        );
    }

    #[test]
    fn suspend_of_a_suspended_server_only_reports() {
        let mut server = owned(1, "client@example.com", 42);
        server.switch_connection[0].admin_status = PortStatus::Down;
        assert_eq!(
            suspend_plan(&server),
            Ok(vec![SuspendStep::ReportSuspended])
        );
    }

    #[test]
    fn suspend_without_switch_ports_is_refused() {
        let mut server = owned(1, "client@example.com", 42);
        server
            .switch_connection
            .retain(|port| port.is_ipmi_connection);
        assert_eq!(suspend_plan(&server), Err(NoSwitchPorts));
        server.switch_connection.clear();
        assert_eq!(suspend_plan(&server), Err(NoSwitchPorts));
        assert!(
            NoSwitchPorts
                .to_string()
                .contains("connect its ports in DCImanager")
        );
    }

    #[test]
    fn resume_enables_ports_and_powers_on() {
        let mut server = owned(1, "client@example.com", 42);
        server.switch_connection[0].admin_status = PortStatus::Down;
        server.switch_connection[1].admin_status = PortStatus::Down;
        server.power_status = PowerStatus::Off;
        assert_eq!(
            resume_plan(&server),
            vec![
                ResumeStep::EnablePorts(vec![11]),
                ResumeStep::PowerOn,
                ResumeStep::ReportResumed
            ]
        );
        assert_eq!(
            resume_plan(&owned(1, "client@example.com", 42)),
            vec![ResumeStep::ReportResumed]
        );
        let mut portless = owned(1, "client@example.com", 42);
        portless.switch_connection.clear();
        portless.power_status = PowerStatus::Off;
        assert_eq!(
            resume_plan(&portless),
            vec![ResumeStep::PowerOn, ResumeStep::ReportResumed]
        );
    }

    #[test]
    fn item_status_codes() {
        assert_eq!(ItemStatus::from_code(2), Some(ItemStatus::Active));
        assert_eq!(ItemStatus::from_code(3), Some(ItemStatus::Suspended));
        assert_eq!(ItemStatus::from_code(5), Some(ItemStatus::Processing));
        assert_eq!(ItemStatus::from_code(9), None);
    }

    fn sync(
        server: Option<&Server>,
        status: ItemStatus,
        saved_ip: Option<&str>,
    ) -> Vec<SyncAction> {
        let holder = holder();
        sync_plan(
            server,
            &SyncItem {
                status,
                holder: &holder,
                saved_ip,
                template: Some("Debian-12"),
                install: InstallRecord::Started { operation: 88 },
            },
        )
    }

    const IP: Option<&str> = Some("203.0.113.10");

    fn nothing(reason: &str) -> Vec<SyncAction> {
        vec![SyncAction::Nothing(reason.into())]
    }

    #[test]
    fn active_service_keeps_its_server_on() {
        let mut server = owned(1, "client@example.com", 42);
        assert_eq!(
            sync(Some(&server), ItemStatus::Active, IP),
            nothing("the server is in the state the item wants")
        );
        server.power_status = PowerStatus::Off;
        assert_eq!(
            sync(Some(&server), ItemStatus::Active, IP),
            vec![SyncAction::PowerOn]
        );
        // Unknown power is left alone.
        server.power_status = PowerStatus::Unknown;
        assert_eq!(
            sync(Some(&server), ItemStatus::Active, IP),
            nothing("the server is in the state the item wants")
        );
    }

    #[test]
    fn suspended_service_keeps_its_server_off() {
        let mut server = owned(1, "client@example.com", 42);
        assert_eq!(
            sync(Some(&server), ItemStatus::Suspended, IP),
            vec![SyncAction::PowerOff]
        );
        server.power_status = PowerStatus::Off;
        assert_eq!(
            sync(Some(&server), ItemStatus::Suspended, IP),
            nothing("the server is in the state the item wants")
        );
    }

    #[test]
    fn changed_addresses_update_the_ip_param() {
        let mut server = owned(1, "client@example.com", 42);
        server.power_status = PowerStatus::Off;
        server.ip = vec![
            ip(905, "2001:db8::5", IpFamily::Ipv6),
            ip(904, "203.0.113.44", IpFamily::Ipv4),
        ];
        assert_eq!(
            sync(Some(&server), ItemStatus::Active, IP),
            vec![
                SyncAction::PowerOn,
                SyncAction::UpdateIp("203.0.113.44".into())
            ]
        );
        assert_eq!(
            sync(Some(&server), ItemStatus::Suspended, None),
            vec![SyncAction::UpdateIp("203.0.113.44".into())]
        );
        // No IPv4 left: the param is left as it is.
        server.ip.clear();
        assert_eq!(
            sync(Some(&server), ItemStatus::Suspended, IP),
            nothing("the server is in the state the item wants")
        );
    }

    #[test]
    fn no_action_while_an_operation_runs_or_in_maintenance() {
        let mut server = owned(1, "client@example.com", 42);
        server.power_status = PowerStatus::Off;
        server.operation = Some(operation(91, OperationStatus::Running));
        assert_eq!(
            sync(Some(&server), ItemStatus::Active, None),
            nothing("operation 91 is running")
        );
        server.operation = None;
        server.maintenance_mode = true;
        assert_eq!(
            sync(Some(&server), ItemStatus::Active, None),
            nothing("the server is in maintenance mode")
        );
    }

    #[test]
    fn a_finished_install_finishes_the_open() {
        let server = owned(1, "client@example.com", 42);
        assert_eq!(
            sync(Some(&server), ItemStatus::Processing, None),
            vec![SyncAction::FinishOpen]
        );
        let holder = holder();
        // Reserved by a closest match: the template on it is not the open's install.
        let reserved = SyncItem {
            status: ItemStatus::Processing,
            holder: &holder,
            saved_ip: None,
            template: Some("Debian-12"),
            install: InstallRecord::NotStarted,
        };
        assert_eq!(
            sync_plan(Some(&server), &reserved),
            nothing("the open has not installed the OS yet")
        );
        let without_template = SyncItem {
            status: ItemStatus::Processing,
            holder: &holder,
            saved_ip: None,
            template: None,
            install: InstallRecord::NotStarted,
        };
        assert_eq!(
            sync_plan(Some(&server), &without_template),
            nothing("the open has not installed the OS yet")
        );
    }

    #[test]
    fn drift_is_reported_once_and_forgotten_when_gone() {
        let gone = vec![SyncAction::Drift(ItemDrift::ServerGone)];
        assert_eq!(
            drift_notice(&gone, None),
            DriftNotice::Report(&ItemDrift::ServerGone)
        );
        assert_eq!(
            drift_notice(&gone, Some("")),
            DriftNotice::Report(&ItemDrift::ServerGone)
        );
        assert_eq!(
            drift_notice(&gone, Some("server_gone")),
            DriftNotice::Reported(&ItemDrift::ServerGone)
        );
        // Another kind of drift than the one reported is new.
        assert_eq!(
            drift_notice(&gone, Some("owner_lost")),
            DriftNotice::Report(&ItemDrift::ServerGone)
        );
        let fine = vec![SyncAction::PowerOn];
        assert_eq!(drift_notice(&fine, Some("owner_lost")), DriftNotice::Forget);
        assert_eq!(drift_notice(&fine, None), DriftNotice::Quiet);
        assert_eq!(ItemDrift::OwnerLost.kind(), "owner_lost");
        assert_eq!(ItemDrift::Reassigned("x".into()).kind(), "reassigned");
    }

    #[test]
    fn drift_is_reported_not_fixed() {
        assert_eq!(
            sync(None, ItemStatus::Active, IP),
            vec![SyncAction::Drift(ItemDrift::ServerGone)]
        );
        assert_eq!(
            sync(None, ItemStatus::Suspended, IP),
            vec![SyncAction::Drift(ItemDrift::ServerGone)]
        );
        assert_eq!(
            sync(None, ItemStatus::Processing, None),
            nothing("the item has no server yet")
        );
        let mut lost = owned(1, "client@example.com", 42);
        lost.owner = None;
        lost.owner_email = None;
        assert_eq!(
            sync(Some(&lost), ItemStatus::Active, IP),
            vec![SyncAction::Drift(ItemDrift::OwnerLost)]
        );
        assert_eq!(
            sync(
                Some(&owned(1, "other@example.com", 43)),
                ItemStatus::Active,
                IP
            ),
            vec![SyncAction::Drift(ItemDrift::Reassigned(
                "server srv-1 is owned by 'other@example.com', not by 'client@example.com'".into()
            ))]
        );
        assert_eq!(
            sync(Some(&available(1)), ItemStatus::Deleted, None),
            nothing("the item is deleted")
        );
    }

    #[test]
    fn a_close_in_progress_is_not_drift() {
        let holder = holder();
        let mut server = crate::provision::testing::owned(1, "client@example.com", 42);
        server.owner = None;
        server.owner_email = None;
        server.notes = "billmgr-item:42 closing diagnostics:90 failed: disk".into();
        let item = SyncItem {
            status: ItemStatus::Active,
            holder: &holder,
            saved_ip: None,
            template: None,
            install: InstallRecord::NotStarted,
        };
        assert!(
            matches!(sync_plan(Some(&server), &item).as_slice(), [SyncAction::Nothing(why)] if why.contains("close of item 42"))
        );
    }
}
