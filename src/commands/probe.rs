//! `probe --module N [--format text] [--swagger FILE]`: the module's DCImanager contract
//! (`etc/pmdci6-dcimanager.toml` over the built-in one) against the installation, for an
//! administrator connecting a real DCImanager (README, "Connecting a real DCImanager").
//!
//! Read-only: after the login it sends GET requests only (`Client::fetch` refuses anything
//! else). It reads every list and object the contract can read and judges each answer field and
//! each vocabulary by what it saw ([`conformance::check_answers`]); what it cannot call (every
//! change) it checks against the OpenAPI document an administrator exports from the
//! installation's `/swagger/`, when given. Exit 0 only when everything checked holds. Not a
//! BILLmanager feature.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use super::CommandContext;
use serde_json::{Value, json};

use super::Output;
use crate::dci::client::Client;
use crate::dci::conformance::{self, Finding, Observed, Verdict};
use crate::dci::contract::{ANSWERS, Contract, Method};
use crate::dci::filter::{Filter, Literal};
use crate::effects::service::{Billing, load_module};
use crate::effects::session::dci_client;
use crate::protocol::args::Format;
use crate::protocol::error::{ErrorKind, ModuleError};
use crate::protocol::xml::Element;
use crate::provision::calendar::Day;

/// Objects read per list: enough to see every shape and word in use, one page each.
const SAMPLE: u32 = 500;

/// The reads, in order: (request, kind of its objects, a list).
const READS: &[(&str, &str, bool)] = &[
    ("servers", "server", true),
    ("configurations", "configuration", true),
    ("users", "user", true),
    ("locations", "location", true),
    ("location", "location", false),
    ("rack", "rack", false),
    ("pools", "pool", true),
    ("pool_settings", "pool_settings", false),
    ("os_templates", "os_template", true),
    ("scripts", "script", true),
    ("traffic", "traffic", true),
];

pub fn run(ctx: &CommandContext<u64>, swagger: Option<&Path>) -> Result<Output> {
    let (root, module_id) = (ctx.root, ctx.target);
    // Read first: a document that cannot be used fails before anything is asked of DCImanager.
    let swagger = swagger.map(read_swagger).transpose()?;
    let mut billing = Billing::connect(root)?;
    let (module, connection) = load_module(&mut billing, module_id)?;
    // A fresh login: the point is to check this installation as the contract calls it.
    let client = dci_client(root, &connection, None)?;
    client.login()?;
    let contract = client.contract();
    let mut findings = vec![Finding {
        entry: "requests.login".into(),
        verdict: Verdict::Holds,
        detail: format!("logged in to {} as {}", client.host(), connection.username),
    }];
    let mut observed = Observed::default();
    let mut rack = None;
    for (name, kind, listed) in READS {
        let values: Vec<(&str, Value)> = match *name {
            "location" => vec![("location", json!(connection.location))],
            "rack" => match rack {
                Some(id) => vec![("rack", json!(id))],
                None => {
                    findings.push(not_checked(name, "no listed server names a rack id"));
                    continue;
                }
            },
            _ => Vec::new(),
        };
        let mut query = Vec::new();
        if *name == "os_templates" {
            let filter = Filter::eq(contract.field("location_id"), connection.location.into());
            query.push(("where", filter.to_string()));
        }
        if *name == "traffic" {
            let today = Day::of(std::time::SystemTime::now()).to_string();
            let filter = Filter::eq(contract.field("date"), Literal::string(&today)?);
            query.push(("where", filter.to_string()));
        }
        if *listed {
            query.push(("limit", format!("0,{SAMPLE}")));
        }
        let answer = match client.fetch(name, &values, query) {
            Ok(answer) => answer,
            Err(err) => {
                findings.push(Finding {
                    entry: format!("requests.{name}"),
                    verdict: Verdict::Differs,
                    detail: format!("{err:#}"),
                });
                continue;
            }
        };
        let objects = if *listed {
            observed.add(contract, "list", vec![answer.clone()]);
            match contract
                .pointer("list", "items")
                .and_then(|p| answer.pointer(p))
            {
                Some(Value::Array(items)) => items.clone(),
                _ => {
                    findings.push(Finding {
                        entry: format!("requests.{name}"),
                        verdict: Verdict::Differs,
                        detail: "answered, but answers.list.items finds no array in the answer"
                            .into(),
                    });
                    continue;
                }
            }
        } else {
            vec![answer]
        };
        if *kind == "server" {
            rack = contract.pointer("server", "rack.id").and_then(|pointer| {
                objects
                    .iter()
                    .find_map(|server| server.pointer(pointer).and_then(Value::as_u64))
            });
        }
        findings.push(Finding {
            entry: format!("requests.{name}"),
            verdict: Verdict::Holds,
            detail: match listed {
                true => format!("answered a list of {}", objects.len()),
                false => "answered an object".into(),
            },
        });
        observed.add(contract, kind, objects);
    }
    findings.extend(conformance::check_answers(contract, &observed));
    findings.extend(unread(contract, &observed, swagger.is_some()));
    if let Some(swagger) = &swagger {
        findings.extend(conformance::check_swagger(contract, swagger));
    }
    log_summary(&client, module.id, &findings);
    let all_hold = findings.iter().all(|f| f.verdict != Verdict::Differs);
    let output = match ctx.format {
        Format::Text => Output::Text(text(contract, module.id, &findings)),
        Format::Xml => Output::Xml(xml(contract, module.id, &findings)),
    };
    Ok(match all_hold {
        true => output,
        false => Output::Failed(Box::new(output)),
    })
}

