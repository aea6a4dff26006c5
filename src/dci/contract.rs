//! The DCImanager contract as data: `etc/pmdci6-dcimanager.toml`, compiled in as the default,
//! with a file of the same name in the mgr5 root's `etc/` replacing entries at run time.
//!
//! Much of DCImanager 6's API is modelled rather than confirmed (README, "Connecting a real
//! DCImanager"), so the first provider to connect a real installation meets mismatches. Keeping
//! every route, body, answer field and word in one file an administrator edits makes each
//! mismatch one edit instead of a rebuild. The module's own types (`api.rs`) stay its vocabulary;
//! [`super::adapter`] turns answers into them and them into requests through this contract.
//!
//! What the module can ask for is fixed here ([`REQUESTS`], [`ANSWERS`], [`WORDS`], ...): a file
//! naming an entry or a placeholder the module does not know is an error naming the file, the
//! line and the entry, before any request is made.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use anyhow::Result;
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use crate::protocol::error::{ErrorKind, ModuleError};

/// The name of the contract file, in the project's `etc/` and in the mgr5 root's `etc/`.
pub const FILE_NAME: &str = "pmdci6-dcimanager.toml";

const DEFAULT_TEXT: &str = include_str!("../../etc/pmdci6-dcimanager.toml");

/// Every request the module makes, with the placeholders it gives.
pub const REQUESTS: &[(&str, &[&str])] = &[
    ("login", &["email", "password"]),
    ("logout", &["token"]),
    ("user_key", &["user"]),
    ("location", &["location"]),
    ("locations", &[]),
    ("rack", &["rack"]),
    ("servers", &[]),
    ("configurations", &[]),
    ("users", &[]),
    (
        "create_user",
        &["email", "full_name", "password", "phone_number", "role"],
    ),
    ("pools", &[]),
    ("pool_settings", &[]),
    ("os_templates", &[]),
    ("scripts", &[]),
    ("set_owner", &["server", "user"]),
    ("remove_owner", &["server", "user"]),
    (
        "edit_server",
        &["server", "domain", "notes", "maintenance_mode"],
    ),
    ("set_port", &["server", "connection", "admin_status"]),
    ("add_ipv4", &["server", "pool", "count"]),
    ("add_ipv6", &["server", "pool", "count"]),
    ("remove_ip", &["server", "ip"]),
    (
        "os_install",
        &[
            "server", "template", "password", "domain", "scripts", "ssh_keys",
        ],
    ),
    ("diagnostics", &["server", "disk_cleanup"]),
    ("stop_operation", &["server"]),
    ("power_on", &["server"]),
    ("power_off", &["server"]),
    ("power_reset", &["server"]),
    ("traffic", &[]),
];

/// Every kind of answer the module reads, with its fields (dotted: a nested object's).
pub const ANSWERS: &[(&str, &[&str])] = &[
    ("list", &["items", "size"]),
    ("error", &["code", "msg"]),
    ("token", &["token", "expires_at"]),
    ("key", &["key"]),
    ("created", &["id"]),
    ("action", &["operation_id"]),
    ("added_ips", &["ip"]),
    (
        "server",
        &[
            "id",
            "name",
            "domain",
            "location_id",
            "rack.id",
            "rack.name",
            "configuration",
            "owner_email",
            "owner.id",
            "owner.email",
            "is_new",
            "diagnostics.status",
            "operation.id",
            "operation.status",
            "operation.progress",
            "maintenance_mode",
            "in_operation",
            "power_status",
            "mac_addresses",
            "errors.diagnostics",
            "errors.status",
            "os_template.id",
            "os_template.name",
            "ip",
            "switch_connection",
            "notes",
        ],
    ),
    (
        "ip",
        &["id", "name", "family", "gateway", "network", "pool"],
    ),
    (
        "switch_connection",
        &[
            "id",
            "switch",
            "description",
            "admin_status",
            "oper_status",
            "is_ipmi_connection",
        ],
    ),
    ("configuration", &["configuration", "free_server_count"]),
    ("user", &["id", "email", "server_count", "roles"]),
    ("location", &["id", "name", "ippool"]),
    ("rack", &["id", "name", "location_id", "ippool"]),
    ("pool", &["id", "name", "families", "free_ipv4"]),
    ("pool_settings", &["allocation", "deallocation"]),
    ("os_template", &["id", "name", "access", "location_id"]),
    ("script", &["id", "name", "access"]),
    (
        "traffic",
        &["server", "connection", "date", "received", "sent"],
    ),
];

