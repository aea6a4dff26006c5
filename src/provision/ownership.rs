//! Who a server belongs to: its DCImanager owner and the `billmgr-item:<N>` mark in its notes.
//!
//! The owner alone cannot tell two services of one customer apart, and it disappears midway
//! through a close; the notes mark can and does not. So the module writes the item id into the
//! server's notes when it claims the server, and keeps it there, with the close's progress, until
//! the close has finished:
//!
//! | notes | meaning |
//! |---|---|
//! | `billmgr-item:42` | held by item 42 ([`NoteStage::Held`]) |
//! | `billmgr-item:42 closing after:88` | item 42's close has started; the server's last operation then was 88 ([`NoteStage::Closing`]) |
//! | `billmgr-item:42 closing diagnostics:88` | the wipe (diagnostics operation 88) was started ([`NoteStage::Wiping`]) |
//! | `billmgr-item:42 closing diagnostics:88 failed: <why>` | that wipe failed; server in maintenance ([`NoteStage::WipeFailed`]) |
//!
//! A rerun of the close recognises its own half-closed server from these notes, even when the
//! owner is already gone, and the availability rules keep any server carrying a mark off sale.

use std::fmt;

use crate::dci::api::{Needed, Server};

/// The BILLmanager side of a claim: the item (service) and its customer's e-mail, which is the
/// e-mail of the customer's DCImanager user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub item: u64,
    pub email: String,
}

/// How far the item's close has gone, as recorded in the notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteStage {
    Held,
    /// The close has started. `after` is the id of the server's last operation at that moment
    /// (0: none), as in [`super::install`]: the close starts no operation before its wipe, so a
    /// diagnostics run with another id is this close's wipe, even when a kill kept its id out of
    /// the notes. `None` for a bare `closing` (notes edited by hand).
    Closing {
        after: Option<u64>,
    },
    /// The close is about to ask for its wipe; `after` is the server's last operation then.
    /// Written just before the request, so a diagnostics run newer than `after` is this
    /// close's wipe even when a kill kept its id out of the notes, and no diagnostics run
    /// started by anybody else (staff checking the disks) is ever taken for the wipe.
    WipeRequested {
        after: u64,
    },
    Wiping {
        operation: u64,
    },
    WipeFailed {
        operation: u64,
    },
}

impl NoteStage {
    /// The diagnostics operation a close started, when it recorded one.
    pub fn wipe_operation(self) -> Option<u64> {
        match self {
            NoteStage::Wiping { operation } | NoteStage::WipeFailed { operation } => {
                Some(operation)
            }
            NoteStage::Held | NoteStage::Closing { .. } | NoteStage::WipeRequested { .. } => None,
        }
    }
}

/// The mark found in a server's notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemNote {
    pub item: u64,
    pub stage: NoteStage,
}

const PREFIX: &str = "billmgr-item:";

impl ItemNote {
    /// Finds the mark in notes that may also hold other text (staff may add their own).
    pub fn read(notes: &str) -> Option<ItemNote> {
        let start = notes.find(PREFIX)? + PREFIX.len();
        let rest = &notes[start..];
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let item = rest[..digits].parse().ok()?;
        let rest = &rest[digits..];
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            return None;
        }
        let mut words = rest.split_whitespace();
        let stage = if words.next() != Some("closing") {
            NoteStage::Held
        } else {
            let next = words.next();
            let number = |prefix: &str| {
                next.and_then(|w| w.strip_prefix(prefix))
                    .and_then(|n| n.parse().ok())
            };
            if next == Some("wipe") {
                let after = words
                    .next()
                    .and_then(|w| w.strip_prefix("after:"))
                    .and_then(|n| n.parse().ok());
                return Some(ItemNote {
                    item,
                    stage: after.map_or(NoteStage::Closing { after: None }, |after| {
                        NoteStage::WipeRequested { after }
                    }),
                });
            }
            match (number("diagnostics:"), number("after:")) {
                (Some(operation), _) if words.next().is_some_and(|w| w.starts_with("failed")) => {
                    NoteStage::WipeFailed { operation }
                }
                (Some(operation), _) => NoteStage::Wiping { operation },
                (None, after) => NoteStage::Closing { after },
            }
        };
        Some(ItemNote { item, stage })
    }
}

