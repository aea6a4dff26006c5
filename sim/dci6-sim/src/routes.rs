//! Which call of the contract a request names: method and path to an [`Endpoint`], and the query
//! parameters (only list endpoints take any: `where`, `orderby`, `limit`).

use crate::actions::PowerAction;
use crate::error::ApiError;
use crate::query::{ListQuery, Record};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
    /// Any other method: never allowed.
    Other,
}

impl Method {
    pub fn parse(method: &str) -> Method {
        match method {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "DELETE" => Method::Delete,
            _ => Method::Other,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Login,
    KeyLogin,
    RevokeToken(String),
    /// The user is given by id or e-mail.
    UserKey(String),
    ListServers,
    ShowServer(u64),
    EditServer(u64),
    ListConfigurations,
    Power(u64, PowerAction),
    SetOwner(u64),
    RemoveOwner(u64),
    SetPort {
        server: u64,
        connection: u64,
    },
    AddIps(u64),
    RemoveIp {
        server: u64,
        ip: u64,
    },
    InstallOs(u64),
    RunDiagnostics(u64),
    StopOperation(u64),
    ListUsers,
    CreateUser,
    ListLocations,
    ShowLocation(u64),
    ListRacks,
    ShowRack(u64),
    ListPools,
    PoolSettings,
    ListTemplates,
    ListScripts,
}

impl Endpoint {
    /// Calls that need no session.
    pub fn is_public(&self) -> bool {
        matches!(self, Endpoint::Login | Endpoint::KeyLogin)
    }

    /// Calls open to any session, not only an administrator's.
    pub fn is_for_any_user(&self) -> bool {
        matches!(self, Endpoint::RevokeToken(_))
    }

    pub fn is_list(&self) -> bool {
        matches!(
            self,
            Endpoint::ListServers
                | Endpoint::ListConfigurations
                | Endpoint::ListUsers
                | Endpoint::ListLocations
                | Endpoint::ListRacks
                | Endpoint::ListPools
                | Endpoint::ListTemplates
                | Endpoint::ListScripts
        )
    }
}

/// The endpoint, or 404 for an unknown path and 405 for a known path with another method.
pub fn resolve(method: Method, segments: &[String]) -> Result<Endpoint, ApiError> {
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    if let Some(endpoint) = route(method, &segments) {
        return Ok(endpoint);
    }
    let allowed: Vec<&str> = [
        (Method::Get, "GET"),
        (Method::Post, "POST"),
        (Method::Delete, "DELETE"),
    ]
    .into_iter()
    .filter(|(m, _)| route(*m, &segments).is_some())
    .map(|(_, name)| name)
    .collect();
    if allowed.is_empty() {
        Err(ApiError::not_found("no such route").with_value(format!("/{}", segments.join("/"))))
    } else {
        Err(ApiError::new(405, "method not allowed").with_value(allowed))
    }
}

fn route(method: Method, segments: &[&str]) -> Option<Endpoint> {
    use Endpoint as E;
    use Method::{Delete, Get, Post};
    let id = |text: &str| text.parse::<u64>().ok();
    Some(match (method, segments) {
        (Post, ["api", "auth", "v4", "public", "token"]) => E::Login,
        (Post, ["api", "auth", "v4", "public", "key"]) => E::KeyLogin,
        (Delete, ["api", "auth", "v4", "token", token]) => E::RevokeToken(token.to_string()),
        (Post, ["api", "auth", "v4", "user", user, "key"]) => E::UserKey(user.to_string()),
        (Get, ["api", "dci", "v3", "server"]) => E::ListServers,
        (Get, ["api", "dci", "v3", "server", "configuration"]) => E::ListConfigurations,
        (Get, ["api", "dci", "v3", "server", server]) => E::ShowServer(id(server)?),
        (Post, ["api", "dci", "v3", "server", server]) => E::EditServer(id(server)?),
        (Post, ["api", "dci", "v3", "server", server, action]) => {
            let server = id(server)?;
            match *action {
                "power_on" => E::Power(server, PowerAction::On),
                "power_off" => E::Power(server, PowerAction::Off),
                "power_reset" => E::Power(server, PowerAction::Reset),
                "owner" => E::SetOwner(server),
                "ip" => E::AddIps(server),
                "os_install" => E::InstallOs(server),
                "diagnostics" => E::RunDiagnostics(server),
                _ => return None,
            }
        }
        (Delete, ["api", "dci", "v3", "server", server, "owner"]) => E::RemoveOwner(id(server)?),
        (Post, ["api", "dci", "v3", "server", server, "operation", "stop"]) => {
            E::StopOperation(id(server)?)
        }
        (
            Post,
            [
                "api",
                "dci",
                "v3",
                "server",
                server,
                "switch_connection",
                connection,
            ],
        ) => E::SetPort {
            server: id(server)?,
            connection: id(connection)?,
        },
        (Delete, ["api", "dci", "v3", "server", server, "ip", ip]) => E::RemoveIp {
            server: id(server)?,
            ip: id(ip)?,
        },
        (Get, ["api", "dci", "v3", "user"]) => E::ListUsers,
        (Post, ["api", "dci", "v3", "user"]) => E::CreateUser,
        (Get, ["api", "dci", "v3", "location"]) => E::ListLocations,
        (Get, ["api", "dci", "v3", "location", location]) => E::ShowLocation(id(location)?),
        (Get, ["api", "dci", "v3", "rack"]) => E::ListRacks,
        (Get, ["api", "dci", "v3", "rack", rack]) => E::ShowRack(id(rack)?),
        (Get, ["api", "ip", "v3", "ippool"]) => E::ListPools,
        (Get, ["api", "dci", "v3", "ippool", "settings"]) => E::PoolSettings,
        (Get, ["api", "dci", "v3", "os_template"]) => E::ListTemplates,
        (Get, ["api", "dci", "v3", "script"]) => E::ListScripts,
        _ => return None,
    })
}

/// The path's segments, percent-decoded; `None` if the encoding is broken.
pub fn segments(path: &str) -> Option<Vec<String>> {
    path.strip_prefix('/')?
        .split('/')
        .map(|s| percent_decode(s, false))
        .collect()
}

/// `%XX` escapes, and `+` as a space in query strings.
pub fn percent_decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                decoded.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                decoded.push(b' ');
                i += 1;
            }
            _ => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(decoded).ok()
}

