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
    TuneConnection,
    Open {
        item: u64,
    },
    Suspend {
        item: u64,
    },
    Resume {
        item: u64,
    },
    Close {
        item: u64,
    },
    SyncItem {
        item: u64,
    },
    Reboot {
        item: u64,
    },
    GetServerConfig {
        module: u64,
    },
    SyncServer {
        module: u64,
    },
    TransitionControlpanel {
        item: u64,
    },
    PricelistDynamicSettingsTune {
        module: u64,
    },
    GetSuitableModule,
    Import {
        module: u64,
        search: Option<String>,
    },
    Setparam {
        item: u64,
        user: Option<u64>,
    },
    Stat {
        module: u64,
    },
    Report {
        module: u64,
    },
    /// For administrators: the module's DCImanager contract against the installation.
    Probe {
        module: u64,
        swagger: Option<std::path::PathBuf>,
    },
}

/// Every `--command` value BILLmanager may call; `features` declares all of them but itself.
/// Commands for administrators running the binary by hand (`report`) are not BILLmanager
/// features and are left out.
pub const COMMANDS: &[&str] = &[
    "features",
    "check_connection",
    "tune_connection",
    "open",
    "suspend",
    "resume",
    "close",
    "sync_item",
    "reboot",
    "get_server_config",
    "sync_server",
    "transition_controlpanel",
    "pricelist_dynamic_settings_tune",
    "get_suitable_module",
    "import",
    "setparam",
    "stat",
];

impl Command {
    /// The `--command` value, also BILLmanager's feature name.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Features => "features",
            Command::CheckConnection => "check_connection",
            Command::TuneConnection => "tune_connection",
            Command::Open { .. } => "open",
            Command::Suspend { .. } => "suspend",
            Command::Resume { .. } => "resume",
            Command::Close { .. } => "close",
            Command::SyncItem { .. } => "sync_item",
            Command::Reboot { .. } => "reboot",
            Command::GetServerConfig { .. } => "get_server_config",
            Command::SyncServer { .. } => "sync_server",
            Command::TransitionControlpanel { .. } => "transition_controlpanel",
            Command::PricelistDynamicSettingsTune { .. } => "pricelist_dynamic_settings_tune",
            Command::GetSuitableModule => "get_suitable_module",
            Command::Import { .. } => "import",
            Command::Setparam { .. } => "setparam",
            Command::Stat { .. } => "stat",
            Command::Report { .. } => "report",
            Command::Probe { .. } => "probe",
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
            | Command::TransitionControlpanel { item }
            | Command::Setparam { item, .. } => Some(item),
            _ => None,
        }
    }

    /// Whether BILLmanager's maintenance mode (`etc/billmgr.DoNothing`) stops the command.
    ///
    /// ISPsystem's C++ base skips only the commands that act on services (open, suspend,
    /// resume, close, sync_item, stat, and prolong, reopen which this module does not
    /// implement); reboot acts on a service the same way and is skipped too. Everything else
    /// answers as usual: `features` above all (a core started during maintenance must still
    /// learn the module), the forms' checks and tuners, Config and the administrator's report,
    /// so BILLmanager's own pages keep working while services wait.
    pub fn paused_in_maintenance(&self) -> bool {
        matches!(
            self,
            Command::Open { .. }
                | Command::Suspend { .. }
                | Command::Resume { .. }
                | Command::Close { .. }
                | Command::SyncItem { .. }
                | Command::Reboot { .. }
                | Command::Stat { .. }
        )
    }

    /// The processing module the command acts on, if any.
    pub fn module(&self) -> Option<u64> {
        match *self {
            Command::GetServerConfig { module }
            | Command::SyncServer { module }
            | Command::PricelistDynamicSettingsTune { module }
            | Command::Report { module }
            | Command::Probe { module, .. }
            | Command::Import { module, .. }
            | Command::Stat { module } => Some(module),
            _ => None,
        }
    }
}

/// Options that take a value; everything else of the form `--name value` is dropped.
const VALUE_OPTIONS: &[(&str, &str)] = &[
    (
        "command",
        "the operation: features, check_connection, tune_connection, open, suspend, resume, close, sync_item, reboot, get_server_config, sync_server, transition_controlpanel, pricelist_dynamic_settings_tune, get_suitable_module, import, setparam, stat; for administrators: report and probe (with --module)",
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
        "user who started the change; setparam passes it to a tariff rollback",
    ),
    (
        "itemtype",
        "product type; import accepts only dedic (other commands: accepted, unused)",
    ),
    (
        "searchstring",
        "import: only servers whose name or owner e-mail contains this text",
    ),
    ("addon", "addon item id (accepted, unused by this module)"),
    ("password", "new password (accepted, unused by this module)"),
    ("format", "output of a run by hand: xml (default) or text"),
    (
        "swagger",
        "probe: the OpenAPI document exported from DCImanager's /swagger/",
    ),
];

/// Options that are flags.
const FLAG_OPTIONS: &[(&str, &str)] = &[("dry-run", "show what would be done and change nothing")];

const ABOUT: &str = "BILLmanager processing module for dedicated servers in DCImanager 6.

BILLmanager runs it as /usr/local/mgr5/processing/pmdci6 --command <cmd> [--item N] ...;
an administrator may run the same commands by hand, with --dry-run to see the plan first.
The log is var/pmdci6.log under the BILLmanager root; its level is set in etc/debug.conf by
`pmdci6 9` (debug; also `pmdci6.* 9` or `* 9`), or per part: `pmdci6.dci`, `pmdci6.mgrctl`,
`pmdci6.db`, `pmdci6.plan`. PMDCI6_MGR_ROOT replaces the root /usr/local/mgr5.";

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
    if let Some(itemtype) = matches
        .get_one::<String>("itemtype")
        .filter(|t| *t != super::features::ITEMTYPE)
    {
        return Err(usage(format!(
            "--itemtype {itemtype}: this module serves only {}",
            super::features::ITEMTYPE
        )));
    }
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
        "tune_connection" => Command::TuneConnection,
        "open" => Command::Open { item: item()? },
        "suspend" => Command::Suspend { item: item()? },
        "resume" => Command::Resume { item: item()? },
        "close" => Command::Close { item: item()? },
        "sync_item" => Command::SyncItem { item: item()? },
        "reboot" => Command::Reboot { item: item()? },
        "get_server_config" => Command::GetServerConfig { module: module()? },
        "sync_server" => Command::SyncServer { module: module()? },
        "transition_controlpanel" => Command::TransitionControlpanel { item: item()? },
        "pricelist_dynamic_settings_tune" => {
            Command::PricelistDynamicSettingsTune { module: module()? }
        }
        "get_suitable_module" => Command::GetSuitableModule,
        "stat" => Command::Stat { module: module()? },
        "setparam" => Command::Setparam {
            item: item()?,
            user: optional_id(m, "userid")?,
        },
        "import" => {
            match m.get_one::<String>("itemtype").map(String::as_str) {
                None | Some(crate::protocol::features::ITEMTYPE) => {}
                Some(other) => {
                    return Err(usage(format!(
                        "--itemtype {other}: pmdci6 imports only {} (dedicated servers)",
                        crate::protocol::features::ITEMTYPE
                    )));
                }
            }
            Command::Import {
                module: module()?,
                search: m
                    .get_one::<String>("searchstring")
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            }
        }
        "report" => Command::Report { module: module()? },
        "probe" => Command::Probe {
            module: module()?,
            swagger: m.get_one::<String>("swagger").map(std::path::PathBuf::from),
        },
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
