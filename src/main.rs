//! pmdci6: the BILLmanager processing module that sells dedicated servers out of DCImanager 6.
//!
//! `main` only collects the arguments; `run` turns every outcome into what BILLmanager expects,
//! in one place: XML on stdout, a log line, the error on the running operation, exit 0 or 1.

mod billmgr;
mod commands;
mod dci;
mod effects;
mod protocol;
mod provision;

use std::process::ExitCode;

use billmgr::logging;
use billmgr::mgrctl::Mgrctl;
use billmgr::paths::MgrRoot;
use billmgr::problems;
use protocol::args::{self, Invocation, Parsed};
use protocol::error::{ErrorKind, classify, hand_off};
use protocol::xml::{Element, error_document};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // A panic is a bug, but BILLmanager must still get error XML and exit 1, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        log::error!("internal error (a bug in pmdci6): {info}")
    }));
    std::panic::catch_unwind(|| run(&args)).unwrap_or_else(|_| {
        let root = MgrRoot::from_env();
        let invocation = match args::parse(&args) {
            Ok(Parsed::Run(invocation)) => Some(invocation),
            _ => None,
        };
        let bug = anyhow::anyhow!("internal error (a bug in pmdci6); see var/pmdci6.log");
        report_failure(&root, invocation.as_ref(), "internal", &bug)
    })
}

fn run(args: &[String]) -> ExitCode {
    let root = MgrRoot::from_env();
    let parsed = match args::parse(args) {
        Ok(Parsed::Run(invocation)) => Ok(invocation),
        Ok(Parsed::Print(text)) => {
            // --help and --version: asked by a person or a script, never by BILLmanager, and
            // answered without the log (no line in it, no warning where it cannot be opened).
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(err) => Err(err),
    };
    logging::init(&root);
    let invocation = match parsed {
        Ok(invocation) => invocation,
        Err(err) => return report_failure(&root, None, "command line", &err),
    };
    let name = invocation.command.name();
    if invocation.command.paused_in_maintenance() && root.do_nothing().exists() {
        // BILLmanager's maintenance switch: a service command must not act and must not fail
        // either; BILLmanager runs it again once maintenance is over.
        log::info!(
            "{name}{} skipped: BILLmanager is in maintenance ({} exists)",
            describe(&invocation),
            root.do_nothing().display()
        );
        return ExitCode::SUCCESS;
    }
    if !invocation.ignored.is_empty() {
        log::debug!("ignored options: {}", invocation.ignored.join(", "));
    }
    log::info!("{name} started{}", describe(&invocation));
    let started = std::time::Instant::now();
    let outcome = commands::run(&root, &invocation);
    settle_connection_problem(&root, &outcome);
    log::info!(
        "{name} took {} ms, peak memory {}",
        started.elapsed().as_millis(),
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
    match outcome {
        Ok(Some(output)) => print_output(output),
        Ok(None) => ExitCode::SUCCESS,
        Err(err) => report_failure(&root, Some(&invocation), name, &err),
    }
}

/// BILLmanager's dashboard problem of the module: registered when DCImanager refused the
/// module's login or could not be reached, cleared once a run's session is accepted again.
/// Commands that never read a module (check_connection and the wizard test typed credentials)
/// leave it alone.
fn settle_connection_problem(root: &MgrRoot, outcome: &anyhow::Result<Option<commands::Output>>) {
    let Some((module, name)) = effects::service::loaded_module() else {
        return;
    };
    match outcome {
        Err(err)
            if matches!(
                classify(err).0,
                ErrorKind::InvalidLogin | ErrorKind::Unreachable
            ) =>
        {
            problems::register(root, *module, name, &logging::redact(&format!("{err:#}")));
        }
        _ if dci::client::session_accepted() => problems::clear(root, *module),
        _ => {}
    }
}

/// Prints a command's answer; a report whose verdict is a failure exits 1.
fn print_output(output: commands::Output) -> ExitCode {
    match output {
        commands::Output::Xml(document) => print_document(&document),
        commands::Output::Text(text) => print!("{text}"),
        commands::Output::Failed(report) => {
            print_output(*report);
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// Writes a document to stdout. A closed stdout (BILLmanager gone) leaves nothing to tell.
fn print_document(document: &Element) {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if let Err(err) = document.write_document(&mut out).and_then(|()| out.flush()) {
        log::warn!("could not write the answer to stdout: {err}");
    }
}

/// The process's peak resident memory (Linux `VmHWM`), for the log and the benchmarks.
fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.trim_start_matches("VmHWM:").trim().to_string())
}

fn describe(invocation: &Invocation) -> String {
    let mut text = String::new();
    if let Some(item) = invocation.command.item() {
        text.push_str(&format!(" for item {item}"));
    }
    if let Some(module) = invocation.command.module() {
        text.push_str(&format!(" for module {module}"));
    }
    if let Some(ro) = invocation.running_operation {
        text.push_str(&format!(", running operation {ro}"));
    }
    if invocation.dry_run {
        text.push_str(" (dry run)");
    }
    text
}

/// The one place a failure becomes what BILLmanager expects: a log line, the hand-off to staff
/// the error carries (a task, the running operation switched to manual; none in a dry run),
/// error XML on stdout, the error recorded on the running operation, exit status 1.
fn report_failure(
    root: &MgrRoot,
    invocation: Option<&Invocation>,
    what: &str,
    err: &anyhow::Error,
) -> ExitCode {
    let (kind, object) = classify(err);
    let message = logging::redact(&format!("{err:#}"));
    log::error!("{what} failed ({}): {message}", kind.error_type());
    if let Some(invocation) = invocation
        && !invocation.dry_run
        && let Some(hand_off) = hand_off(err)
        && let Err(err) = Mgrctl::new(root).hand_to_staff(
            &hand_off.command,
            hand_off.item,
            invocation.running_operation,
            &logging::redact(&hand_off.text),
        )
    {
        log::error!("could not create the task for staff: {err:#}");
    }
    let document = error_document(kind.error_type(), &object, &message);
    print_document(&document);
    if let Some(invocation) = invocation
        && let Some(ro) = invocation.running_operation
    {
        record_on_running_operation(root, invocation, ro, &document);
    }
    ExitCode::FAILURE
}

/// BILLmanager shows the error of a running operation to staff and retries it later; the error
/// names the processing module and carries this run's last log lines (secrets masked).
fn record_on_running_operation(
    root: &MgrRoot,
    invocation: &Invocation,
    running_operation: u64,
    document: &Element,
) {
    let elid = running_operation.to_string();
    let loaded = effects::service::loaded_module();
    let id = loaded
        .map(|(id, _)| *id)
        .or_else(|| invocation.command.module());
    let name = loaded.map(|(_, name)| name.as_str());
    let date = logging::date_time(std::time::SystemTime::now());
    let errorxml =
        protocol::xml::running_operation_error(&date, id, name, document, &logging::tail())
            .to_xml();
    if let Err(err) = Mgrctl::new(root).call(
        "runningoperation.edit",
        &[("sok", "ok"), ("elid", &elid), ("errorxml", &errorxml)],
    ) {
        log::error!("could not record the error on running operation {running_operation}: {err:#}");
    }
}
