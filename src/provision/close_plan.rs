//! The steps of a close still to do, judged from the server's real state (DESIGN §2 "close, step
//! by step"), in the seed's order: enable the switch ports → power on if off → stop a running
//! operation → remove the IPs → remove the owner → diagnostics with disk cleanup (wait) → power
//! off → disable the switch ports → report closed.
//!
//! The close marks its progress in the notes (see [`super::ownership`]): `closing after:<op>`
//! before it touches anything (`<op>` the server's last operation then), `closing
//! diagnostics:<op>` once the wipe has started. After the owner is removed only the notes say
//! the server is this item's, and only the recorded operation ids tell this close's wipe apart
//! from an older diagnostics run; so a rerun after a kill recognises its half-closed server and
//! goes on from where it stopped, even when the kill fell between starting the wipe and
//! recording it. The notes are cleared last, just before the report: a server carrying a mark
//! is never sold (availability rule 1), so the server goes back to stock only when the whole
//! sequence is done.

use std::fmt;

use super::ownership::{self, Holder, ItemNote, NotOwned, NoteStage, not_owned};
use super::server_state::{self, id_list};
use crate::dci::api::{Needed, Operation, OperationStatus, PortStatus, PowerStatus, Server};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseStep {
    /// Write `billmgr-item:<N> closing after:<after>` into the notes ([`ItemNote`] with
    /// [`NoteStage::Closing`]); `after` is the id of the server's last operation (0: none).
    MarkClosing {
        after: u64,
    },
    /// A rerun after a failed wipe: take the server out of the maintenance mode the failure put it
    /// in, before trying again (the notes still keep it off sale).
    LeaveMaintenance,
    EnablePorts(Vec<u64>),
    PowerOn,
    StopOperation,
    RemoveIp {
        id: u64,
        address: String,
    },
    RemoveOwner,
    /// Start diagnostics with `disk_cleanup: true`, then write the operation id it answered into
    /// the notes ([`NoteStage::Wiping`]).
    Diagnostics,
    /// The running diagnostics are this close's but the notes do not say so yet (killed right
    /// after starting them): record the operation id ([`NoteStage::Wiping`]).
    MarkDiagnostics(u64),
    /// Wait for the diagnostics. If they fail or time out: maintenance mode on, notes
    /// [`ownership::wipe_failed_note`], a task for staff, and an error: a half-wiped server never
    /// goes back on sale.
    WaitDiagnostics,
    PowerOff,
    DisablePorts(Vec<u64>),
    /// Empty the notes: the server goes back to stock.
    ClearNotes,
    /// `service.postclose`.
    ReportClosed,
}

impl fmt::Display for CloseStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseStep::MarkClosing { .. } => f.write_str("mark the notes: closing"),
            CloseStep::LeaveMaintenance => f.write_str("leave maintenance mode"),
            CloseStep::EnablePorts(ports) => write!(f, "enable switch ports {}", id_list(ports)),
            CloseStep::PowerOn => f.write_str("power on"),
            CloseStep::StopOperation => f.write_str("stop the running operation"),
            CloseStep::RemoveIp { id, address } => write!(f, "remove IP {address} (id {id})"),
            CloseStep::RemoveOwner => f.write_str("remove the owner"),
            CloseStep::Diagnostics => f.write_str("start diagnostics with disk cleanup"),
            CloseStep::MarkDiagnostics(operation) => {
                write!(f, "record diagnostics operation {operation} in the notes")
            }
            CloseStep::WaitDiagnostics => f.write_str("wait for the diagnostics"),
            CloseStep::PowerOff => f.write_str("power off"),
            CloseStep::DisablePorts(ports) => write!(f, "disable switch ports {}", id_list(ports)),
            CloseStep::ClearNotes => f.write_str("clear the notes"),
            CloseStep::ReportClosed => f.write_str("report the service closed"),
        }
    }
}

