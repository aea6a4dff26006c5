//! Calls into BILLmanager's API through `sbin/mgrctl`: the callbacks that report work done
//! (`service.postopen`, `service.saveparam`, `task.edit`, ...) and `paramlist`, which tells
//! where the database and the crypt key are.
//!
//! Modules write to BILLmanager only this way (spec §4, §5). Every call is logged with its
//! duration; values of password params are masked and long values (error XML, config) shortened.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::db::DbParams;
use super::logging;
use super::paths::MgrRoot;
use crate::protocol::error::{ErrorKind, ModuleError};
use crate::protocol::xml::Element;

/// Values longer than this are shortened in the log.
const LOGGED_VALUE_MAX: usize = 120;

/// BILLmanager's `mgrctl -m billmgr`, run from the mgr5 root.
#[derive(Debug, Clone)]
pub struct Mgrctl {
    root: MgrRoot,
}

/// What `paramlist` says about BILLmanager's installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillmgrParams {
    pub db: DbParams,
    /// The key that decrypts crypted params, resolved against the mgr5 root.
    pub crypt_key: PathBuf,
}

impl Mgrctl {
    pub fn new(root: &MgrRoot) -> Mgrctl {
        Mgrctl { root: root.clone() }
    }

    /// A task for the module's department, so staff see what to do by hand; and the running
    /// operation switched to manual so BILLmanager stops retrying it.
    pub fn hand_to_staff(
        &self,
        command: &str,
        item: u64,
        running_operation: Option<u64>,
        text: &str,
    ) -> Result<()> {
        let item_id = item.to_string();
        if let Some(ro) = running_operation {
            self.call("runningoperation.setmanual", &[("elid", &ro.to_string())])
                .context("switching the running operation to manual")?;
        }
        let answer = self
            .call(
                "task.gettype",
                &[("operation", command), ("item", &item_id)],
            )
            .context("asking BILLmanager for the task type")?;
        let Some(task_type) = find_value(&answer, "task_type")?.filter(|t| !t.is_empty()) else {
            log::warn!(
                "BILLmanager has no task type for '{command}'; no task created. For staff: {text}"
            );
            return Ok(());
        };
        let ro = running_operation.map(|r| r.to_string()).unwrap_or_default();
        self.call(
            "task.edit",
            &[
                ("sok", "ok"),
                ("item", &item_id),
                ("runningoperation", &ro),
                ("type", &task_type),
                ("params", text),
            ],
        )
        .map(drop)
        .context("creating the task for staff")
    }

