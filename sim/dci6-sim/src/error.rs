//! The answer of every failed call: an HTTP status with the body
//! `{"error": {"code": <int>, "msg": "<text>", "value": <any>}}` (spec §1), or without `value`
//! in the platform dialect.

use serde_json::{Value, json};

use crate::dialect::Dialect;

/// A failed call as the simulator answers it. `code` in the body repeats the HTTP status: the
/// contract only promises an integer there, and the status is the one a client can act on.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub msg: String,
    pub value: Value,
}

impl ApiError {
    pub fn new(status: u16, msg: impl Into<String>) -> Self {
        ApiError {
            status,
            msg: msg.into(),
            value: Value::Null,
        }
    }

    /// The offending value (an id, a field name...), shown in the body's `value`.
    pub fn with_value(mut self, value: impl Into<Value>) -> Self {
        self.value = value.into();
        self
    }

    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::new(400, msg)
    }

    pub fn unauthorized(msg: impl Into<String>) -> Self {
        Self::new(401, msg)
    }

    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::new(403, msg)
    }

    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::new(404, msg)
    }

    pub fn conflict(msg: impl Into<String>) -> Self {
        Self::new(409, msg)
    }

    /// The body in `dialect`. The platform's error bodies carry no `value`, so the offending
    /// value, when there is one, ends the message instead: `"unknown field: notes"`.
    pub fn body(&self, dialect: Dialect) -> Value {
        match dialect {
            Dialect::Default => {
                json!({"error": {"code": self.status, "msg": self.msg, "value": self.value}})
            }
            Dialect::Platform => {
                let msg = match &self.value {
                    Value::Null => self.msg.clone(),
                    Value::String(value) => format!("{}: {value}", self.msg),
                    value => format!("{}: {value}", self.msg),
                };
                json!({"error": {"code": self.status, "msg": msg}})
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        let error = ApiError::bad_request("bad list query: unknown field").with_value("notes");
        assert_eq!(
            error.body(Dialect::Default),
            json!({"error": {"code": 400, "msg": "bad list query: unknown field", "value": "notes"}})
        );
        assert_eq!(
            error.body(Dialect::Platform),
            json!({"error": {"code": 400, "msg": "bad list query: unknown field: notes"}})
        );
        let conflict = ApiError::conflict("server 2 is busy with operation 7").with_value(7);
        assert_eq!(
            conflict.body(Dialect::Platform)["error"]["msg"],
            "server 2 is busy with operation 7: 7"
        );
        assert_eq!(
            ApiError::not_found("no session").body(Dialect::Platform)["error"]["msg"],
            "no session"
        );
    }
}