impl fmt::Display for ItemNote {
    /// The notes text the module writes for this stage.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}", self.item)?;
        match self.stage {
            NoteStage::Held => Ok(()),
            NoteStage::Closing { after: None } => f.write_str(" closing"),
            NoteStage::Closing { after: Some(after) } => write!(f, " closing after:{after}"),
            NoteStage::WipeRequested { after } => write!(f, " closing wipe after:{after}"),
            NoteStage::Wiping { operation } => write!(f, " closing diagnostics:{operation}"),
            NoteStage::WipeFailed { operation } => {
                write!(f, " closing diagnostics:{operation} failed")
            }
        }
    }
}

/// `billmgr-item:<N>`: the notes of a server the item holds.
pub fn item_note(item: u64) -> String {
    ItemNote {
        item,
        stage: NoteStage::Held,
    }
    .to_string()
}

/// The notes a close writes when the wipe failed or timed out, together with maintenance mode:
/// the reason tells staff why the server is out of stock.
pub fn wipe_failed_note(item: u64, operation: u64, reason: &str) -> String {
    let note = ItemNote {
        item,
        stage: NoteStage::WipeFailed { operation },
    };
    format!("{note}: {reason}")
}

/// The server's owner e-mail, from `owner` or, failing that, `owner_email`.
pub fn owner_email(server: &Server) -> Option<&str> {
    server
        .owner
        .as_ref()
        .map(|owner| owner.email.trim())
        .filter(|email| !email.is_empty())
        .or_else(|| {
            server
                .owner_email
                .as_deref()
                .map(str::trim)
                .filter(|email| !email.is_empty())
        })
        .or_else(|| server.owner.as_ref().map(|_| ""))
}

/// Whether two e-mails name the same customer: BILLmanager and DCImanager may differ in case
/// and stray spaces, never in anything else. The one comparison of owners in the module.
pub fn same_email(a: &str, b: &str) -> bool {
    email_key(a) == email_key(b)
}

/// The form of an e-mail under which [`same_email`] addresses are equal, for maps keyed by
/// customer.
pub fn email_key(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

/// Whether the server's DCImanager owner is the holder's customer.
pub fn owned_by(server: &Server, holder: &Holder) -> bool {
    owner_email(server).is_some_and(|email| same_email(email, &holder.email))
}

/// Whether the server's notes carry the item's mark, at any stage.
pub fn marked_for(server: &Server, item: u64) -> bool {
    ItemNote::read(&server.notes).is_some_and(|note| note.item == item)
}

/// The item's own close has started on the server (its mark is past [`NoteStage::Held`]): no
/// command but the close touches it. The one statement of that rule, as a refusal.
pub fn close_in_progress(server: &Server, item: u64) -> Option<NotOwned> {
    ItemNote::read(&server.notes)
        .filter(|note| note.item == item && note.stage != NoteStage::Held)
        .map(|_| {
            not_owned(format!(
                "a close of item {item} is in progress on server {}",
                server.name
            ))
        })
}

/// A server the retry of a claim killed between the owner and the notes may adopt: the
/// customer's, with empty notes (see the item param `claiming`).
pub fn adoptable(server: &Server, holder: &Holder) -> bool {
    owned_by(server, holder) && server.notes.trim().is_empty()
}

/// One step of giving back a server the item holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseStep {
    RemoveOwner,
    ClearNotes,
}

/// What giving back `server` takes, touching only what is the item's, in the one safe order:
/// the owner first, so that a kill between the steps never leaves an owned server without the
/// mark that names its item (a marked server without owner is still off sale and recognised).
pub fn release_steps(server: &Server, holder: &Holder) -> Vec<ReleaseStep> {
    let mut steps = Vec::new();
    if owned_by(server, holder) {
        steps.push(ReleaseStep::RemoveOwner);
    }
    if marked_for(server, holder.item) {
        steps.push(ReleaseStep::ClearNotes);
    }
    steps
}

/// Why a server does not belong to an item, in words for administrators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotOwned {
    pub reason: String,
    /// The field DCImanager's answer left out, when that is why: not a question of who holds
    /// the server for staff to settle, but an answer that differs from the contract.
    pub unknown: Option<Needed>,
}

