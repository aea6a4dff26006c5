//! The DCImanager address as an administrator types it, turned into the base of every call.
//!
//! Administrators paste what their browser shows: a bare host, a host and port, a URL with a
//! trailing slash or with the `/api` prefix of the API paths. All of these mean the same
//! installation. Anything else is refused here, naming the value, because otherwise it would
//! surface much later as an opaque connection error.

use anyhow::Result;

use crate::protocol::error::{ErrorKind, fail};

/// Where the installation answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// `scheme://host[:port][/prefix]`, without a trailing slash; API paths are appended to it.
    pub base: String,
    /// `host[:port]`, for messages.
    pub host: String,
}

/// Reads the `url` connection parameter. The scheme is used as given (`http://` in tests); a
/// bare host means `https://`.
pub fn parse(raw: &str) -> Result<Address> {
    let bad = |why: &str| {
        fail(
            ErrorKind::BadUrl,
            "connection",
            format!(
                "the DCImanager address '{raw}' is not usable: {why}; \
                 expected an address such as https://dci.example.com"
            ),
        )
    };
    let value = raw.trim();
    if value.is_empty() {
        return bad("it is empty");
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("it contains spaces");
    }
    let (scheme, rest) = match value.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => (String::from("https"), value),
    };
    if scheme.is_empty() {
        return bad("it has nothing before ://");
    }
    if scheme != "http" && scheme != "https" {
        return bad(&format!("the scheme '{scheme}' is neither http nor https"));
    }
    if rest.contains(['?', '#']) {
        return bad("it carries a query or a fragment");
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.contains('@') {
        return bad("it carries a user name; the e-mail and the password are separate parameters");
    }
    let (host, port) = match split_authority(authority) {
        Ok(parts) => parts,
        Err(why) => return bad(why),
    };
    if host.is_empty() {
        return bad("it has no host");
    }
    if !valid_host(host) {
        return bad(&format!("'{host}' is not a host name or an IP address"));
    }
    if let Some(port) = port
        && !matches!(port.parse::<u16>(), Ok(n) if n > 0)
    {
        return bad(&format!(
            "the port '{port}' is not a number from 1 to 65535"
        ));
    }
    let path = path.trim_end_matches('/');
    let path = path
        .strip_suffix("/api")
        .unwrap_or(path)
        .trim_end_matches('/');
    let host = authority.to_ascii_lowercase();
    Ok(Address {
        base: format!("{scheme}://{host}{path}"),
        host,
    })
}

/// `host[:port]` or `[ipv6][:port]`.
fn split_authority(authority: &str) -> Result<(&str, Option<&str>), &'static str> {
    if let Some(inner) = authority.strip_prefix('[') {
        let Some((address, after)) = inner.split_once(']') else {
            return Err("an IPv6 address in it lacks its closing ']'");
        };
        return match after {
            "" => Ok((address, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((address, Some(port))),
                None => Err("something follows the IPv6 address"),
            },
        };
    }
    Ok(match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

fn valid_host(host: &str) -> bool {
    if host.contains(':') {
        // What split_authority returned from between brackets.
        return host
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    }
    host.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        && !host.starts_with(['-', '.'])
}

#[cfg(test)]
#[path = "address_tests.rs"]
mod tests;
