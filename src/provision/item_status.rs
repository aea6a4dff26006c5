//! BILLmanager's `item.status` of a service, as every command reads it.

use std::fmt;

/// BILLmanager's `item.status` (spec §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    Ordered,
    Active,
    /// Suspended, the seed's "Stopped".
    Suspended,
    Deleted,
    /// Being opened (or waiting for a rebuild after a closest match).
    Processing,
}

impl ItemStatus {
    /// 1 ordered, 2 active, 3 suspended, 4 deleted, 5 processing.
    pub fn from_code(code: i64) -> Option<ItemStatus> {
        match code {
            1 => Some(ItemStatus::Ordered),
            2 => Some(ItemStatus::Active),
            3 => Some(ItemStatus::Suspended),
            4 => Some(ItemStatus::Deleted),
            5 => Some(ItemStatus::Processing),
            _ => None,
        }
    }

    /// An active or suspended service must hold a server; an ordered or processing one is still
    /// being opened (or waits for staff to build its server) and may not.
    pub fn is_live(self) -> bool {
        matches!(self, ItemStatus::Active | ItemStatus::Suspended)
    }
}

/// A status code as BILLmanager stored it, known or not: the drift report names a code this
/// module does not know by its number rather than leave the service out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCode(i64);

impl StatusCode {
    pub fn new(code: impl Into<i64>) -> StatusCode {
        StatusCode(code.into())
    }

    pub fn known(self) -> Option<ItemStatus> {
        ItemStatus::from_code(self.0)
    }

    /// See [`ItemStatus::is_live`].
    pub fn is_live(self) -> bool {
        self.known().is_some_and(ItemStatus::is_live)
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.known() {
            Some(status) => status.fmt(f),
            None => write!(f, "status {}", self.0),
        }
    }
}

impl fmt::Display for ItemStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ItemStatus::Ordered => "ordered",
            ItemStatus::Active => "active",
            ItemStatus::Suspended => "suspended",
            ItemStatus::Deleted => "deleted",
            ItemStatus::Processing => "processing",
        })
    }
}