/// The steps left to close `holder`'s service on `server` (`None`: the item never claimed a
/// server, or it is gone from DCImanager; either way there is nothing to undo).
///
/// The guard refuses a server whose owner is someone else, whose notes name another item, or
/// that has lost its owner without a close having started (staff must look at it). A server with
/// neither owner nor mark holds nothing of this item any more (a close killed after clearing the
/// notes, or staff released it): only the report is left, and the server is not touched.
pub fn close_plan(server: Option<&Server>, holder: &Holder) -> Result<Vec<CloseStep>, NotOwned> {
    let Some(server) = server else {
        return Ok(vec![CloseStep::ReportClosed]);
    };
    let owned = ownership::owned_by_holder(server, holder)?;
    ownership::unknown(server, Needed::Notes)?;
    // The wipe is told from the last operation and maintenance mode: both must be known.
    ownership::unknown(server, Needed::Operation)?;
    ownership::unknown(server, Needed::MaintenanceMode)?;
    if !owned && ItemNote::read(&server.notes).is_none() {
        return Ok(vec![CloseStep::ReportClosed]);
    }
    let stage = ownership::note_of_item(server, holder.item)?.stage;
    if !owned && stage == NoteStage::Held {
        return Err(not_owned(format!(
            "server {} has lost its owner but its notes still name item {}: check it by hand",
            server.name, holder.item
        )));
    }

    let mut steps = Vec::new();
    match stage {
        NoteStage::Held => steps.push(CloseStep::MarkClosing {
            after: server.operation.as_ref().map_or(0, |op| op.id),
        }),
        NoteStage::WipeFailed { .. } if server.maintenance_mode => {
            steps.push(CloseStep::LeaveMaintenance)
        }
        _ => {}
    }
    let wipe = match (stage, server.operation.as_ref()) {
        (_, Some(op)) if stage.wipe_operation() == Some(op.id) => Wipe::of(op),
        // Only a recorded id is the wipe. Asked for, but the id never reached the notes (a
        // kill): DCImanager's operations carry no type, so the newer run cannot be told from
        // one staff started; it is stopped (if running) and the wipe is done again. A second
        // wipe costs time; taking another operation for the wipe could sell unwiped disks.
        _ => Wipe::ToDo,
    };
    match wipe {
        Wipe::ToDo => {
            let ports = server_state::ports_to_set(server, PortStatus::Up);
            if !ports.is_empty() {
                steps.push(CloseStep::EnablePorts(ports));
            }
            if server.power_status == PowerStatus::Off {
                steps.push(CloseStep::PowerOn);
            }
            if server_state::running_operation(server).is_some() {
                steps.push(CloseStep::StopOperation);
            }
            steps.extend(server.ip.iter().map(|ip| CloseStep::RemoveIp {
                id: ip.id,
                address: ip.name.clone(),
            }));
            if owned {
                steps.push(CloseStep::RemoveOwner);
            }
            steps.extend([CloseStep::Diagnostics, CloseStep::WaitDiagnostics]);
            steps.extend(after_wipe_unknown(server));
        }
        Wipe::Running(operation) => {
            if stage != (NoteStage::Wiping { operation }) {
                steps.push(CloseStep::MarkDiagnostics(operation));
            }
            steps.push(CloseStep::WaitDiagnostics);
            steps.extend(after_wipe_unknown(server));
        }
        Wipe::Done => {
            if server.power_status != PowerStatus::Off {
                steps.push(CloseStep::PowerOff);
            }
            let ports = server_state::ports_to_set(server, PortStatus::Down);
            if !ports.is_empty() {
                steps.push(CloseStep::DisablePorts(ports));
            }
        }
    }
    steps.extend([CloseStep::ClearNotes, CloseStep::ReportClosed]);
    Ok(steps)
}

enum Wipe {
    ToDo,
    Running(u64),
    Done,
}

impl Wipe {
    /// The wipe is `op`: still running, done, or to do again (failed or canceled).
    fn of(op: &Operation) -> Wipe {
        match op.status {
            OperationStatus::Running => Wipe::Running(op.id),
            OperationStatus::Ok => Wipe::Done,
            OperationStatus::Failed | OperationStatus::Canceled | OperationStatus::Unknown => {
                Wipe::ToDo
            }
        }
    }
}

