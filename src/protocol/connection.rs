//! The connection parameters of a processing module: the fields of the form
//! `processing.edit.pmdci6`, declared to BILLmanager by `features` and read back from its
//! database (or from stdin by `check_connection`).
//!
//! One table, [`PARAMS`], feeds both the `features` answer and the validation below, so a field
//! cannot be declared without being read, or read without being declared.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use super::error::{ErrorKind, ModuleError};
use super::xml::Element;

/// A field of the connection form.
pub struct Param {
    pub name: &'static str,
    /// Stored encrypted by BILLmanager (`processingcryptedparam`).
    pub crypted: bool,
}

pub const PARAMS: &[Param] = &[
    Param {
        name: "url",
        crypted: false,
    },
    Param {
        name: "username",
        crypted: false,
    },
    Param {
        name: "password",
        crypted: true,
    },
    Param {
        name: "location",
        crypted: false,
    },
    Param {
        name: "allow_closest",
        crypted: false,
    },
    Param {
        name: "ignore_errors",
        crypted: false,
    },
    Param {
        name: "tls_ca",
        crypted: false,
    },
    Param {
        name: "tls_insecure",
        crypted: false,
    },
    Param {
        name: "poll_interval",
        crypted: false,
    },
    Param {
        name: "poll_timeout",
        crypted: false,
    },
];

/// Defaults fit a real installation: an OS install takes 20-60 minutes, so open polls every
/// 30 s and gives up (BILLmanager retries, the retry resumes) after three hours.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(30);
pub const DEFAULT_POLL_TIMEOUT: Duration = Duration::from_secs(3 * 3600);

/// Validated connection parameters.
#[derive(Clone)]
pub struct Connection {
    pub url: String,
    pub username: String,
    pub password: String,
    pub location: u64,
    pub allow_closest: bool,
    pub ignore_errors: bool,
    pub tls_ca: Option<PathBuf>,
    pub tls_insecure: bool,
    pub poll_interval: Duration,
    pub poll_timeout: Duration,
}

impl std::fmt::Debug for Connection {
    /// Written by hand so that the password can never reach a log through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("location", &self.location)
            .field("allow_closest", &self.allow_closest)
            .field("ignore_errors", &self.ignore_errors)
            .field("tls_ca", &self.tls_ca)
            .field("tls_insecure", &self.tls_insecure)
            .field("poll_interval", &self.poll_interval)
            .field("poll_timeout", &self.poll_timeout)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Validates the stored or typed values. `env` overrides the poll settings
    /// (`PMDCI6_POLL_INTERVAL`, `PMDCI6_POLL_TIMEOUT`, in seconds) for runs by hand and tests.
    pub fn from_params(
        params: &BTreeMap<String, String>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        Self::parse(params, env, true)
    }

    /// The connection of a form still being filled in, for logging in before a location is
    /// chosen (the connection wizard lists the locations to choose from). Without a location
    /// it is 0, which names no DCImanager location; nothing may read it.
    pub fn for_login(
        params: &BTreeMap<String, String>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        Self::parse(params, env, false)
    }

    fn parse(
        params: &BTreeMap<String, String>,
        env: &dyn Fn(&str) -> Option<String>,
        location_required: bool,
    ) -> Result<Self> {
        let get = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let required = |name: &str| {
            get(name).map(str::to_string).ok_or_else(|| {
                config_error(format!("the connection parameter '{name}' is empty: fill it in the processing module's settings"))
            })
        };
        let password = params
            .get("password")
            .filter(|p| !p.is_empty())
            .cloned()
            .ok_or_else(|| config_error("the connection parameter 'password' is empty"))?;
        let location = match get("location") {
            None if !location_required => 0,
            _ => {
                let location_text = required("location")?;
                location_text.parse::<u64>().map_err(|_| {
                    config_error(format!(
                        "location '{location_text}' is not a DCImanager location id (a whole number)"
                    ))
                })?
            }
        };
        let seconds = |name: &str, env_name: &str, default: Duration| -> Result<Duration> {
            match env(env_name).or_else(|| get(name).map(str::to_string)) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| {
                        config_error(format!("{name} '{v}' is not a number of seconds"))
                    }),
            }
        };
        Ok(Connection {
            url: required("url")?,
            username: required("username")?,
            password,
            location,
            allow_closest: get("allow_closest").map(is_on).unwrap_or(true),
            ignore_errors: get("ignore_errors").map(is_on).unwrap_or(false),
            tls_ca: get("tls_ca").map(PathBuf::from),
            tls_insecure: get("tls_insecure").map(is_on).unwrap_or(false),
            poll_interval: seconds(
                "poll_interval",
                "PMDCI6_POLL_INTERVAL",
                DEFAULT_POLL_INTERVAL,
            )?,
            poll_timeout: seconds("poll_timeout", "PMDCI6_POLL_TIMEOUT", DEFAULT_POLL_TIMEOUT)?,
        })
    }
}

/// The values of the connection form that `check_connection` and `tune_connection` receive on
/// stdin: `<doc><processingmodule><id>..</id><url>..</url>...</processingmodule></doc>`. Leaf
/// elements directly under `doc` are accepted too, since BILLmanager versions differ in the
/// wrapper (the wizard's tuner gets them under `doc`). Values are kept as typed (a password may
/// begin or end with a space).
pub fn params_from_form(form: &Element) -> BTreeMap<String, String> {
    let wrapped = form.find("processingmodule");
    PARAMS
        .iter()
        .filter_map(|param| {
            let field = wrapped
                .and_then(|w| w.find(param.name))
                .or_else(|| form.find(param.name))?;
            Some((param.name.to_string(), field.text.clone()))
        })
        .collect()
}

/// [`params_from_form`] of a form that must hold at least one connection parameter.
pub fn params_from_form_xml(xml: &str) -> Result<BTreeMap<String, String>> {
    let form = Element::parse(xml)
        .map_err(|e| form_error(format!("the connection form on stdin is not XML: {e}")))?;
    let params = params_from_form(&form);
    if params.is_empty() {
        return Err(form_error(
            "the connection form on stdin holds none of the connection parameters (url, username, password, location)",
        ));
    }
    Ok(params)
}

fn form_error(message: impl Into<String>) -> anyhow::Error {
    ModuleError::new(ErrorKind::Usage, "connection form", message).into()
}

/// BILLmanager checkboxes store `on`/`off`; people typing by hand write yes/true/1.
fn is_on(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "on" | "yes" | "true" | "1"
    )
}

fn config_error(message: impl Into<String>) -> anyhow::Error {
    ModuleError::new(ErrorKind::ModuleConfig, "processing module", message).into()
}

#[cfg(test)]
#[path = "connection_tests.rs"]
mod tests;
