//! The edge of the contract: DCImanager's answers into the module's types, the module's values
//! into DCImanager's requests, both as [`Contract`] says.
//!
//! An answer of a kind the contract maps as it comes (the default contract, everywhere) is read
//! straight into the module's type; any other is first rewritten into the module's shape, field
//! by field. A field whose pointer finds nothing stays absent, so the module's "unknown is not
//! safe" rules see it as unknown, never as false or empty.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::contract::{Contract, Method, TOLERANT, placeholders_in};

/// Placeholders whose values are words of a vocabulary: (request, placeholder, vocabulary).
const WORDED_PLACEHOLDERS: &[(&str, &str, &str)] = &[("set_port", "admin_status", "port_status")];

/// A request ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
}

impl Contract {
    /// An answer of `kind` as the module's type. The error says what did not fit.
    pub fn read<T: DeserializeOwned>(&self, kind: &str, body: &[u8]) -> Result<T, String> {
        if self.as_is.contains(kind) {
            return serde_json::from_slice(body).map_err(|err| err.to_string());
        }
        let mut answer: Value = serde_json::from_slice(body).map_err(|err| err.to_string())?;
        self.reshape(kind, &mut answer)?;
        serde_json::from_value(answer).map_err(|err| err.to_string())
    }

    /// A page of a list of `kind`: `{"list": [..], "size": n}` in the module's shape.
    pub fn read_list<T: DeserializeOwned>(&self, kind: &str, body: &[u8]) -> Result<T, String> {
        if self.as_is.contains("list") && self.as_is.contains(kind) {
            return serde_json::from_slice(body).map_err(|err| err.to_string());
        }
        let mut raw: Value = serde_json::from_slice(body).map_err(|err| err.to_string())?;
        let mut items = match self
            .pointer("list", "items")
            .and_then(|p| raw.pointer_mut(p))
            .map(Value::take)
        {
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(format!(
                    "answers.list.items points at {}, not at an array",
                    json_type(&other)
                ));
            }
            None => Vec::new(),
        };
        for item in &mut items {
            self.reshape(kind, item)?;
        }
        let mut page = Map::new();
        page.insert("list".into(), Value::Array(items));
        if let Some(size) = self
            .pointer("list", "size")
            .and_then(|p| raw.pointer_mut(p))
        {
            page.insert("size".into(), size.take());
        }
        serde_json::from_value(Value::Object(page)).map_err(|err| err.to_string())
    }

    /// `object` rewritten in place into the module's shape for `kind`: only the fields the
    /// contract maps elsewhere move, only words of a vocabulary that differs are translated,
    /// so an answer close to the module's shape costs close to nothing.
    pub(super) fn reshape(&self, kind: &str, object: &mut Value) -> Result<(), String> {
        let Some(plans) = self.plans.get(kind) else {
            return Ok(());
        };
        // Taken first, then put: a move never reads a place another move has written.
        let mut moved = Vec::new();
        for plan in plans.iter().filter(|plan| plan.moves) {
            let value = match plan.pointer.as_str() {
                "" => None,
                pointer => object
                    .pointer_mut(pointer)
                    .map(|v| match plan.shared_source {
                        true => v.clone(),
                        false => v.take(),
                    }),
            };
            // `"owner": null` gives no `/owner/id`, and says there is no owner: the module's
            // `owner` is null, not unknown.
            let parent_null = value.is_none()
                && plan.pointer.rsplit_once('/').is_some_and(|(parent, _)| {
                    !parent.is_empty() && object.pointer(parent) == Some(&Value::Null)
                });
            moved.push((plan, value, parent_null));
        }
        for (plan, value, parent_null) in moved {
            remove(object, plan.field);
            match value {
                Some(value) => insert(object, plan.field, value),
                None if parent_null => {
                    if let Some((parent, _)) = plan.field.rsplit_once('.')
                        && !has(object, parent)
                    {
                        insert(object, parent, Value::Null);
                    }
                }
                None => {}
            }
        }
        for plan in plans {
            if plan.nested.is_none() && plan.vocabulary.is_none() {
                continue;
            }
            let Some(value) = object.pointer_mut(&plan.canonical) else {
                continue;
            };
            if let Some(item) = plan.nested {
                if let Value::Array(items) = value {
                    for entry in items {
                        self.reshape(item, entry)?;
                    }
                }
                continue;
            }
            if let Some(vocabulary) = plan.vocabulary {
                match value {
                    Value::Array(values) => {
                        for one in values {
                            *one = self.word(kind, plan.field, vocabulary, one)?;
                        }
                    }
                    Value::Null => {}
                    one => *one = self.word(kind, plan.field, vocabulary, one)?,
                }
            }
        }
        Ok(())
    }

    /// DCImanager's value as the module's word.
    fn word(
        &self,
        kind: &str,
        field: &str,
        vocabulary: &str,
        value: &Value,
    ) -> Result<Value, String> {
        if let Some((word, _)) = self
            .vocabulary(vocabulary)
            .find(|(_, values)| values.contains(value))
        {
            return Ok(Value::String(word.to_owned()));
        }
        if TOLERANT.contains(&vocabulary) {
            return Ok(Value::String("unknown".to_owned()));
        }
        let words: Vec<String> = self
            .vocabulary(vocabulary)
            .map(|(word, values)| format!("{word}: {}", Value::Array(values.to_vec())))
            .collect();
        Err(format!(
            "{kind} field {field} is {value}, which words.{vocabulary} does not list ({})",
            words.join("; ")
        ))
    }

    /// The request `name` with `values` in its placeholders; a placeholder of the body left
    /// without a value leaves its key out.
    pub fn render(&self, name: &str, values: &[(&str, Value)]) -> Result<Rendered, String> {
        let entry = self.request(name);
        let values: Vec<(&str, Value)> =
            values
                .iter()
                .map(|(placeholder, value)| {
                    let worded = WORDED_PLACEHOLDERS
                        .iter()
                        .find(|(request, p, _)| *request == name && p == placeholder);
                    match (worded, value) {
                        (Some((_, _, vocabulary)), Value::String(word)) => {
                            let sent = self.values(vocabulary, word).first().cloned().ok_or_else(
                                || format!("words.{vocabulary}.{word} has no value to send"),
                            )?;
                            Ok((*placeholder, sent))
                        }
                        _ => Ok((*placeholder, value.clone())),
                    }
                })
                .collect::<Result<_, String>>()?;
        let mut path = entry.path.clone();
        for placeholder in placeholders_in(&entry.path) {
            let value = lookup(&values, placeholder).ok_or_else(|| {
                format!("requests.{name}: no value for {{{placeholder}}} of the path")
            })?;
            path = path.replace(&format!("{{{placeholder}}}"), &text_of(value));
        }
        let body = entry
            .body
            .as_ref()
            .map(|template| fill(template, &values).unwrap_or(Value::Null));
        Ok(Rendered {
            method: entry.method,
            path,
            body,
        })
    }
}