/// Fields that hold arrays of another kind of object: (kind, field, kind of each item).
pub const NESTED: &[(&str, &str, &str)] = &[
    ("server", "ip", "ip"),
    ("server", "switch_connection", "switch_connection"),
    ("added_ips", "ip", "ip"),
];

/// Every vocabulary, with the module's words.
pub const WORDS: &[(&str, &[&str])] = &[
    ("operation_status", &["ok", "canceled", "running", "failed"]),
    (
        "diagnostics_status",
        &["ok", "running", "failed", "not_run"],
    ),
    ("power_status", &["on", "off"]),
    ("port_status", &["up", "down"]),
    ("access", &["all", "admin"]),
    ("family", &["ipv4", "ipv6"]),
];

/// Fields whose values are words: (kind, field, vocabulary).
pub const WORDED: &[(&str, &str, &str)] = &[
    ("server", "operation.status", "operation_status"),
    ("server", "diagnostics.status", "diagnostics_status"),
    ("server", "power_status", "power_status"),
    ("switch_connection", "admin_status", "port_status"),
    ("switch_connection", "oper_status", "port_status"),
    ("os_template", "access", "access"),
    ("script", "access", "access"),
    ("ip", "family", "family"),
    ("pool", "families", "family"),
];

/// Vocabularies where a value the contract does not list is read as the module's `unknown`
/// (an operation in an unknown state is not ok; an unknown access is not for everyone), rather
/// than failing the answer.
pub const TOLERANT: &[&str] = &[
    "operation_status",
    "diagnostics_status",
    "power_status",
    "access",
];

/// The names of `where` and `orderby` fields.
pub const FIELDS: &[&str] = &["id", "email", "location_id", "notes", "date"];

/// Pages of DCImanager's web interface, with their placeholders.
pub const PAGES: &[(&str, &[&str])] = &[("key_login", &["key"])];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// One request of the contract.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestEntry {
    pub method: Method,
    /// A template with `{name}` placeholders.
    pub path: String,
    /// A JSON template (see the file's header).
    pub body: Option<Value>,
}

/// The contract in force: the default with the administrator's file applied.
#[derive(Debug, Clone)]
pub struct Contract {
    pub(super) requests: BTreeMap<&'static str, RequestEntry>,
    /// kind → field → JSON pointer; `""` when this DCImanager does not give the field.
    pub(super) answers: BTreeMap<&'static str, BTreeMap<&'static str, String>>,
    /// vocabulary → word → DCImanager's values.
    pub(super) words: BTreeMap<&'static str, BTreeMap<&'static str, Vec<Value>>>,
    pub(super) fields: BTreeMap<&'static str, String>,
    pub(super) pages: BTreeMap<&'static str, String>,
    /// Kinds whose answers are already in the module's shape: read without translation.
    pub(super) as_is: BTreeSet<&'static str>,
    /// For every kind, how each field is brought into the module's shape.
    pub(super) plans: BTreeMap<&'static str, Vec<FieldPlan>>,
    /// Where the entries that differ from the default come from, for messages.
    pub source: String,
}

/// A table of the file, its keys kept with their places for messages.
type Table<T> = BTreeMap<Spanned<String>, T>;

