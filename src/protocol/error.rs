//! The errors the module reports to BILLmanager, each with its own error type.
//!
//! BILLmanager shows an administrator the message `msg_error_<type>` of the module XML for the
//! `type` attribute of the error XML, so every distinct thing an administrator must do differently
//! gets its own [`ErrorKind`]. Any layer may raise a [`ModuleError`] inside an `anyhow` chain;
//! the outermost one found in the chain decides the type, and the whole chain becomes the value.

use std::fmt;

/// What went wrong, as BILLmanager's error `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Unknown command, missing or malformed option.
    Usage,
    /// DCImanager refused the administrator's e-mail or password.
    InvalidLogin,
    /// DCImanager cannot be reached (DNS, refused connection, TLS, timeout).
    Unreachable,
    /// The `url` connection parameter is not a usable address.
    BadUrl,
    /// The `location` connection parameter names no DCImanager location.
    UnknownLocation,
    /// DCImanager answered with an error body.
    DciApi,
    /// DCImanager answered something that is not the JSON of the contract.
    DciResponse,
    /// A connection parameter of the processing module is missing or invalid.
    ModuleConfig,
    /// BILLmanager's database could not be read.
    Database,
    /// A `mgrctl` callback to BILLmanager failed.
    Mgrctl,
    /// The item does not exist, belongs to another module, or lacks what the command needs.
    Item,
    /// No available server matches the order.
    NoServer,
    /// No IP pool can serve the server.
    NoPool,
    /// The ordered OS template or script is not offered in the server's location.
    NoTemplate,
    /// The customer has no e-mail to create the DCImanager user with.
    NoEmail,
    /// The server's owner or notes do not belong to this item.
    NotOwner,
    /// The server has no switch ports to shut, so it cannot be suspended.
    NoSwitchPorts,
    /// A DCImanager operation (install, diagnostics) failed.
    OperationFailed,
    /// A DCImanager operation did not finish within the wait limit; a retry resumes it.
    WaitTimeout,
    /// Another run of the module is working on the same item; a retry later does the job.
    Busy,
    /// Some servers of an import could not become services; the message names each and why.
    Import,
    /// Anything else: a bug or an unexpected state.
    Internal,
}

impl ErrorKind {
    /// Every kind, so tests can check the module XML has a message for each.
    #[cfg(test)]
    pub const ALL: [ErrorKind; 22] = [
        ErrorKind::Usage,
        ErrorKind::InvalidLogin,
        ErrorKind::Unreachable,
        ErrorKind::BadUrl,
        ErrorKind::UnknownLocation,
        ErrorKind::DciApi,
        ErrorKind::DciResponse,
        ErrorKind::ModuleConfig,
        ErrorKind::Database,
        ErrorKind::Mgrctl,
        ErrorKind::Item,
        ErrorKind::NoServer,
        ErrorKind::NoPool,
        ErrorKind::NoTemplate,
        ErrorKind::NoEmail,
        ErrorKind::NotOwner,
        ErrorKind::NoSwitchPorts,
        ErrorKind::OperationFailed,
        ErrorKind::WaitTimeout,
        ErrorKind::Busy,
        ErrorKind::Import,
        ErrorKind::Internal,
    ];

    /// The `type` attribute of the error XML; the module XML has `msg_error_<type>` for each.
    pub fn error_type(self) -> &'static str {
        match self {
            ErrorKind::Usage => "usage",
            ErrorKind::InvalidLogin => "invalid_login_or_passwd",
            ErrorKind::Unreachable => "dci_unreachable",
            ErrorKind::BadUrl => "bad_url",
            ErrorKind::UnknownLocation => "unknown_location",
            ErrorKind::DciApi => "dci_api",
            ErrorKind::DciResponse => "dci_bad_response",
            ErrorKind::ModuleConfig => "module_config",
            ErrorKind::Database => "database",
            ErrorKind::Mgrctl => "mgrctl",
            ErrorKind::Item => "item",
            ErrorKind::NoServer => "no_server",
            ErrorKind::NoPool => "no_pool",
            ErrorKind::NoTemplate => "no_template",
            ErrorKind::NoEmail => "no_email",
            ErrorKind::NotOwner => "not_owner",
            ErrorKind::NoSwitchPorts => "no_switch_ports",
            ErrorKind::OperationFailed => "operation_failed",
            ErrorKind::WaitTimeout => "wait_timeout",
            ErrorKind::Busy => "busy",
            ErrorKind::Import => "import",
            ErrorKind::Internal => "internal",
        }
    }
}