fn lookup<'v>(values: &'v [(&str, Value)], name: &str) -> Option<&'v Value> {
    values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `template` filled; `None` when it is one placeholder without a value.
fn fill(template: &Value, values: &[(&str, Value)]) -> Option<Value> {
    match template {
        Value::String(text) => {
            let whole = text
                .strip_prefix('{')
                .and_then(|rest| rest.strip_suffix('}'))
                .filter(|name| !name.contains(['{', '}']));
            if let Some(name) = whole {
                return lookup(values, name).cloned();
            }
            let mut filled = text.clone();
            for name in placeholders_in(text) {
                if let Some(value) = lookup(values, name) {
                    filled = filled.replace(&format!("{{{name}}}"), &text_of(value));
                }
            }
            Some(Value::String(filled))
        }
        Value::Array(items) => {
            let repeated = match items.as_slice() {
                [one] => repeated_list(one),
                _ => None,
            };
            match repeated {
                Some(list) => {
                    let each = match lookup(values, list) {
                        Some(Value::Array(each)) => each.clone(),
                        _ => Vec::new(),
                    };
                    let key = format!("{list}[]");
                    let element = &items[0];
                    Some(Value::Array(
                        each.into_iter()
                            .filter_map(|item| {
                                let mut bound = values.to_vec();
                                bound.push((key.as_str(), item));
                                fill(element, &bound)
                            })
                            .collect(),
                    ))
                }
                None => Some(Value::Array(
                    items.iter().filter_map(|item| fill(item, values)).collect(),
                )),
            }
        }
        Value::Object(fields) => Some(Value::Object(
            fields
                .iter()
                .filter_map(|(key, field)| fill(field, values).map(|v| (key.clone(), v)))
                .collect(),
        )),
        literal => Some(literal.clone()),
    }
}

/// The list a `{name[]}` placeholder inside `element` repeats it over.
fn repeated_list(element: &Value) -> Option<&str> {
    match element {
        Value::String(text) => placeholders_in(text).find_map(|name| name.strip_suffix("[]")),
        Value::Object(fields) => fields.values().find_map(repeated_list),
        Value::Array(items) => items.iter().find_map(repeated_list),
        _ => None,
    }
}

/// Sets the dotted `field` of `object`, making the objects on the way (a value in the way that
/// is not an object is replaced: the module's shape has an object there).
fn insert(object: &mut Value, field: &str, value: Value) {
    if !object.is_object() {
        *object = Value::Object(Map::new());
    }
    let Value::Object(fields) = object else {
        return;
    };
    match field.split_once('.') {
        None => {
            fields.insert(field.to_owned(), value);
        }
        Some((parent, rest)) => {
            let child = fields
                .entry(parent.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            insert(child, rest, value);
        }
    }
}

/// Removes the dotted `field` of `object`, if it is there.
fn remove(object: &mut Value, field: &str) {
    match field.split_once('.') {
        None => {
            if let Value::Object(fields) = object {
                fields.remove(field);
            }
        }
        Some((parent, rest)) => {
            if let Some(child) = object.get_mut(parent) {
                remove(child, rest);
            }
        }
    }
}

/// Whether the dotted `field` of `object` is there.
fn has(object: &Value, field: &str) -> bool {
    field
        .split('.')
        .try_fold(object, |at, key| at.get(key))
        .is_some()
}

/// The JSON type of a value, as probe and messages name it.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
