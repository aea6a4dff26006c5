//! pmdci6: the BILLmanager processing module that sells dedicated servers out of DCImanager 6.
//!
//! `main` only collects the arguments; `run` turns every outcome into what BILLmanager expects,
//! in one place: XML on stdout, a log line, and exit status 0 or 1.

mod billmgr;
mod commands;
mod dci;
mod protocol;
mod provision;

use std::process::ExitCode;

use protocol::args::{self, Parsed};
use protocol::error::classify;
use protocol::xml::error_document;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    run(&args)
}

fn run(args: &[String]) -> ExitCode {
    match args::parse(args) {
        Ok(Parsed::Print(text)) => {
            eprint!("{text}");
            ExitCode::SUCCESS
        }
        Ok(Parsed::Run(_invocation)) => ExitCode::SUCCESS,
        Err(err) => {
            let (kind, object) = classify(&err);
            print!("{}", error_document(kind.error_type(), &object, &format!("{err:#}")).to_document());
            ExitCode::FAILURE
        }
    }
}