/// How the adapter brings one field of an answer into the module's shape.
#[derive(Debug, Clone)]
pub(super) struct FieldPlan {
    /// The module's (dotted) name.
    pub field: &'static str,
    /// Where DCImanager has it (`""`: not given).
    pub pointer: String,
    /// Where the module's shape has it.
    pub canonical: String,
    /// The value is not where the module's shape has it.
    pub moves: bool,
    /// The place it comes from is also where the module's shape has another field: copied,
    /// not taken.
    pub shared_source: bool,
    /// Its values are words of this vocabulary, which differ from the module's.
    pub vocabulary: Option<&'static str>,
    /// It holds an array of objects of this kind.
    pub nested: Option<&'static str>,
}

/// The file as written: every table optional, every key kept with its place for messages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContractFile {
    #[serde(default)]
    requests: Table<Spanned<RequestFile>>,
    #[serde(default)]
    answers: Table<Table<Spanned<String>>>,
    #[serde(default)]
    words: Table<Table<Spanned<Vec<toml::Value>>>>,
    #[serde(default)]
    fields: Table<Spanned<String>>,
    #[serde(default)]
    pages: Table<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestFile {
    method: String,
    path: String,
    #[serde(default)]
    body: Option<String>,
}

/// A file being read: its name for messages and its text for line numbers.
struct Source<'a> {
    name: &'a str,
    text: &'a str,
}

impl Source<'_> {
    /// The entry `name` of a table of the file (`section`), with its names (placeholders,
    /// fields, words); an entry the module does not have is an error listing those it has.
    fn entry<'t>(
        &self,
        section: &str,
        table: &'t [(&'static str, &'t [&'static str])],
        name: &Spanned<String>,
    ) -> Result<(&'static str, &'t [&'static str])> {
        known(table, name.get_ref()).ok_or_else(|| {
            self.error(
                name.span(),
                &format!("{section}.{}", name.get_ref()),
                unknown_entry(table),
            )
        })
    }

    /// One of `names` (a field, a word), or an error saying `no_such` and listing them.
    fn member(
        &self,
        label: &str,
        no_such: &str,
        names: &[&'static str],
        name: &Spanned<String>,
    ) -> Result<&'static str> {
        names
            .iter()
            .find(|known| **known == name.get_ref().as_str())
            .copied()
            .ok_or_else(|| {
                self.error(
                    name.span(),
                    label,
                    format!("{no_such} (the module's: {})", names.join(", ")),
                )
            })
    }

    fn error(
        &self,
        span: std::ops::Range<usize>,
        entry: &str,
        what: impl AsRef<str>,
    ) -> anyhow::Error {
        let line = self.text[..span.start.min(self.text.len())]
            .matches('\n')
            .count()
            + 1;
        ModuleError::new(
            ErrorKind::ModuleConfig,
            format!("{} line {line}", self.name),
            format!(
                "DCImanager contract {}, line {line}, {entry}: {}",
                self.name,
                what.as_ref()
            ),
        )
        .into()
    }
}

impl Contract {
    /// The compiled-in contract (its correctness is a unit test).
    pub fn built_in() -> Arc<Contract> {
        static BUILT_IN: OnceLock<Arc<Contract>> = OnceLock::new();
        BUILT_IN
            .get_or_init(|| {
                let mut contract = Contract::empty("the built-in contract");
                let source = Source {
                    name: "the built-in contract",
                    text: DEFAULT_TEXT,
                };
                if let Err(err) = contract.apply(&source) {
                    // Covered by a unit test; never reached in a built module.
                    panic!("{err:#}");
                }
                contract.settle();
                Arc::new(contract)
            })
            .clone()
    }