    /// Runs `sbin/mgrctl -m billmgr -o xml <func> k=v ...` and returns its XML answer.
    /// A non-zero exit or an `<error>` in the answer is a [`ErrorKind::Mgrctl`] error naming
    /// the function and BILLmanager's message.
    pub fn call(&self, func: &str, params: &[(&str, &str)]) -> Result<String> {
        let object = format!("mgrctl {func}");
        let started = Instant::now();
        let output = Command::new(self.root.mgrctl())
            .current_dir(self.root.path())
            // Shown by BILLmanager in place of a client address in its own log.
            .env("SSH_CONNECTION", "pmdci6")
            .args(["-m", "billmgr", "-o", "xml", func])
            .args(params.iter().map(|(name, value)| format!("{name}={value}")))
            .stdin(Stdio::null())
            .output()
            .map_err(|err| {
                ModuleError::new(
                    ErrorKind::Mgrctl,
                    &object,
                    format!(
                        "cannot run {} for {func}: {err}",
                        self.root.mgrctl().display()
                    ),
                )
            })?;
        let millis = started.elapsed().as_millis();
        let answer = String::from_utf8_lossy(&output.stdout).into_owned();
        let parsed = parse_xml(&answer);
        let answer_error = parsed.as_ref().ok().and_then(error_message);
        let failed = !output.status.success() || answer_error.is_some();
        let outcome = if failed { "failed" } else { "ok" };
        log::info!(
            "mgrctl {} → {outcome} in {millis} ms",
            describe_call(func, params)
        );
        // paramlist's answer holds the database password (XML-escaped, so the log's secret
        // masking could not catch it): never logged.
        if func != "paramlist" {
            log::debug!("mgrctl {func} answer: {}", shorten(answer.trim()));
        }
        if !failed {
            return match parsed {
                Ok(_) => Ok(answer),
                // `-o xml` always answers a document: anything else is BILLmanager's (or a
                // wrapper's) fault, not the module's, and the administrator looks there.
                Err(err) => Err(ModuleError::new(
                    ErrorKind::Mgrctl,
                    object,
                    format!(
                        "BILLmanager's answer to {func} is not XML ({err:#}){}; run `{} -m billmgr -o xml {func}` \
                         to see what it prints",
                        match func {
                            "paramlist" => String::new(),
                            _ => format!(": {}", shorten(answer.trim())),
                        },
                        self.root.mgrctl().display()
                    ),
                )
                .into()),
            };
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = answer_error
            .or_else(|| Some(stderr.trim().to_owned()).filter(|s| !s.is_empty()))
            .unwrap_or_else(|| format!("exited with {}", output.status));
        Err(ModuleError::new(
            ErrorKind::Mgrctl,
            object,
            format!("BILLmanager refused {func}: {reason}"),
        )
        .into())
    }

    /// Where the database is and which key decrypts crypted params (`mgrctl paramlist`), with
    /// the C++ base's defaults for anything absent. The database password is registered as a
    /// log secret.
    pub fn paramlist(&self) -> Result<BillmgrParams> {
        let answer = self.call("paramlist", &[])?;
        let params = paramlist_from_answer(&answer, &self.root)?;
        logging::register_secret(&params.db.password);
        Ok(params)
    }
}

/// `paramlist`'s answer: `<doc><elem><DBHost>..</DBHost></elem>..</doc>`, one param per `elem`
/// or several in one; both are read the same way.
fn paramlist_from_answer(answer: &str, root: &MgrRoot) -> Result<BillmgrParams> {
    let doc = parse_xml(answer).context("reading the answer of mgrctl paramlist")?;
    let value = |name: &str| find_text(&doc, name).filter(|v| !v.is_empty());
    let host = value("DBHost").unwrap_or_else(|| "localhost".to_owned());
    let (host, port) = split_host_port(&host).map_err(|reason| {
        ModuleError::new(
            ErrorKind::Database,
            "paramlist DBHost",
            format!("BILLmanager's DBHost {host:?}: {reason}"),
        )
    })?;
    Ok(BillmgrParams {
        db: DbParams {
            host,
            port,
            user: value("DBUser").unwrap_or_else(|| "root".to_owned()),
            password: value("DBPassword").unwrap_or_default(),
            name: value("DBName").unwrap_or_else(|| "billmgr".to_owned()),
            socket: value("DBSocket"),
        },
        crypt_key: root.resolve(value("CryptKey").unwrap_or_else(|| "etc/billmgr.pem".to_owned())),
    })
}

/// `host`, `host:port`, `[v6]:port` or a bare IPv6 address.
fn split_host_port(text: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("unclosed '['")?;
        (host, after.strip_prefix(':'))
    } else if text.matches(':').count() == 1 {
        let (host, port) = text.split_once(':').ok_or("no port")?;
        (host, Some(port))
    } else {
        (text, None)
    };
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .map_err(|_| format!("{p:?} is not a port number"))
        })
        .transpose()?;
    Ok((host.to_owned(), port))
}

/// The text of the first element named `name`, anywhere in an XML answer (`task_type` of
/// `task.gettype`, an `id` of an `edit`, ...). `None` when there is no such element.
pub fn find_value(xml: &str, name: &str) -> Result<Option<String>> {
    let doc =
        parse_xml(xml).with_context(|| format!("looking for <{name}> in BILLmanager's answer"))?;
    Ok(find_text(&doc, name))
}

/// The text of the element at `path` from the root (`["doc", "item", "pricelist"]`), in an XML
/// document BILLmanager wrote (an answer, or what a command reads on stdin). `None` when there
/// is no such element.
pub fn text_at(xml: &str, path: &[&str]) -> Result<Option<String>> {
    let doc = parse_xml(xml)?;
    let Some((root, rest)) = path.split_first() else {
        return Ok(None);
    };
    if doc.name != *root {
        return Ok(None);
    }
    let mut element = &doc;
    for name in rest {
        match element.children.iter().find(|c| c.name == *name) {
            Some(child) => element = child,
            None => return Ok(None),
        }
    }
    Ok(Some(element.text.clone()))
}

