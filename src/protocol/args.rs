//! Command-line arguments in two stages.
//!
//! BILLmanager passes long options as separate words and adds new ones from version to version,
//! so the first stage ([`known_options`]) keeps the options this version knows and drops any
//! other `--name value` pair (logged, never rejected). The second stage hands what is left to
//! clap, which validates it and writes `--help`, and resolves it into an [`Invocation`] that
//! commands receive already typed: no command parses a string again.

use anyhow::Result;
use clap::{Arg, ArgAction, ArgMatches, Command as Clap};

use super::error::{ErrorKind, ModuleError};

/// What BILLmanager or an administrator asked for, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub command: Command,
    /// `--runningoperation`: BILLmanager's queue row; errors are recorded on it.
    pub running_operation: Option<u64>,
    /// `--dry-run`: show the plan, change nothing.
    pub dry_run: bool,
    /// `--format text`: a report for a person instead of XML.
    pub format: Format,
    /// Options dropped by the first stage, for the log.
    pub ignored: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xml,
    Text,
}

/// The commands of DESIGN §2, with the ids each one needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Features,
    CheckConnection,
    Open { item: u64 },
    Suspend { item: u64 },
    Resume { item: u64 },
    Close { item: u64 },
    SyncItem { item: u64 },
    Reboot { item: u64 },
    GetServerConfig { module: u64 },
    SyncServer { module: u64 },
    TransitionControlpanel { item: u64 },
    Report { module: u64 },
}

/// Every `--command` value BILLmanager may call; `features` declares all of them but itself.
/// Commands for administrators running the binary by hand (`report`) are not BILLmanager
/// features and are left out.
pub const COMMANDS: &[&str] = &[
    "features",
    "check_connection",
    "open",
    "suspend",
    "resume",
    "close",
    "sync_item",
    "reboot",
    "get_server_config",
    "sync_server",
    "transition_controlpanel",
];

impl Command {
    /// The `--command` value, also BILLmanager's feature name.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Features => "features",
            Command::CheckConnection => "check_connection",
            Command::Open { .. } => "open",
            Command::Suspend { .. } => "suspend",
            Command::Resume { .. } => "resume",
            Command::Close { .. } => "close",
            Command::SyncItem { .. } => "sync_item",
            Command::Reboot { .. } => "reboot",
            Command::GetServerConfig { .. } => "get_server_config",
            Command::SyncServer { .. } => "sync_server",
            Command::TransitionControlpanel { .. } => "transition_controlpanel",
            Command::Report { .. } => "report",
        }
    }

    /// The service item the command acts on, if any.
    pub fn item(&self) -> Option<u64> {
        match *self {
            Command::Open { item }
            | Command::Suspend { item }
            | Command::Resume { item }
            | Command::Close { item }
            | Command::SyncItem { item }
            | Command::Reboot { item }
            | Command::TransitionControlpanel { item } => Some(item),
            _ => None,
        }
    }

    /// The processing module the command acts on, if any.
    pub fn module(&self) -> Option<u64> {
        match *self {
            Command::GetServerConfig { module }
            | Command::SyncServer { module }
            | Command::Report { module } => Some(module),
            _ => None,
        }
    }
}

/// Options that take a value; everything else of the form `--name value` is dropped.
const VALUE_OPTIONS: &[(&str, &str)] = &[
    (
        "command",
        "the operation: features, check_connection, open, suspend, resume, close, sync_item, reboot, get_server_config, sync_server, transition_controlpanel; for administrators: report (with --module)",
    ),
    ("item", "the service (item) id"),
    ("module", "the processing module id"),
    (
        "runningoperation",
        "BILLmanager's running operation id; errors are recorded on it",
    ),
    ("subcommand", "sub-action (accepted, unused by this module)"),
    ("id", "object id (accepted, unused by this module)"),
    ("param", "parameter name (accepted, unused by this module)"),
    ("value", "parameter value (accepted, unused by this module)"),
    ("lang", "interface language, ru or en"),
    (
        "level",
        "caller's access level (accepted, unused by this module)",
    ),
    (
        "userid",
        "user who started the change (accepted, unused by this module)",
    ),
    ("itemtype", "product type (accepted, unused by this module)"),
    ("addon", "addon item id (accepted, unused by this module)"),
    ("password", "new password (accepted, unused by this module)"),
    ("format", "output of a run by hand: xml (default) or text"),
];

/// Options that are flags.
const FLAG_OPTIONS: &[(&str, &str)] = &[("dry-run", "show what would be done and change nothing")];

const ABOUT: &str = "BILLmanager processing module for dedicated servers in DCImanager 6.

BILLmanager runs it as /usr/local/mgr5/processing/pmdci6 --command <cmd> [--item N] ...;
an administrator may run the same commands by hand, with --dry-run to see the plan first.
The log is var/pmdci6.log under the BILLmanager root; its level is set by the line
`pmdci6 9` (debug) in etc/debug.conf. PMDCI6_MGR_ROOT replaces the root /usr/local/mgr5.";