    /// The built-in contract with the administrator's file `path` applied when it exists.
    pub fn load(path: &Path) -> Result<Arc<Contract>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Contract::built_in());
            }
            Err(err) => {
                return Err(ModuleError::new(
                    ErrorKind::ModuleConfig,
                    path.display().to_string(),
                    format!(
                        "cannot read the DCImanager contract {}: {err}",
                        path.display()
                    ),
                )
                .into());
            }
        };
        let name = path.display().to_string();
        Contract::with_file(&name, &text).map(Arc::new)
    }

    /// The built-in contract with the entries of `text` (the file `name`) applied.
    pub fn with_file(name: &str, text: &str) -> Result<Contract> {
        let mut contract = (*Contract::built_in()).clone();
        contract.source = name.to_owned();
        contract.apply(&Source { name, text })?;
        contract.settle();
        log::debug!("DCImanager contract: {name} applied over the built-in contract");
        Ok(contract)
    }

    fn empty(source: &str) -> Contract {
        Contract {
            requests: BTreeMap::new(),
            answers: BTreeMap::new(),
            words: BTreeMap::new(),
            fields: BTreeMap::new(),
            pages: BTreeMap::new(),
            as_is: BTreeSet::new(),
            plans: BTreeMap::new(),
            source: source.to_owned(),
        }
    }

    fn apply(&mut self, source: &Source) -> Result<()> {
        let file: ContractFile = toml::from_str(source.text).map_err(|err| {
            let span = err.span().unwrap_or(0..0);
            source.error(span, "syntax", err.message())
        })?;
        for (name, entry) in file.requests {
            let (key, placeholders) = source.entry("requests", REQUESTS, &name)?;
            let label = format!("requests.{key}");
            let parsed = request_entry(entry.get_ref(), placeholders)
                .map_err(|what| source.error(entry.span(), &label, what))?;
            self.requests.insert(key, parsed);
        }
        for (kind, fields) in file.answers {
            let (kind_key, names) = source.entry("answers", ANSWERS, &kind)?;
            for (field, pointer) in fields {
                let label = format!("answers.{kind_key}.{}", field.get_ref());
                let field_key =
                    source.member(&label, "the module reads no such field", names, &field)?;
                let text = pointer.get_ref();
                if !text.is_empty() && !text.starts_with('/') {
                    return Err(source.error(
                        pointer.span(),
                        &label,
                        format!("{text:?} is not a JSON pointer: it starts with '/', or is \"\" for a field this DCImanager does not give"),
                    ));
                }
                self.answers
                    .entry(kind_key)
                    .or_default()
                    .insert(field_key, text.clone());
            }
        }
        for (vocabulary, words) in file.words {
            let (vocabulary_key, names) = source.entry("words", WORDS, &vocabulary)?;
            for (word, values) in words {
                let label = format!("words.{vocabulary_key}.{}", word.get_ref());
                let word_key =
                    source.member(&label, "the module has no such word", names, &word)?;
                let json = values
                    .get_ref()
                    .iter()
                    .map(word_value)
                    .collect::<Result<Vec<Value>, String>>()
                    .map_err(|what| source.error(values.span(), &label, what))?;
                if json.is_empty() {
                    return Err(source.error(
                        values.span(),
                        &label,
                        "a word needs at least one value",
                    ));
                }
                self.words
                    .entry(vocabulary_key)
                    .or_default()
                    .insert(word_key, json);
            }
        }
        for (name, value) in file.fields {
            let label = format!("fields.{}", name.get_ref());
            let key = source.member(&label, "the module queries no such field", FIELDS, &name)?;
            self.fields.insert(key, value.into_inner());
        }
        for (name, value) in file.pages {
            let (key, placeholders) = source.entry("pages", PAGES, &name)?;
            check_placeholders(value.get_ref(), placeholders)
                .map_err(|what| source.error(value.span(), &format!("pages.{key}"), what))?;
            self.pages.insert(key, value.into_inner());
        }
        Ok(())
    }

    /// Works out which kinds can be read as they come (the fast path of the default contract).
    fn settle(&mut self) {
        let mut as_is = BTreeSet::new();
        // Nested kinds first, so that a kind holding them can count on their verdict.
        let order = ANSWERS
            .iter()
            .map(|(kind, _)| *kind)
            .filter(|kind| NESTED.iter().any(|(_, _, item)| item == kind))
            .chain(ANSWERS.iter().map(|(kind, _)| *kind));
        for kind in order {
            let fields_as_is = self.answers.get(kind).is_some_and(|fields| {
                fields
                    .iter()
                    .all(|(field, pointer)| *pointer == canonical_pointer(kind, field))
            });
            let words_as_is = WORDED
                .iter()
                .filter(|(of, _, _)| *of == kind)
                .all(|(_, _, vocabulary)| self.words_as_is(vocabulary));
            let nested_as_is = NESTED
                .iter()
                .filter(|(of, _, _)| *of == kind)
                .all(|(_, _, item)| as_is.contains(item));
            if fields_as_is && words_as_is && nested_as_is {
                as_is.insert(kind);
            }
        }
        // Every kind, as-is ones too: a kind read as it comes on its own may be nested in one
        // that is not, and then its strict words are still checked.
        self.plans = ANSWERS
            .iter()
            .map(|(kind, _)| (*kind, self.plan(kind)))
            .collect();
        self.as_is = as_is;
    }

    fn plan(&self, kind: &'static str) -> Vec<FieldPlan> {
        let canonical = |field: &str| canonical_pointer(kind, field);
        let fields: Vec<(&'static str, String)> = self
            .answer_fields(kind)
            .map(|(field, pointer)| (field, pointer.to_owned()))
            .collect();
        fields
            .iter()
            .map(|(field, pointer)| {
                let here = canonical(field);
                let moves = *pointer != here;
                FieldPlan {
                    field,
                    pointer: pointer.clone(),
                    shared_source: moves
                        && fields
                            .iter()
                            .any(|(other, _)| other != field && canonical(other) == *pointer),
                    canonical: here,
                    moves,
                    vocabulary: WORDED
                        .iter()
                        .find(|(k, f, _)| *k == kind && f == field)
                        .map(|(_, _, vocabulary)| *vocabulary)
                        // A strict vocabulary is checked even where its words are the
                        // module's, so that a value outside it is an error naming the field.
                        .filter(|vocabulary| {
                            !self.words_as_is(vocabulary) || !TOLERANT.contains(vocabulary)
                        }),
                    nested: NESTED
                        .iter()
                        .find(|(k, f, _)| *k == kind && f == field)
                        .map(|(_, _, item)| *item),
                }
            })
            .collect()
    }

    fn words_as_is(&self, vocabulary: &str) -> bool {
        self.words.get(vocabulary).is_some_and(|words| {
            words
                .iter()
                .all(|(word, values)| values.as_slice() == [Value::String((*word).to_owned())])
        })
    }

    pub fn request(&self, name: &str) -> &RequestEntry {
        // Every name the module asks for is in REQUESTS, and the built-in file defines each
        // (a unit test): a miss is a bug of the module.
        &self.requests[name]
    }

    /// The `where`/`orderby` name of a module field.
    pub fn field(&self, name: &str) -> &str {
        // Every name the module queries is in FIELDS, each defined by the built-in file.
        &self.fields[name]
    }

    /// A page of DCImanager's web interface, placeholders filled.
    pub fn page(&self, name: &str, values: &[(&str, &str)]) -> String {
        let mut page = self.pages[name].clone();
        for (placeholder, value) in values {
            page = page.replace(&format!("{{{placeholder}}}"), value);
        }
        page
    }

    /// The JSON pointer of a field of an answer kind; `None` when this DCImanager does not give
    /// it.
    pub fn pointer(&self, kind: &str, field: &str) -> Option<&str> {
        self.answers
            .get(kind)
            .and_then(|fields| fields.get(field))
            .map(String::as_str)
            .filter(|pointer| !pointer.is_empty())
    }

    /// The values DCImanager uses for `word` of `vocabulary`.
    pub fn values(&self, vocabulary: &str, word: &str) -> &[Value] {
        self.words
            .get(vocabulary)
            .and_then(|words| words.get(word))
            .map_or(&[], Vec::as_slice)
    }

    /// Every request, for `probe`.
    pub fn requests(&self) -> impl Iterator<Item = (&'static str, &RequestEntry)> {
        self.requests.iter().map(|(name, entry)| (*name, entry))
    }

    /// Every field of an answer kind with its pointer (`""`: not given), for `probe`.
    pub fn answer_fields(&self, kind: &str) -> impl Iterator<Item = (&'static str, &str)> {
        self.answers.get(kind).into_iter().flat_map(|fields| {
            fields
                .iter()
                .map(|(field, pointer)| (*field, pointer.as_str()))
        })
    }

    /// Every word of a vocabulary with its values, for `probe`.
    pub fn vocabulary(&self, vocabulary: &str) -> impl Iterator<Item = (&'static str, &[Value])> {
        self.words.get(vocabulary).into_iter().flat_map(|words| {
            words
                .iter()
                .map(|(word, values)| (*word, values.as_slice()))
        })
    }
}

