//! The log of the calls the simulator answered, for tests to check what a client did.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One call of the contract. Passwords never appear: a top-level `password` field of the body
/// reads `"***"`, and a body that is not JSON but mentions a password is replaced by `"***"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub method: String,
    /// Percent-decoded when the encoding is valid.
    pub path: String,
    /// The query parameters, decoded: `where=owner_email IS null&limit=0,100`.
    pub query: String,
    /// `None` for an empty body; a body that is not JSON is kept as a JSON string.
    pub body: Option<Value>,
    /// The HTTP status answered; 0 when the connection was dropped without an answer.
    pub status: u16,
}

impl RequestRecord {
    pub fn new(method: &str, path: String, query: String, body: &str) -> RequestRecord {
        RequestRecord {
            method: method.to_string(),
            path,
            query,
            body: masked_body(body),
            status: 0,
        }
    }
}

fn masked_body(text: &str) -> Option<Value> {
    if text.trim().is_empty() {
        return None;
    }
    let Ok(mut body) = serde_json::from_str::<Value>(text) else {
        let kept = if text.contains("password") {
            "***"
        } else {
            text
        };
        return Some(Value::String(kept.to_string()));
    };
    if let Some(password) = body.get_mut("password") {
        *password = Value::String("***".into());
    }
    Some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        let record = RequestRecord::new(
            "POST",
            "/api/auth/v4/public/token".into(),
            String::new(),
            r#"{"email": "a@b.c", "password": "secret"}"#,
        );
        assert_eq!(
            record.body,
            Some(serde_json::json!({"email": "a@b.c", "password": "***"}))
        );
        assert_eq!(
            RequestRecord::new("GET", "/".into(), String::new(), "").body,
            None
        );
        assert_eq!(
            RequestRecord::new("POST", "/".into(), String::new(), "not json").body,
            Some(Value::String("not json".into()))
        );
    }
}