/// The version `--version` prints: the package's version (`0.1.0-1`: Cargo.toml's version and
/// the package release) when `packaging/build` built the binary, as it sets
/// `PMDCI6_PACKAGE_VERSION`; Cargo.toml's version for any other build.
pub const VERSION: &str = match option_env!("PMDCI6_PACKAGE_VERSION") {
    Some(version) => version,
    None => env!("CARGO_PKG_VERSION"),
};

/// Stage one: keep the known options, drop unknown `--name value` pairs (and unknown flags).
/// Returns the kept words and the dropped option names.
pub fn known_options(args: &[String]) -> (Vec<String>, Vec<String>) {
    let mut kept = Vec::new();
    let mut ignored = Vec::new();
    let mut words = args.iter().peekable();
    while let Some(word) = words.next() {
        let Some(name) = word.strip_prefix("--") else {
            ignored.push(word.clone());
            continue;
        };
        let (name, inline_value) = match name.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (name, None),
        };
        let is_value = VALUE_OPTIONS.iter().any(|(n, _)| *n == name);
        let is_flag =
            FLAG_OPTIONS.iter().any(|(n, _)| *n == name) || name == "help" || name == "version";
        if is_flag {
            kept.push(format!("--{name}"));
            continue;
        }
        let value = match inline_value {
            Some(v) => Some(v.to_string()),
            None => words.next_if(|next| !next.starts_with("--")).cloned(),
        };
        if is_value {
            kept.push(format!("--{name}"));
            kept.extend(value);
        } else {
            ignored.push(name.to_string());
        }
    }
    (kept, ignored)
}

fn clap_command() -> Clap {
    let mut cmd = Clap::new("pmdci6")
        .version(VERSION)
        .about(ABOUT)
        .disable_help_subcommand(true);
    for (name, help) in VALUE_OPTIONS {
        cmd = cmd.arg(
            Arg::new(*name)
                .long(*name)
                .value_name("VALUE")
                .help(*help)
                .action(ArgAction::Set),
        );
    }
    for (name, help) in FLAG_OPTIONS {
        cmd = cmd.arg(
            Arg::new(*name)
                .long(*name)
                .help(*help)
                .action(ArgAction::SetTrue),
        );
    }
    cmd
}

/// What stage two found: either something to run, or text clap wants printed (`--help`,
/// `--version`).
pub enum Parsed {
    Run(Invocation),
    Print(String),
}

/// Both stages: the process arguments (without the program name) into a [`Parsed`].
pub fn parse(args: &[String]) -> Result<Parsed> {
    let (kept, ignored) = known_options(args);
    let matches = match clap_command()
        .try_get_matches_from(std::iter::once("pmdci6".to_string()).chain(kept))
    {
        Ok(m) => m,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            return Ok(Parsed::Print(e.render().to_string()));
        }
        Err(e) => return Err(usage(e.render().to_string().trim())),
    };
    let command = resolve_command(&matches)?;
    let format = match matches.get_one::<String>("format").map(String::as_str) {
        None | Some("xml") => Format::Xml,
        Some("text") => Format::Text,
        Some(other) => return Err(usage(format!("--format {other}: expected xml or text"))),
    };
    Ok(Parsed::Run(Invocation {
        command,
        running_operation: optional_id(&matches, "runningoperation")?,
        dry_run: matches.get_flag("dry-run"),
        format,
        ignored,
    }))
}

fn resolve_command(m: &ArgMatches) -> Result<Command> {
    let name = m
        .get_one::<String>("command")
        .ok_or_else(|| usage("--command is required (see --help)"))?;
    let item = || required_id(m, "item", name);
    let module = || required_id(m, "module", name);
    Ok(match name.as_str() {
        "features" => Command::Features,
        "check_connection" => Command::CheckConnection,
        "open" => Command::Open { item: item()? },
        "suspend" => Command::Suspend { item: item()? },
        "resume" => Command::Resume { item: item()? },
        "close" => Command::Close { item: item()? },
        "sync_item" => Command::SyncItem { item: item()? },
        "reboot" => Command::Reboot { item: item()? },
        "get_server_config" => Command::GetServerConfig { module: module()? },
        "sync_server" => Command::SyncServer { module: module()? },
        "transition_controlpanel" => Command::TransitionControlpanel { item: item()? },
        "report" => Command::Report { module: module()? },
        other => {
            return Err(usage(format!(
                "unknown command '{other}' (see --help for the commands)"
            )));
        }
    })
}

fn required_id(m: &ArgMatches, option: &str, command: &str) -> Result<u64> {
    optional_id(m, option)?
        .ok_or_else(|| usage(format!("--command {command} needs --{option} <id>")))
}

fn optional_id(m: &ArgMatches, option: &str) -> Result<Option<u64>> {
    m.get_one::<String>(option)
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| usage(format!("--{option} {v}: expected a positive whole number")))
        })
        .transpose()
}

fn usage(message: impl Into<String>) -> anyhow::Error {
    ModuleError::new(ErrorKind::Usage, "command line", message).into()
}

#[cfg(test)]
#[path = "args_tests.rs"]
mod tests;