/// Where the module's shape has a field of `kind`: dotted names are nested objects, and a list
/// page's items are its `list`.
fn canonical_pointer(kind: &str, field: &str) -> String {
    match (kind, field) {
        ("list", "items") => "/list".to_owned(),
        _ => format!("/{}", field.replace('.', "/")),
    }
}

fn known<'a>(
    table: &'a [(&'static str, &'a [&'static str])],
    name: &str,
) -> Option<(&'static str, &'a [&'static str])> {
    table
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(key, names)| (*key, *names))
}

fn unknown_entry(table: &[(&str, &[&str])]) -> String {
    let names: Vec<&str> = table.iter().map(|(name, _)| *name).collect();
    format!(
        "the module has no such entry (its entries: {})",
        names.join(", ")
    )
}

fn request_entry(entry: &RequestFile, placeholders: &[&str]) -> Result<RequestEntry, String> {
    let method = match entry.method.to_ascii_uppercase().as_str() {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "DELETE" => Method::Delete,
        other => return Err(format!("method {other:?} is none of GET, POST, DELETE")),
    };
    if !entry.path.starts_with('/') {
        return Err(format!("path {:?} does not start with '/'", entry.path));
    }
    check_placeholders(&entry.path, placeholders)?;
    let body = match &entry.body {
        None => None,
        Some(text) => {
            let body: Value = serde_json::from_str(text)
                .map_err(|err| format!("body is not JSON ({err}): {text}"))?;
            check_body(&body, placeholders)?;
            Some(body)
        }
    };
    if method == Method::Get && body.is_some() {
        return Err("a GET request has no body".into());
    }
    Ok(RequestEntry {
        method,
        path: entry.path.clone(),
        body,
    })
}