fn find_text(element: &Element, name: &str) -> Option<String> {
    if element.name == name {
        return Some(element.text.clone());
    }
    element
        .children
        .iter()
        .find_map(|child| find_text(child, name))
}

/// BILLmanager's message for an `<error>` in an answer: its `<msg>`, else its type, object and
/// `value` param.
fn error_message(doc: &Element) -> Option<String> {
    let error = find_element(doc, "error")?;
    if let Some(msg) = find_text(error, "msg").filter(|m| !m.trim().is_empty()) {
        return Some(msg.trim().to_owned());
    }
    let attr = |name: &str| {
        error
            .attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut message = format!("error {}", attr("type").unwrap_or("unknown"));
    if let Some(object) = attr("object").filter(|o| !o.is_empty()) {
        message.push_str(&format!(" on {object}"));
    }
    let value = error
        .children
        .iter()
        .find(|c| c.name == "param" && c.attrs.iter().any(|(k, v)| k == "name" && v == "value"));
    if let Some(value) = value.filter(|v| !v.text.trim().is_empty()) {
        message.push_str(&format!(": {}", value.text.trim()));
    }
    Some(message)
}

fn find_element<'a>(element: &'a Element, name: &str) -> Option<&'a Element> {
    if element.name == name {
        return Some(element);
    }
    element
        .children
        .iter()
        .find_map(|child| find_element(child, name))
}

/// The root element of an XML document. Text is kept exactly (no trimming: a password may
/// start or end with a space), references resolved, CDATA taken as text.
fn parse_xml(xml: &str) -> Result<Element> {
    let mut reader = Reader::from_str(xml);
    let mut open: Vec<Element> = Vec::new();
    loop {
        let event = reader
            .read_event()
            .with_context(|| format!("malformed XML at byte {}", reader.error_position()))?;
        match event {
            Event::Start(start) => open.push(element_of(&start)?),
            Event::Empty(start) => {
                let element = element_of(&start)?;
                match open.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::End(_) => {
                let element = open.pop().context("malformed XML: unbalanced end tag")?;
                match open.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::Text(text) => {
                if let Some(current) = open.last_mut() {
                    current.text.push_str(&text.decode()?);
                }
            }
            Event::CData(cdata) => {
                if let Some(current) = open.last_mut() {
                    current.text.push_str(&cdata.decode()?);
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(current) = open.last_mut() {
                    let entity = format!("&{};", reference.decode()?);
                    current
                        .text
                        .push_str(&quick_xml::escape::unescape(&entity)?);
                }
            }
            Event::Eof => anyhow::bail!("malformed XML: no root element or unclosed elements"),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
}

fn element_of(start: &BytesStart) -> Result<Element> {
    let mut element = Element::new(String::from_utf8_lossy(start.name().as_ref()).into_owned());
    for attr in start.attributes() {
        let attr = attr?;
        let name = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        element
            .attrs
            .push((name.into(), attr.unescape_value()?.into_owned()));
    }
    Ok(element)
}

/// `func name=value ...` for the log: passwords (and the value of a crypted `saveparam`)
/// masked, long values shortened.
fn describe_call(func: &str, params: &[(&str, &str)]) -> String {
    let crypted = params
        .iter()
        .any(|&(name, value)| name == "crypted" && value == "on");
    let mut text = func.to_owned();
    for &(name, value) in params {
        let secret = name.to_ascii_lowercase().contains("password") || (crypted && name == "value");
        let shown = if secret {
            "***".to_owned()
        } else {
            shorten(value)
        };
        text.push_str(&format!(" {name}={shown}"));
    }
    text
}

/// At most [`LOGGED_VALUE_MAX`] characters on one line, with the full length when cut.
fn shorten(value: &str) -> String {
    let one_line = value.replace(['\n', '\r'], " ");
    let length = one_line.chars().count();
    if length <= LOGGED_VALUE_MAX {
        return one_line;
    }
    let head: String = one_line.chars().take(LOGGED_VALUE_MAX).collect();
    format!("{head}… ({length} chars)")
}

#[cfg(test)]
#[path = "mgrctl_tests.rs"]
mod tests;
