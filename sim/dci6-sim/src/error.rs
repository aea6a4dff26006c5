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

    /// The body in `dialect`: the platform's error bodies carry no `value`.
    pub fn body(&self, dialect: Dialect) -> Value {
        match dialect {
            Dialect::Default => {
                json!({"error": {"code": self.status, "msg": self.msg, "value": self.value}})
            }
            Dialect::Platform => json!({"error": {"code": self.status, "msg": self.msg}}),
        }
    }
}