fn check_body(body: &Value, placeholders: &[&str]) -> Result<(), String> {
    match body {
        Value::String(text) => check_placeholders(text, placeholders),
        Value::Array(items) => items
            .iter()
            .try_for_each(|item| check_body(item, placeholders)),
        Value::Object(fields) => fields
            .values()
            .try_for_each(|field| check_body(field, placeholders)),
        _ => Ok(()),
    }
}

/// Every `{name}` or `{name[]}` of `text` is one the entry may use.
fn check_placeholders(text: &str, placeholders: &[&str]) -> Result<(), String> {
    for name in placeholders_in(text) {
        let bare = name.strip_suffix("[]").unwrap_or(name);
        if !placeholders.contains(&bare) {
            return Err(format!(
                "no placeholder {{{name}}} for this entry (its placeholders: {})",
                if placeholders.is_empty() {
                    "none".to_owned()
                } else {
                    placeholders.join(", ")
                }
            ));
        }
    }
    Ok(())
}

/// The names between braces in `text`.
pub(super) fn placeholders_in(text: &str) -> impl Iterator<Item = &str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

fn word_value(value: &toml::Value) -> Result<Value, String> {
    match value {
        toml::Value::String(text) => Ok(Value::String(text.clone())),
        toml::Value::Boolean(flag) => Ok(Value::Bool(*flag)),
        toml::Value::Integer(number) => Ok(Value::from(*number)),
        other => Err(format!(
            "a {} is not a string, a boolean or an integer",
            other.type_str()
        )),
    }
}

#[cfg(test)]
#[path = "contract_tests.rs"]
mod tests;