impl fmt::Display for NotOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for NotOwned {}

pub(crate) fn not_owned(reason: impl Into<String>) -> NotOwned {
    NotOwned {
        reason: reason.into(),
        unknown: None,
    }
}

/// The guard of suspend, resume, sync_item and reboot: the server is owned by the customer's
/// DCImanager user and its notes mark it as held (not being closed) by this item.
pub fn ownership(server: &Server, holder: &Holder) -> Result<(), NotOwned> {
    if !owned_by_holder(server, holder)? {
        return Err(not_owned(format!("server {} has no owner", server.name)));
    }
    note_of_item(server, holder.item)?;
    close_in_progress(server, holder.item).map_or(Ok(()), Err)
}

/// `true` when the holder's user owns the server, `false` when nobody does, an error when
/// someone else does.
/// An owner DCImanager's answer does not carry is unknown, never "nobody" (unknown is not
/// safe): the guard refuses.
pub(crate) fn owned_by_holder(server: &Server, holder: &Holder) -> Result<bool, NotOwned> {
    unknown(server, Needed::Owner)?;
    // Every command that gets past this guard sets or reads addresses and switch ports.
    unknown(server, Needed::Ip)?;
    unknown(server, Needed::SwitchConnection)?;
    match owner_email(server) {
        None => Ok(false),
        Some(email) if same_email(email, &holder.email) => Ok(true),
        Some(email) => Err(not_owned(format!(
            "server {} is owned by '{email}', not by '{}'",
            server.name, holder.email
        ))),
    }
}

/// The server's mark, required to name `item`.
pub(crate) fn note_of_item(server: &Server, item: u64) -> Result<ItemNote, NotOwned> {
    unknown(server, Needed::Notes)?;
    match ItemNote::read(&server.notes) {
        Some(note) if note.item == item => Ok(note),
        Some(note) => Err(not_owned(format!(
            "the notes of server {} name item {}, not item {item}",
            server.name, note.item
        ))),
        None => Err(not_owned(format!(
            "the notes of server {} do not carry '{}' (notes: '{}')",
            server.name,
            item_note(item),
            server.notes
        ))),
    }
}

