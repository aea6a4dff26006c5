//! The one table of what each command may do to an item (DESIGN §2b "every command acts only
//! where it is meant to"): by the item's product type, its processing module and its
//! BILLmanager status, a command *acts*, has *nothing to do* (exit 0, logged at info) or
//! *refuses* with a message naming the status and what an administrator should do instead.
//!
//! Every command on an item consults it right after reading the item and before its first
//! change; `--dry-run` reports the same verdict. The table is printed in README ("What each
//! command does to an item"); the unit test `readme_table_is_this_table` keeps the two equal.

use std::fmt;

use super::item_status::ItemStatus;

/// The name this module has in `processingmodule.module`.
pub const MODULE_NAME: &str = "pmdci6";

/// The product type (`itemtype.intname`) this module sells.
pub const ITEM_TYPE: &str = "dedic";

/// The commands that act on one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemCommand {
    Open,
    Suspend,
    Resume,
    Close,
    SyncItem,
    Reboot,
    TransitionControlpanel,
    Setparam,
    /// `import` finding a service of the module that already holds a server.
    Import,
}

impl ItemCommand {
    #[cfg(test)]
    pub const ALL: [ItemCommand; 9] = [
        ItemCommand::Open,
        ItemCommand::Suspend,
        ItemCommand::Resume,
        ItemCommand::Close,
        ItemCommand::SyncItem,
        ItemCommand::Reboot,
        ItemCommand::TransitionControlpanel,
        ItemCommand::Setparam,
        ItemCommand::Import,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ItemCommand::Open => "open",
            ItemCommand::Suspend => "suspend",
            ItemCommand::Resume => "resume",
            ItemCommand::Close => "close",
            ItemCommand::SyncItem => "sync_item",
            ItemCommand::Reboot => "reboot",
            ItemCommand::TransitionControlpanel => "transition_controlpanel",
            ItemCommand::Setparam => "setparam",
            ItemCommand::Import => "import",
        }
    }
}

/// What the table says about one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Act,
    /// Nothing to do: the command exits 0 and changes nothing; the text says why.
    Nothing(String),
    /// The command changes nothing and fails with error `item`; the text says what to do.
    Refuse(String),
}

/// What the table reads of an item.
#[derive(Debug, Clone, Copy)]
pub struct ItemFacts<'a> {
    pub id: u64,
    /// `itemtype.intname` of the item's tariff.
    pub item_type: &'a str,
    /// `processingmodule.module` of the item's processing module, `None` without one.
    pub module: Option<&'a str>,
    /// `item.status` as BILLmanager has it.
    pub status: i64,
}

/// The BILLmanager statuses as the table's columns: a status the module does not know is a
/// column of its own, always refused (unknown is not safe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    BeingOpened(ItemStatus),
    Active,
    Suspended,
    Deleted,
    Unknown(i64),
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Column::BeingOpened(status) => write!(f, "{status}"),
            Column::Active => f.write_str("active"),
            Column::Suspended => f.write_str("suspended"),
            Column::Deleted => f.write_str("deleted"),
            Column::Unknown(code) => write!(f, "in status {code}, which pmdci6 does not know"),
        }
    }
}

fn column(status: i64) -> Column {
    match ItemStatus::from_code(status) {
        Some(s @ (ItemStatus::Ordered | ItemStatus::Processing)) => Column::BeingOpened(s),
        Some(ItemStatus::Active) => Column::Active,
        Some(ItemStatus::Suspended) => Column::Suspended,
        Some(ItemStatus::Deleted) => Column::Deleted,
        None => Column::Unknown(status),
    }
}

/// The verdict of `command` on the item: the product type first, then the processing module,
/// then the status.
pub fn verdict(command: ItemCommand, item: &ItemFacts) -> Verdict {
    let id = item.id;
    let name = command.name();
    if item.item_type != ITEM_TYPE {
        return Verdict::Refuse(format!(
            "item {id} is of product type '{}', not '{ITEM_TYPE}' (dedicated server): pmdci6 does not {name} it; \
             check the processing module set on the item's tariff",
            item.item_type
        ));
    }
    match item.module {
        Some(module) if module == MODULE_NAME => {}
        other => {
            return Verdict::Refuse(format!(
                "item {id} is served by {}, not by {}: pmdci6 does not {name} it; run the command of that module",
                other.map_or("no processing module".to_string(), |m| format!(
                    "processing module '{m}'"
                )),
                MODULE_NAME
            ));
        }
    }
    status_verdict(command, id, column(item.status))
}