/// Power and ports after a wipe still to come: their state then is unknown now, so both steps
/// are planned (each is harmless when already so), every customer-facing port included.
fn after_wipe_unknown(server: &Server) -> Vec<CloseStep> {
    let mut steps = vec![CloseStep::PowerOff];
    let ports: Vec<u64> = server_state::switch_ports(server)
        .map(|port| port.id)
        .collect();
    if !ports.is_empty() {
        steps.push(CloseStep::DisablePorts(ports));
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dci::api::IpFamily;
    use crate::provision::ownership::wipe_failed_note;
    use crate::provision::testing::{available, holder, ip, operation, owned};
    use CloseStep::*;

    fn plan(server: &Server) -> Result<Vec<CloseStep>, NotOwned> {
        close_plan(Some(server), &holder())
    }

    fn remove_ip(id: u64, address: &str) -> CloseStep {
        RemoveIp {
            id,
            address: address.into(),
        }
    }

    /// A server as the close left it after `RemoveOwner`.
    fn released() -> Server {
        let mut server = owned(1, "client@example.com", 42);
        server.owner = None;
        server.owner_email = None;
        server.ip.clear();
        server.notes = "billmgr-item:42 closing after:88".into();
        server
    }

    #[test]
    fn the_full_sequence_in_the_seed_order() {
        let mut server = owned(1, "client@example.com", 42);
        server.power_status = PowerStatus::Off;
        server.switch_connection[0].admin_status = PortStatus::Down;
        server.operation = Some(operation(89, OperationStatus::Running));
        server.ip.push(ip(902, "2001:db8::1", IpFamily::Ipv6));
        assert_eq!(
            plan(&server),
            Ok(vec![
                MarkClosing { after: 89 },
                EnablePorts(vec![11]),
                PowerOn,
                StopOperation,
                remove_ip(901, "203.0.113.10"),
                remove_ip(902, "2001:db8::1"),
                RemoveOwner,
                Diagnostics,
                WaitDiagnostics,
                PowerOff,
                DisablePorts(vec![11]),
                ClearNotes,
                ReportClosed,
            ])
        );
    }

    #[test]
    fn steps_already_so_are_skipped() {
        let server = owned(1, "client@example.com", 42);
        assert_eq!(
            plan(&server),
            Ok(vec![
                MarkClosing { after: 88 },
                remove_ip(901, "203.0.113.10"),
                RemoveOwner,
                Diagnostics,
                WaitDiagnostics,
                PowerOff,
                DisablePorts(vec![11]),
                ClearNotes,
                ReportClosed,
            ])
        );
        let mut fresh = owned(1, "client@example.com", 42);
        fresh.operation = None;
        assert_eq!(
            plan(&fresh).map(|steps| steps[0].clone()),
            Ok(MarkClosing { after: 0 })
        );
    }

    #[test]
    fn resume_after_a_kill_between_the_mark_and_the_ips() {
        let mut server = owned(1, "client@example.com", 42);
        server.notes = "billmgr-item:42 closing after:88".into();
        assert_eq!(
            plan(&server),
            Ok(vec![
                remove_ip(901, "203.0.113.10"),
                RemoveOwner,
                Diagnostics,
                WaitDiagnostics,
                PowerOff,
                DisablePorts(vec![11]),
                ClearNotes,
                ReportClosed,
            ])
        );
    }

    #[test]
    fn resume_after_the_owner_was_removed() {
        assert_eq!(
            plan(&released()),
            Ok(vec![
                Diagnostics,
                WaitDiagnostics,
                PowerOff,
                DisablePorts(vec![11]),
                ClearNotes,
                ReportClosed
            ])
        );
    }

    #[test]
    fn an_older_diagnostics_run_does_not_count_as_the_wipe() {
        let redo = Ok(vec![
            Diagnostics,
            WaitDiagnostics,
            PowerOff,
            DisablePorts(vec![11]),
            ClearNotes,
            ReportClosed,
        ]);
        // The last operation when the close began was that run.
        let mut server = released();
        server.notes = "billmgr-item:42 closing after:70".into();
        server.operation = Some(operation(70, OperationStatus::Ok));
        assert_eq!(plan(&server), redo);
        // Notes without the record (edited by hand): a finished run cannot be told apart.
        server.notes = "billmgr-item:42 closing".into();
        server.operation = Some(operation(90, OperationStatus::Ok));
        assert_eq!(plan(&server), redo);
    }

    /// Operations carry no type, so a run newer than the request cannot be told from one staff
    /// started: it is never taken for the wipe, and the wipe is done again.
    #[test]
    fn a_wipe_killed_before_it_was_recorded_is_done_again() {
        let mut server = released();
        server.notes = "billmgr-item:42 closing wipe after:88".into();
        server.operation = Some(operation(90, OperationStatus::Ok));
        assert_eq!(
            plan(&server),
            Ok(vec![
                Diagnostics,
                WaitDiagnostics,
                PowerOff,
                DisablePorts(vec![11]),
                ClearNotes,
                ReportClosed,
            ])
        );
        server.operation = Some(operation(90, OperationStatus::Running));
        assert_eq!(
            plan(&server),
            Ok(vec![
                StopOperation,
                Diagnostics,
                WaitDiagnostics,
                PowerOff,
                DisablePorts(vec![11]),
                ClearNotes,
                ReportClosed,
            ])
        );
    }

    #[test]
    fn resume_after_the_wipe_finished() {
        let mut server = released();
        server.notes = "billmgr-item:42 closing diagnostics:90".into();
        server.operation = Some(operation(90, OperationStatus::Ok));
        assert_eq!(
            plan(&server),
            Ok(vec![
                PowerOff,
                DisablePorts(vec![11]),
                ClearNotes,
                ReportClosed
            ])
        );
        server.power_status = PowerStatus::Off;
        assert_eq!(
            plan(&server),
            Ok(vec![DisablePorts(vec![11]), ClearNotes, ReportClosed])
        );
        server.switch_connection[0].admin_status = PortStatus::Down;
        assert_eq!(plan(&server), Ok(vec![ClearNotes, ReportClosed]));
    }

    #[test]
    fn resume_after_clearing_the_notes_only_reports() {
        let mut server = available(1);
        server.power_status = PowerStatus::Off;
        assert_eq!(plan(&server), Ok(vec![ReportClosed]));
        assert_eq!(close_plan(None, &holder()), Ok(vec![ReportClosed]));
    }

    #[test]
    fn a_failed_wipe_is_retried_out_of_maintenance() {
        let mut server = released();
        server.notes = wipe_failed_note(42, 90, "diagnostics failed: disk sdb");
        server.maintenance_mode = true;
        server.operation = Some(operation(90, OperationStatus::Failed));
        server.power_status = PowerStatus::Off;
        assert_eq!(
            plan(&server),
            Ok(vec![
                LeaveMaintenance,
                PowerOn,
                Diagnostics,
                WaitDiagnostics,
                PowerOff,
                DisablePorts(vec![11]),
                ClearNotes,
                ReportClosed
            ])
        );
    }

    #[test]
    fn a_timed_out_wipe_is_waited_for_again() {
        let mut server = released();
        server.notes = wipe_failed_note(42, 90, "diagnostics did not finish in 10800 s");
        server.maintenance_mode = true;
        server.operation = Some(operation(90, OperationStatus::Running));
        assert_eq!(
            plan(&server),
            Ok(vec![
                LeaveMaintenance,
                MarkDiagnostics(90),
                WaitDiagnostics,
                PowerOff,
                DisablePorts(vec![11]),
                ClearNotes,
                ReportClosed
            ])
        );
    }

    #[test]
    fn a_server_without_switch_ports_closes_without_port_steps() {
        let mut server = owned(1, "client@example.com", 42);
        server
            .switch_connection
            .retain(|port| port.is_ipmi_connection);
        assert_eq!(
            plan(&server),
            Ok(vec![
                MarkClosing { after: 88 },
                remove_ip(901, "203.0.113.10"),
                RemoveOwner,
                Diagnostics,
                WaitDiagnostics,
                PowerOff,
                ClearNotes,
                ReportClosed,
            ])
        );
    }

    #[test]
    fn the_guard_refuses_servers_of_others() {
        let reason = |server: &Server| plan(server).err().map(|e| e.reason);
        assert_eq!(
            reason(&owned(1, "other@example.com", 42)).as_deref(),
            Some("server srv-1 is owned by 'other@example.com', not by 'client@example.com'")
        );
        assert_eq!(
            reason(&owned(1, "other@example.com", 7)).as_deref(),
            Some("server srv-1 is owned by 'other@example.com', not by 'client@example.com'")
        );
        assert_eq!(
            reason(&owned(1, "client@example.com", 43)).as_deref(),
            Some("the notes of server srv-1 name item 43, not item 42")
        );
        let mut unmarked = owned(1, "client@example.com", 42);
        unmarked.notes.clear();
        assert_eq!(
            reason(&unmarked).as_deref(),
            Some("the notes of server srv-1 do not carry 'billmgr-item:42' (notes: '')")
        );
        let mut other_close = released();
        other_close.notes = "billmgr-item:43 closing".into();
        assert_eq!(
            reason(&other_close).as_deref(),
            Some("the notes of server srv-1 name item 43, not item 42")
        );
        let mut lost_owner = owned(1, "client@example.com", 42);
        lost_owner.owner = None;
        lost_owner.owner_email = None;
        assert_eq!(
            reason(&lost_owner).as_deref(),
            Some(
                "server srv-1 has lost its owner but its notes still name item 42: check it by hand"
            )
        );
    }
}