fn not_checked(name: &str, why: &str) -> Finding {
    Finding {
        entry: format!("requests.{name}"),
        verdict: Verdict::NotChecked,
        detail: why.into(),
    }
}

/// The requests that change DCImanager and the answers only they give: not called by probe.
fn unread(contract: &Contract, observed: &Observed, swagger: bool) -> Vec<Finding> {
    let why = match swagger {
        true => "changes DCImanager: checked against the swagger document only",
        false => "changes DCImanager: not called; give --swagger to check it",
    };
    let requests = contract
        .requests()
        .filter(|(name, entry)| entry.method != Method::Get && *name != "login")
        .map(|(name, _)| not_checked(name, why));
    let answers = ANSWERS
        .iter()
        .filter(|(kind, _)| !observed.objects.contains_key(kind))
        .map(|(kind, _)| Finding {
            entry: format!("answers.{kind}"),
            verdict: Verdict::NotChecked,
            detail: "the answer of a change, of an error or of the login: not read by probe".into(),
        });
    requests.chain(answers).collect()
}

fn read_swagger(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the swagger document {}", path.display()))
        .map_err(|err| {
            ModuleError::new(
                ErrorKind::Usage,
                path.display().to_string(),
                format!("{err:#}"),
            )
        })?;
    serde_json::from_str(&text).map_err(|err| {
        ModuleError::new(
            ErrorKind::Usage,
            path.display().to_string(),
            format!(
                "the swagger document {} is not JSON ({err}): export the OpenAPI JSON from DCImanager's /swagger/",
                path.display()
            ),
        )
        .into()
    })
}

fn counts(findings: &[Finding]) -> [usize; 3] {
    let count = |verdict| findings.iter().filter(|f| f.verdict == verdict).count();
    [
        count(Verdict::Holds),
        count(Verdict::Differs),
        count(Verdict::NotChecked),
    ]
}

fn log_summary(client: &Client, module: u64, findings: &[Finding]) {
    let [holds, differs, unchecked] = counts(findings);
    log::info!(
        "probe of module {module}: {holds} hold, {differs} differ, {unchecked} not checked, in {} requests",
        client.requests_made()
    );
    for finding in findings.iter().filter(|f| f.verdict == Verdict::Differs) {
        log::warn!("probe: {} differs: {}", finding.entry, finding.detail);
    }
}

fn text(contract: &Contract, module: u64, findings: &[Finding]) -> String {
    let mut text = format!(
        "DCImanager contract of module {module}: {}\n\n",
        contract.source
    );
    for finding in findings {
        let _ = writeln!(
            text,
            "{:<12} {:<48} {}",
            finding.verdict.to_string(),
            finding.entry,
            finding.detail
        );
    }
    let [holds, differs, unchecked] = counts(findings);
    let _ = writeln!(
        text,
        "\n{holds} hold, {differs} differ, {unchecked} not checked"
    );
    text
}

fn xml(contract: &Contract, module: u64, findings: &[Finding]) -> Element {
    let [holds, differs, unchecked] = counts(findings);
    let mut probe = Element::new("probe")
        .attr("module", module.to_string())
        .attr("contract", contract.source.clone())
        .attr("holds", holds.to_string())
        .attr("differs", differs.to_string())
        .attr("notchecked", unchecked.to_string());
    for finding in findings {
        probe = probe.child(
            Element::new("entry")
                .attr("name", finding.entry.clone())
                .attr("verdict", finding.verdict.to_string())
                .text(finding.detail.clone()),
        );
    }
    Element::new("doc").child(probe)
}
