//! pmdci6: the BILLmanager processing module that sells dedicated servers out of DCImanager 6.
//!
//! `main` only collects the arguments; `run` turns every outcome into what BILLmanager expects,
//! in one place: XML on stdout, a log line, the error on the running operation, exit 0 or 1.

mod billmgr;
mod commands;
mod dci;
mod protocol;
mod provision;

use std::process::ExitCode;

use billmgr::logging;
use billmgr::mgrctl::Mgrctl;
use billmgr::paths::MgrRoot;
use protocol::args::{self, Invocation, Parsed};
use protocol::error::classify;
use protocol::xml::{Element, error_document};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // A panic is a bug, but BILLmanager must still get error XML and exit 1, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        log::error!("internal error (a bug in pmdci6): {info}")
    }));
    std::panic::catch_unwind(|| run(&args)).unwrap_or_else(|_| {
        print!(
            "{}",
            error_document(
                "internal",
                "module",
                "internal error (a bug in pmdci6); see var/pmdci6.log"
            )
            .to_document()
        );
        ExitCode::FAILURE
    })
}

fn run(args: &[String]) -> ExitCode {
    let root = MgrRoot::from_env();
    if root.do_nothing().exists() {
        // BILLmanager's maintenance switch: modules must not act, and must not fail either.
        return ExitCode::SUCCESS;
    }
    logging::init(&root);
    let invocation = match args::parse(args) {
        Ok(Parsed::Run(invocation)) => invocation,
        Ok(Parsed::Print(text)) => {
            eprint!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(err) => return report_failure(&root, None, "command line", &err),
    };
    if !invocation.ignored.is_empty() {
        log::debug!("ignored options: {}", invocation.ignored.join(", "));
    }
    let name = invocation.command.name();
    log::info!("{name} started{}", describe(&invocation));
    match commands::run(&root, &invocation) {
        Ok(output) => {
            match output {
                Some(commands::Output::Xml(document)) => print!("{}", document.to_document()),
                Some(commands::Output::Text(text)) => print!("{text}"),
                None => {}
            }
            log::info!("{name} finished");
            ExitCode::SUCCESS
        }
        Err(err) => report_failure(&root, Some(&invocation), name, &err),
    }
}

fn describe(invocation: &Invocation) -> String {
    let mut text = String::new();
    if let Some(item) = invocation.command.item() {
        text.push_str(&format!(" for item {item}"));
    }
    if let Some(ro) = invocation.running_operation {
        text.push_str(&format!(", running operation {ro}"));
    }
    if invocation.dry_run {
        text.push_str(" (dry run)");
    }
    text
}

/// The one place a failure becomes what BILLmanager expects: error XML on stdout, a log line,
/// the error recorded on the running operation, exit status 1.
fn report_failure(
    root: &MgrRoot,
    invocation: Option<&Invocation>,
    what: &str,
    err: &anyhow::Error,
) -> ExitCode {
    let (kind, object) = classify(err);
    let message = logging::redact(&format!("{err:#}"));
    log::error!("{what} failed ({}): {message}", kind.error_type());
    let document = error_document(kind.error_type(), &object, &message);
    print!("{}", document.to_document());
    if let Some(ro) = invocation.and_then(|i| i.running_operation) {
        record_on_running_operation(root, ro, &document);
    }
    ExitCode::FAILURE
}

/// BILLmanager shows the error of a running operation to staff and retries it later.
fn record_on_running_operation(root: &MgrRoot, running_operation: u64, document: &Element) {
    let elid = running_operation.to_string();
    let errorxml = document.to_xml();
    if let Err(err) = Mgrctl::new(root).call(
        "runningoperation.edit",
        &[("sok", "ok"), ("elid", &elid), ("errorxml", &errorxml)],
    ) {
        log::error!("could not record the error on running operation {running_operation}: {err:#}");
    }
}
