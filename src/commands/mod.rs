//! One file per command of `--help`, thin: read state, ask `provision`, act, report. What several
//! commands share is in [`crate::effects`]; every command gets one [`CommandContext`].
//!
//! An error that needs staff carries its hand-off ([`crate::protocol::error::HandOff`]); `main`
//! performs it, so a command never creates a task on its way to failing.

pub mod check_connection;
pub mod close;
pub mod get_server_config;
pub mod get_suitable_module;
mod import;
pub mod open;
pub mod pricelist_dynamic_settings_tune;
mod probe;
pub mod reboot;
mod report;
pub mod resume;
pub mod setparam;
mod stat;
pub mod suspend;
pub mod sync_item;
pub mod transition_controlpanel;
pub mod tune_connection;

use std::io::Read;

use anyhow::{Context, Result};

use crate::billmgr::paths::MgrRoot;
use crate::protocol::args::{Command, Format, Invocation};
use crate::protocol::features;
use crate::protocol::xml::Element;

/// What every command runs with, instead of an argument list of its own: the mgr5 root, the item
/// or processing module the command is for (`target`; `()` for a command of neither),
/// BILLmanager's running operation, whether this is a dry run, and the output format.
#[derive(Debug, Clone, Copy)]
pub struct CommandContext<'a, T = ()> {
    pub root: &'a MgrRoot,
    pub target: T,
    pub running_operation: Option<u64>,
    pub dry_run: bool,
    pub format: Format,
}

impl<'a> CommandContext<'a> {
    pub fn new(root: &'a MgrRoot, invocation: &Invocation) -> CommandContext<'a> {
        CommandContext {
            root,
            target: (),
            running_operation: invocation.running_operation,
            dry_run: invocation.dry_run,
            format: invocation.format,
        }
    }

    /// The context of a command for `target`, an item or a module.
    pub fn on<T>(self, target: T) -> CommandContext<'a, T> {
        CommandContext {
            root: self.root,
            target,
            running_operation: self.running_operation,
            dry_run: self.dry_run,
            format: self.format,
        }
    }
}

/// What a command prints on stdout when it succeeds.
pub enum Output {
    /// The protocol's answer (features, check_connection, a dry-run plan).
    Xml(Element),
    /// A report for a person (`--format text`).
    Text(String),
    /// A report whose verdict is a failure (probe found differences): printed as it is, and
    /// the run exits 1.
    Failed(Box<Output>),
}

/// Runs the command; `Some` is what to print on stdout. Service commands print nothing: they
/// report through `mgrctl`.
///
/// A command the action table finds nothing to do for ([`NothingToDo`]) exits 0 with the reason
/// logged at info; its dry run prints the same verdict.
pub fn run(root: &MgrRoot, invocation: &Invocation) -> Result<Option<Output>> {
    match run_command(root, invocation) {
        Err(err) => match err.downcast_ref::<NothingToDo>() {
            Some(NothingToDo(why)) => {
                log::info!("{} has nothing to do: {why}", invocation.command.name());
                Ok(invocation.dry_run.then(|| nothing_plan(invocation, why)))
            }
            None => Err(err),
        },
        done => done,
    }
}

/// The action table's "nothing to do" for an item (see [`crate::provision::action`]): not a
/// failure, carried as an error only so that it stops the command before its first change.
#[derive(Debug)]
pub struct NothingToDo(pub String);

impl std::fmt::Display for NothingToDo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "nothing to do: {}", self.0)
    }
}

impl std::error::Error for NothingToDo {}

/// A dry run's report of "nothing to do":
/// `<doc><plan command=".." item=".." verdict="nothing"><reason>..</reason></plan></doc>`.
fn nothing_plan(invocation: &Invocation, why: &str) -> Output {
    if invocation.format == Format::Text {
        return Output::Text(format!("nothing to do: {why}\n"));
    }
    let mut plan = Element::new("plan")
        .attr("command", invocation.command.name())
        .attr("verdict", "nothing");
    if let Some(item) = invocation.command.item() {
        plan = plan.attr("item", item.to_string());
    }
    Output::Xml(Element::new("doc").child(plan.child(Element::new("reason").text(why))))
}

/// The form BILLmanager writes on stdin for a check or a tuner.
fn read_stdin(what: &str) -> Result<String> {
    let mut form = String::new();
    std::io::stdin()
        .read_to_string(&mut form)
        .with_context(|| format!("reading {what} from stdin"))?;
    Ok(form)
}

fn run_command(root: &MgrRoot, invocation: &Invocation) -> Result<Option<Output>> {
    let ctx = CommandContext::new(root, invocation);
    let document = match invocation.command {
        Command::Features => Some(features::document()),
        Command::CheckConnection => Some(check_connection::run(
            &ctx,
            &read_stdin("the connection form")?,
        )?),
        Command::TuneConnection => Some(tune_connection::run(
            &ctx,
            &read_stdin("the connection form")?,
        )?),
        Command::PricelistDynamicSettingsTune { module } => Some(
            pricelist_dynamic_settings_tune::run(&ctx.on(module), &read_stdin("the tariff form")?)?,
        ),
        Command::Open { item } => return open::run(&ctx.on(item)),
        Command::Report { module } => return report::run(&ctx.on(module)).map(Some),
        Command::Stat { module } => return stat::run(&ctx.on(module)),
        Command::Probe {
            module,
            ref swagger,
        } => return probe::run(&ctx.on(module), swagger.as_deref()).map(Some),
        Command::Import { module, ref search } => {
            return import::run(&ctx.on(module), search.as_deref());
        }
        Command::Suspend { item } => suspend::run(&ctx.on(item))?,
        Command::Resume { item } => resume::run(&ctx.on(item))?,
        Command::Close { item } => close::run(&ctx.on(item))?,
        Command::SyncItem { item } => sync_item::run(&ctx.on(item))?,
        Command::Reboot { item } => reboot::run(&ctx.on(item))?,
        Command::GetServerConfig { module } | Command::SyncServer { module } => {
            get_server_config::run(&ctx.on(module))?
        }
        Command::TransitionControlpanel { item } => transition_controlpanel::run(&ctx.on(item))?,
        Command::Setparam { item, user } => setparam::run(&ctx.on(item), user)?,
        Command::GetSuitableModule => {
            Some(get_suitable_module::run(&ctx, &read_stdin("the order")?)?)
        }
    };
    Ok(document.map(Output::Xml))
}