/// The guard's refusal of a server whose answer lacks `field`.
pub(crate) fn unknown(server: &Server, field: Needed) -> Result<(), NotOwned> {
    match server.unknown.contains(field) {
        true => Err(NotOwned {
            reason: format!("server {}: {}", server.name, field.reason()),
            unknown: Some(field),
        }),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dci::api::Owner;
    use crate::provision::testing::{available, holder, owned};

    #[test]
    fn notes_render_and_read_back_for_every_stage() {
        for stage in [
            NoteStage::Held,
            NoteStage::Closing { after: None },
            NoteStage::Closing { after: Some(0) },
            NoteStage::Closing { after: Some(88) },
            NoteStage::Wiping { operation: 88 },
            NoteStage::WipeFailed { operation: 88 },
        ] {
            let note = ItemNote { item: 42, stage };
            assert_eq!(ItemNote::read(&note.to_string()), Some(note));
        }
        assert_eq!(item_note(42), "billmgr-item:42");
    }

    #[test]
    fn failed_note_keeps_its_reason_and_stage() {
        let text = wipe_failed_note(42, 88, "diagnostics failed: disk /dev/sda unreadable");
        assert_eq!(
            text,
            "billmgr-item:42 closing diagnostics:88 failed: diagnostics failed: disk /dev/sda unreadable"
        );
        assert_eq!(
            ItemNote::read(&text).map(|n| n.stage),
            Some(NoteStage::WipeFailed { operation: 88 })
        );
    }

    #[test]
    fn marks_are_found_among_other_text_and_never_by_prefix_of_the_id() {
        assert_eq!(
            ItemNote::read("rack B, billmgr-item:7"),
            Some(ItemNote {
                item: 7,
                stage: NoteStage::Held
            })
        );
        assert_eq!(ItemNote::read("billmgr-item:12").map(|n| n.item), Some(12));
        assert_eq!(ItemNote::read("billmgr-item:12x"), None);
        assert_eq!(ItemNote::read("billmgr-item:"), None);
        assert_eq!(ItemNote::read(""), None);
        assert_eq!(
            ItemNote::read("billmgr-item:5 closing diagnostics:abc").map(|n| n.stage),
            Some(NoteStage::Closing { after: None })
        );
        assert_eq!(
            ItemNote::read("billmgr-item:5 closing after:x").map(|n| n.stage),
            Some(NoteStage::Closing { after: None })
        );
        assert_eq!(
            ItemNote {
                item: 5,
                stage: NoteStage::Closing { after: Some(88) }
            }
            .to_string(),
            "billmgr-item:5 closing after:88"
        );
    }

    #[test]
    fn the_owner_is_compared_trimmed_and_in_any_case() {
        let server = owned(1, " Client@Example.COM ", 42);
        let holder = Holder {
            item: 42,
            email: "client@example.com ".into(),
        };
        assert!(owned_by(&server, &holder));
        assert!(adoptable(
            &Server {
                notes: " ".into(),
                ..server.clone()
            },
            &holder
        ));
        assert!(!adoptable(&server, &holder), "marked: not a killed claim");
        assert!(!owned_by(&owned(1, "other@example.com", 42), &holder));
    }

    #[test]
    fn release_takes_the_owner_before_the_notes_and_only_what_is_the_items() {
        use ReleaseStep::*;
        assert_eq!(
            release_steps(&owned(1, "client@example.com", 42), &holder()),
            vec![RemoveOwner, ClearNotes]
        );
        assert_eq!(
            release_steps(&owned(1, "other@example.com", 42), &holder()),
            vec![ClearNotes]
        );
        assert_eq!(
            release_steps(&owned(1, "client@example.com", 43), &holder()),
            vec![RemoveOwner]
        );
        assert!(release_steps(&available(1), &holder()).is_empty());
    }

    #[test]
    fn a_close_in_progress_is_any_stage_past_held_of_the_items_own_mark() {
        let mut server = owned(1, "client@example.com", 42);
        assert_eq!(close_in_progress(&server, 42), None);
        for notes in [
            "billmgr-item:42 closing",
            "billmgr-item:42 closing wipe after:3",
            "billmgr-item:42 closing diagnostics:4 failed",
        ] {
            server.notes = notes.into();
            assert!(close_in_progress(&server, 42).is_some(), "{notes}");
            assert_eq!(close_in_progress(&server, 43), None, "{notes}");
        }
    }

    #[test]
    fn ownership_accepts_the_holder() {
        assert_eq!(
            ownership(&owned(1, "Client@Example.com", 42), &holder()),
            Ok(())
        );
    }

    #[test]
    fn owner_email_falls_back_to_owner_email_field() {
        let mut server = owned(1, "client@example.com", 42);
        server.owner = None;
        server.owner_email = Some("client@example.com".into());
        assert_eq!(ownership(&server, &holder()), Ok(()));
        server.owner = Some(Owner {
            id: Some(5),
            email: String::new(),
        });
        server.owner_email = None;
        assert_eq!(owner_email(&server), Some(""));
    }

    #[test]
    fn ownership_rejects_with_reasons() {
        let reason = |server: &Server| ownership(server, &holder()).err().map(|e| e.reason);
        assert_eq!(
            reason(&available(1)).as_deref(),
            Some("server srv-1 has no owner")
        );
        assert_eq!(
            reason(&owned(1, "other@example.com", 42)).as_deref(),
            Some("server srv-1 is owned by 'other@example.com', not by 'client@example.com'")
        );
        assert_eq!(
            reason(&owned(1, "client@example.com", 43)).as_deref(),
            Some("the notes of server srv-1 name item 43, not item 42")
        );
        let mut blank = owned(1, "client@example.com", 42);
        blank.notes = "spare".into();
        assert_eq!(
            reason(&blank).as_deref(),
            Some("the notes of server srv-1 do not carry 'billmgr-item:42' (notes: 'spare')")
        );
        let mut closing = owned(1, "client@example.com", 42);
        closing.notes = "billmgr-item:42 closing".into();
        assert_eq!(
            reason(&closing).as_deref(),
            Some("a close of item 42 is in progress on server srv-1")
        );
    }
}