/// An error with the type BILLmanager shows for it. `object` names what it concerns
/// (`item 42`, `server srv-12`, `location 3`, `connection`).
#[derive(Debug, Clone)]
pub struct ModuleError {
    pub kind: ErrorKind,
    pub object: String,
    pub message: String,
    pub hand_off: Option<HandOff>,
}

/// Work an error hands to staff, because no retry can help: a task with the error's message for
/// the item, and the running operation switched to manual. Carried as a value and performed by
/// `main`'s single exit beside the error XML, the log line and the running operation's error, so
/// that building an error never changes anything and a dry run hands nothing over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandOff {
    /// The command, as BILLmanager's task type is looked up by.
    pub command: String,
    pub item: u64,
    pub text: String,
}

impl ModuleError {
    pub fn new(kind: ErrorKind, object: impl Into<String>, message: impl Into<String>) -> Self {
        ModuleError {
            kind,
            object: object.into(),
            message: message.into(),
            hand_off: None,
        }
    }

    /// The error, with its message handed to staff as a task of `command` for `item`.
    pub fn for_staff(mut self, command: &str, item: u64) -> Self {
        self.hand_off = Some(HandOff {
            command: command.to_string(),
            item,
            text: self.message.clone(),
        });
        self
    }
}

impl fmt::Display for ModuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ModuleError {}

/// Shorthand for `Err(ModuleError::new(..).into())`.
pub fn fail<T>(
    kind: ErrorKind,
    object: impl Into<String>,
    message: impl Into<String>,
) -> anyhow::Result<T> {
    Err(ModuleError::new(kind, object, message).into())
}

/// The kind and object of the outermost [`ModuleError`] in the chain, or `Internal`.
///
/// anyhow's own downcast sees contexts (`.context(ModuleError::new(..))`, outermost first) and
/// the root error; the scan of the chain finds one that is the source of a plain error.
pub fn classify(err: &anyhow::Error) -> (ErrorKind, String) {
    outermost(err)
        .map(|e| (e.kind, e.object.clone()))
        .unwrap_or((ErrorKind::Internal, String::from("module")))
}

/// The hand-off to staff the error carries: that of its outermost [`ModuleError`].
pub fn hand_off(err: &anyhow::Error) -> Option<&HandOff> {
    outermost(err).and_then(|e| e.hand_off.as_ref())
}

fn outermost(err: &anyhow::Error) -> Option<&ModuleError> {
    err.downcast_ref::<ModuleError>().or_else(|| {
        err.chain()
            .find_map(|cause| cause.downcast_ref::<ModuleError>())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn outermost_module_error_wins_through_contexts() {
        let root: anyhow::Result<()> = fail(ErrorKind::DciApi, "path", "HTTP 500");
        let err = root
            .context("reading server 12")
            .context(ModuleError::new(ErrorKind::NoServer, "item 5", "no server"))
            .context("open")
            .expect_err("error");
        assert_eq!(classify(&err), (ErrorKind::NoServer, "item 5".to_string()));
    }

    #[test]
    fn root_module_error_is_found() {
        let err = fail::<()>(ErrorKind::NoPool, "server 1", "none")
            .context("claiming")
            .expect_err("error");
        assert_eq!(classify(&err).0, ErrorKind::NoPool);
    }

    #[test]
    fn a_hand_off_travels_with_the_error_through_contexts() {
        let err = Err::<(), _>(
            ModuleError::new(ErrorKind::NotOwner, "item 5", "refused").for_staff("suspend", 5),
        )
        .context("suspending")
        .expect_err("error");
        assert_eq!(
            hand_off(&err),
            Some(&HandOff {
                command: "suspend".into(),
                item: 5,
                text: "refused".into()
            })
        );
        assert_eq!(hand_off(&anyhow::anyhow!("boom")), None);
    }

    #[test]
    fn plain_error_is_internal() {
        assert_eq!(classify(&anyhow::anyhow!("boom")).0, ErrorKind::Internal);
    }
}