/// One cell of the table: `command` on an item of this module in status `column`.
fn status_verdict(command: ItemCommand, id: u64, column: Column) -> Verdict {
    use Column::*;
    use ItemCommand::*;
    let refuse = |what: &str| Verdict::Refuse(format!("item {id} is {column}: {what}"));
    let nothing = |why: &str| Verdict::Nothing(format!("item {id} is {column}: {why}"));
    match (command, column) {
        (_, Unknown(_)) => refuse(
            "pmdci6 acts only on ordered, processing, active, suspended or deleted services; check the item in BILLmanager",
        ),
        (Open, BeingOpened(_)) => Verdict::Act,
        (Open, Active) => nothing("it is open already"),
        (Open, Suspended) => refuse("resume it, do not open it"),
        (Open, Deleted) => refuse("a deleted service is never opened again; order a new service"),
        (Suspend, Active) => Verdict::Act,
        (Suspend, Suspended) => nothing("it is suspended already"),
        (Suspend, BeingOpened(_)) => refuse(
            "it is not open yet, so there is nothing to suspend; wait for the open to finish, or close the order",
        ),
        (Suspend, Deleted) => refuse("a deleted service holds no server to suspend"),
        (Resume, Suspended) => Verdict::Act,
        (Resume, Active) => nothing("it is running already"),
        (Resume, BeingOpened(_)) => {
            refuse("it is not open yet, so there is nothing to resume; wait for the open to finish")
        }
        (Resume, Deleted) => {
            refuse("a deleted service is never resumed; its server went back to stock")
        }
        // Closing an order that is still being opened releases what the open took.
        (Close, BeingOpened(_) | Active | Suspended) => Verdict::Act,
        (Close, Deleted) => nothing("it is closed already"),
        (SyncItem, BeingOpened(_) | Active | Suspended) => Verdict::Act,
        (SyncItem, Deleted) => nothing("a deleted service has no server to keep in step"),
        (Reboot, Active) => Verdict::Act,
        (Reboot, Suspended) => {
            refuse("not active; a reset would power its server on, so resume it first")
        }
        (Reboot, BeingOpened(_)) => {
            refuse("not active; wait for the open to finish before rebooting")
        }
        (Reboot, Deleted) => refuse("not active; a deleted service holds no server to reboot"),
        (TransitionControlpanel, Active) => Verdict::Act,
        (TransitionControlpanel, _) => {
            refuse("not active; the DCImanager login is given only for an active service")
        }
        // A change of add-ons or tariff is applied to the server of a live service; an order
        // still being opened gets what it ordered from the open itself.
        (Setparam, Active | Suspended) => Verdict::Act,
        (Setparam, BeingOpened(_)) => {
            nothing("not open yet; the open gives the server what the order says now")
        }
        (Setparam, Deleted) => refuse("a deleted service holds no server to change"),
        // Import only writes the mark of a live service into its server's notes; an order
        // being opened is open's own to mark.
        (Import, Active | Suspended) => Verdict::Act,
        (Import, BeingOpened(_)) => nothing("it is being opened; the open marks its server"),
        (Import, Deleted) => nothing("a deleted service holds no server"),
    }
}

/// The table for README: one row per command, one column per status.
#[cfg(test)]
pub fn table_markdown() -> String {
    let columns = [
        (
            "ordered (1) / processing (5)",
            Column::BeingOpened(ItemStatus::Ordered),
        ),
        ("active (2)", Column::Active),
        ("suspended (3)", Column::Suspended),
        ("deleted (4)", Column::Deleted),
        ("any other", Column::Unknown(0)),
    ];
    let mut text = String::from("| command |");
    for (name, _) in &columns {
        text.push_str(&format!(" {name} |"));
    }
    text.push_str("\n|---|");
    text.push_str(&"---|".repeat(columns.len()));
    text.push('\n');
    for command in ItemCommand::ALL {
        text.push_str(&format!("| `{}` |", command.name()));
        for (_, column) in &columns {
            let cell = match status_verdict(command, 0, *column) {
                Verdict::Act => "act".to_string(),
                Verdict::Nothing(_) => "nothing to do".to_string(),
                Verdict::Refuse(_) => "refuse".to_string(),
            };
            text.push_str(&format!(" {cell} |"));
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(status: i64) -> ItemFacts<'static> {
        ItemFacts {
            id: 12,
            item_type: ITEM_TYPE,
            module: Some(super::MODULE_NAME),
            status,
        }
    }

    #[test]
    fn open_acts_only_on_an_item_being_opened() {
        assert_eq!(verdict(ItemCommand::Open, &facts(1)), Verdict::Act);
        assert_eq!(verdict(ItemCommand::Open, &facts(5)), Verdict::Act);
        assert!(matches!(
            verdict(ItemCommand::Open, &facts(2)),
            Verdict::Nothing(_)
        ));
        assert_eq!(
            verdict(ItemCommand::Open, &facts(3)),
            Verdict::Refuse("item 12 is suspended: resume it, do not open it".into())
        );
        for status in [4, 0, 9] {
            assert!(matches!(
                verdict(ItemCommand::Open, &facts(status)),
                Verdict::Refuse(_)
            ));
        }
    }

    #[test]
    fn another_product_type_or_module_is_refused_by_every_command() {
        for command in ItemCommand::ALL {
            let vps = ItemFacts {
                item_type: "vds",
                ..facts(5)
            };
            match verdict(command, &vps) {
                Verdict::Refuse(text) => assert!(text.contains("'vds'"), "{text}"),
                other => panic!("{other:?}"),
            }
            let foreign = ItemFacts {
                module: Some("pmother"),
                ..facts(2)
            };
            match verdict(command, &foreign) {
                Verdict::Refuse(text) => assert!(text.contains("'pmother'"), "{text}"),
                other => panic!("{other:?}"),
            }
            let none = ItemFacts {
                module: None,
                ..facts(2)
            };
            assert!(matches!(verdict(command, &none), Verdict::Refuse(_)));
        }
    }

    #[test]
    fn an_unknown_status_is_refused_by_every_command() {
        for command in ItemCommand::ALL {
            match verdict(command, &facts(7)) {
                Verdict::Refuse(text) => assert!(text.contains("status 7"), "{text}"),
                other => panic!("{command:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn every_refusal_names_the_status_and_what_to_do() {
        for command in ItemCommand::ALL {
            for status in 1..=5 {
                if let Verdict::Refuse(text) | Verdict::Nothing(text) =
                    verdict(command, &facts(status))
                {
                    let name = ItemStatus::from_code(status).expect("known").to_string();
                    assert!(text.starts_with(&format!("item 12 is {name}")), "{text}");
                    assert!(text.contains(": "), "{text}");
                }
            }
        }
    }

    #[test]
    fn readme_table_is_this_table() {
        let readme = include_str!("../../README.md");
        assert!(
            readme.contains(&table_markdown()),
            "README's table differs; put this one in:\n{}",
            table_markdown()
        );
    }
}