/// The decoded query parameters of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn parse(raw: &str) -> Result<Params, ApiError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            let decode = |text: &str| {
                percent_decode(text, true).ok_or_else(|| {
                    ApiError::bad_request("bad encoding in query string").with_value(part)
                })
            };
            let (name, value) = (decode(name)?, decode(value)?);
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(ApiError::bad_request("query parameter given twice").with_value(name));
            }
            pairs.push((name, value));
        }
        Ok(Params { pairs })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// 400 for any parameter: the call takes none.
    pub fn expect_none(&self) -> Result<(), ApiError> {
        match self.pairs.first() {
            Some((name, _)) => Err(ApiError::bad_request("this call takes no query parameters")
                .with_value(name.as_str())),
            None => Ok(()),
        }
    }

    /// The list query for records of type `T`; 400 for anything else than `where`, `orderby`,
    /// `limit`, or for a query that does not fit `T`.
    pub fn list_query<T: Record>(&self) -> Result<ListQuery, ApiError> {
        if let Some((name, _)) = self
            .pairs
            .iter()
            .find(|(n, _)| !matches!(n.as_str(), "where" | "orderby" | "limit"))
        {
            return Err(ApiError::bad_request("unknown query parameter").with_value(name.as_str()));
        }
        ListQuery::parse::<T>(self.get("where"), self.get("orderby"), self.get("limit")).map_err(
            |e| {
                let error = ApiError::bad_request(format!("bad list query: {}", e.msg));
                match e.value {
                    Some(value) => error.with_value(value),
                    None => error,
                }
            },
        )
    }

    /// `name=value&...`, decoded, for the request log.
    pub fn decoded(&self) -> String {
        self.pairs
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_path(method: Method, path: &str) -> Result<Endpoint, u16> {
        resolve(method, &segments(path).unwrap()).map_err(|e| e.status)
    }

    #[test]
    fn routes() {
        use Method::*;
        assert_eq!(
            resolve_path(Get, "/api/dci/v3/server/configuration"),
            Ok(Endpoint::ListConfigurations)
        );
        assert_eq!(
            resolve_path(Get, "/api/dci/v3/server/12"),
            Ok(Endpoint::ShowServer(12))
        );
        assert_eq!(
            resolve_path(Post, "/api/dci/v3/server/12"),
            Ok(Endpoint::EditServer(12))
        );
        assert_eq!(
            resolve_path(Post, "/api/dci/v3/server/12/power_reset"),
            Ok(Endpoint::Power(12, PowerAction::Reset))
        );
        assert_eq!(
            resolve_path(Post, "/api/auth/v4/user/a%40b.c/key"),
            Ok(Endpoint::UserKey("a@b.c".into()))
        );
        assert_eq!(
            resolve_path(Delete, "/api/dci/v3/server/12/owner"),
            Ok(Endpoint::RemoveOwner(12))
        );
        assert_eq!(resolve_path(Get, "/api/dci/v3/server/12/owner"), Err(405));
        assert_eq!(resolve_path(Other, "/api/dci/v3/server"), Err(405));
        assert_eq!(resolve_path(Get, "/api/dci/v3/server/x"), Err(404));
        assert_eq!(
            resolve_path(Post, "/api/dci/v3/server/12/explode"),
            Err(404)
        );
        assert_eq!(resolve_path(Get, "/api/dci/v3/server/"), Err(404));
        assert_eq!(resolve_path(Get, "/nothing"), Err(404));
    }

    #[test]
    fn params() {
        let params =
            Params::parse("where=owner_email+IS+null%20AND%20id%20EQ%203&limit=0,10").unwrap();
        assert_eq!(params.get("where"), Some("owner_email IS null AND id EQ 3"));
        assert_eq!(
            params.decoded(),
            "where=owner_email IS null AND id EQ 3&limit=0,10"
        );
        assert_eq!(Params::parse("limit=1&limit=2").unwrap_err().status, 400);
        assert_eq!(Params::parse("where=%zz").unwrap_err().status, 400);
        assert!(Params::parse("").unwrap().expect_none().is_ok());
        assert_eq!(
            Params::parse("x=1")
                .unwrap()
                .expect_none()
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(percent_decode("%E2%82%AC", false).as_deref(), Some("€"));
        assert_eq!(percent_decode("%", false), None);
        assert_eq!(percent_decode("a+b", false).as_deref(), Some("a+b"));
    }
}
