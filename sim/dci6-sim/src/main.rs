//! `dci6-sim`: runs the DCImanager 6 simulator until killed, for the demo and for tests that
//! drive it as a separate process.
//!
//! Its first line on stdout is `listening on http://127.0.0.1:PORT`.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use dci6_sim::{Dialect, Inventory, Sim, SimOptions};

const USAGE: &str = "\
usage: dci6-sim (--inventory FILE | --generated N) [--dialect D] [--listen ADDR]
                [--operation-ms N] [--token-ttl-s N]
       dci6-sim --print-openapi [--dialect D]

  --inventory FILE    the installation to simulate (JSON, see README.md)
  --generated N       a generated installation of N servers instead
  --dialect D         the API's names and shapes: default or platform (default: default)
  --print-openapi     print the dialect's OpenAPI document (JSON) and exit
  --listen ADDR       address to listen on (default 127.0.0.1:0, a free port)
  --operation-ms N    duration of OS installs and diagnostics (default 300)
  --token-ttl-s N     session lifetime without use, in seconds (default 3600)

Prints `listening on http://HOST:PORT` first, then serves until killed.
Control calls: GET /_sim/requests, DELETE /_sim/requests, POST /_sim/fault, GET /_sim/state.";

enum Source {
    File(String),
    Generated(usize),
}

enum Run {
    Serve { source: Source, options: SimOptions },
    PrintOpenapi(Dialect),
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> anyhow::Result<T> {
    value
        .parse()
        .map_err(|_| anyhow::anyhow!("{flag} needs a number, got {value:?}"))
}

/// `None` for `--help`.
fn parse(args: impl IntoIterator<Item = String>) -> anyhow::Result<Option<Run>> {
    let mut source = None;
    let mut print_openapi = false;
    let mut options = SimOptions::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
            None => (arg, None),
        };
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        if flag == "--print-openapi" && inline.is_none() {
            print_openapi = true;
            continue;
        }
        let value = match inline {
            Some(value) => value,
            None => args
                .next()
                .with_context(|| format!("{flag} needs a value"))?,
        };
        match flag.as_str() {
            "--inventory" => source = Some(Source::File(value)),
            "--dialect" => options.dialect = value.parse().map_err(|e| anyhow::anyhow!("{e}"))?,
            "--generated" => source = Some(Source::Generated(number(&flag, &value)?)),
            "--listen" => {
                options.listen = value
                    .parse::<SocketAddr>()
                    .with_context(|| format!("--listen needs HOST:PORT, got {value:?}"))?
            }
            "--operation-ms" => {
                options.operation_duration = Duration::from_millis(number(&flag, &value)?)
            }
            "--token-ttl-s" => options.token_ttl = Duration::from_secs(number(&flag, &value)?),
            other => bail!("unknown option {other}"),
        }
    }
    if print_openapi {
        return Ok(Some(Run::PrintOpenapi(options.dialect)));
    }
    let source = source.context("--inventory FILE or --generated N is required")?;
    Ok(Some(Run::Serve { source, options }))
}

fn run() -> anyhow::Result<()> {
    let (source, options) = match parse(std::env::args().skip(1))? {
        None => {
            println!("{USAGE}");
            return Ok(());
        }
        Some(Run::PrintOpenapi(dialect)) => {
            let text = serde_json::to_string_pretty(&dialect.openapi())
                .context("writing the OpenAPI document")?;
            writeln!(std::io::stdout(), "{text}").context("writing to stdout")?;
            return Ok(());
        }
        Some(Run::Serve { source, options }) => (source, options),
    };
    let inventory = match &source {
        Source::File(path) => Inventory::from_file(path)?,
        Source::Generated(servers) => Inventory::generated(*servers),
    };
    let sim = Sim::start(inventory, options)?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {}", sim.base_url()).context("writing to stdout")?;
    stdout.flush().context("writing to stdout")?;
    loop {
        std::thread::park();
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("dci6-sim: error: {error:#}");
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
