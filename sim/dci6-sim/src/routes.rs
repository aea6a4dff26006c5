//! Which call of the contract a request names: the route table of each dialect (method and
//! path template to an [`Endpoint`], with sample bodies for the OpenAPI document), and the query
//! parameters (only list endpoints take any: `where`, `orderby`, `limit`).
//!
//! The same table dispatches requests and describes the API (`openapi.rs`), so the document
//! cannot list a route the simulator does not serve, nor miss one it does.

use serde_json::{Value, json};

use crate::actions::PowerAction;
use crate::dialect::Dialect;
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

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Other => "OTHER",
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
    /// Platform: sets the owner, or removes it with `null`.
    SetAccount(u64),
    SetPort {
        server: u64,
        connection: u64,
    },
    AddIps(u64),
    /// Platform: per-family pool lists and counts.
    AddIpsByFamily(u64),
    RemoveIp {
        server: u64,
        ip: u64,
    },
    /// Platform: the address alone names it.
    DeleteIp(u64),
    InstallOs(u64),
    /// Platform: `os` and `recipe_list`.
    Reinstall(u64),
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
    /// Modelled: one row per switch port and day.
    ListTraffic,
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
                | Endpoint::ListTraffic
        )
    }
}

/// The values a path template's placeholders matched.
pub struct Captures<'a> {
    values: Vec<(&'static str, &'a str)>,
}

impl Captures<'_> {
    fn text(&self, name: &str) -> Option<String> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    }

    fn id(&self, name: &str) -> Option<u64> {
        self.text(name)?.parse().ok()
    }
}

/// One segment of a path template: `{name}` is an integer id, `{name:text}` any text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    Literal(&'static str),
    Id(&'static str),
    Text(&'static str),
}

/// One call of a dialect.
pub struct Route {
    pub method: Method,
    /// `/api/dci/v3/server/{server}/ip`; see [`Segment`] for the placeholders.
    pub path: &'static str,
    /// `None`: both dialects.
    pub dialect: Option<Dialect>,
    build: fn(&Captures<'_>) -> Option<Endpoint>,
    /// POST bodies the call accepts, which together use every field it knows (the OpenAPI
    /// document's request schema is read from them, and they are run against a sample
    /// installation for the answer's schema); empty for GET and DELETE.
    pub bodies: fn() -> Vec<Value>,
    /// The body fields every request must have.
    pub required: &'static [&'static str],
}

impl Route {
    pub fn segments(&self) -> impl Iterator<Item = Segment> {
        self.path.split('/').skip(1).map(|part| {
            match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => match name.strip_suffix(":text") {
                    Some(name) => Segment::Text(name),
                    None => Segment::Id(name),
                },
                None => Segment::Literal(part),
            }
        })
    }

    /// The path as OpenAPI writes it: `{name}` for every placeholder.
    pub fn openapi_path(&self) -> String {
        self.path.replace(":text}", "}")
    }

    pub fn serves(&self, dialect: Dialect) -> bool {
        self.dialect.is_none_or(|d| d == dialect)
    }

    fn matches(&self, method: Method, segments: &[&str]) -> Option<Endpoint> {
        if method != self.method {
            return None;
        }
        let mut values = Vec::new();
        let mut given = segments.iter();
        for segment in self.segments() {
            let part = given.next()?;
            match segment {
                Segment::Literal(literal) if literal == *part => {}
                Segment::Literal(_) => return None,
                Segment::Id(name) => {
                    part.parse::<u64>().ok()?;
                    values.push((name, *part));
                }
                Segment::Text(name) => values.push((name, *part)),
            }
        }
        if given.next().is_some() {
            return None;
        }
        (self.build)(&Captures { values })
    }
}

fn no_body() -> Vec<Value> {
    Vec::new()
}

fn empty_body() -> Vec<Value> {
    vec![json!({})]
}

/// `route!(Method "path", dialect, build)` for a call without a body, with `bodies` and
/// `required` after `build` for one with.
macro_rules! route {
    ($method:ident $path:literal, $dialect:expr, $build:expr) => {
        route!($method $path, $dialect, $build, no_body, &[])
    };
    ($method:ident $path:literal, $dialect:expr, $build:expr, $bodies:expr, $required:expr) => {
        Route {
            method: Method::$method,
            path: $path,
            dialect: $dialect,
            build: $build,
            bodies: $bodies,
            required: $required,
        }
    };
}

const DEFAULT: Option<Dialect> = Some(Dialect::Default);
const PLATFORM: Option<Dialect> = Some(Dialect::Platform);
const BOTH: Option<Dialect> = None;

/// Every route of both dialects. Order matters where two templates fit one path: the first that
/// fits wins (`server/configuration` before `server/{server}`).
pub static ROUTES: &[Route] = &[
    route!(Post "/api/auth/v4/public/token", BOTH, |_| Some(Endpoint::Login),
        || vec![json!({"email": "admin@example.com", "password": "secret"})],
        &["email", "password"]),
    route!(Post "/api/auth/v4/public/key", BOTH, |_| Some(Endpoint::KeyLogin),
        || vec![json!({"key": "0123456789abcdef0123456789abcdef"})], &["key"]),
    route!(Delete "/api/auth/v4/token/{token:text}", BOTH,
        |c| Some(Endpoint::RevokeToken(c.text("token")?))),
    route!(Post "/api/auth/v4/user/{user:text}/key", BOTH,
        |c| Some(Endpoint::UserKey(c.text("user")?)), empty_body, &[]),
    route!(Get "/api/dci/v3/server", BOTH, |_| Some(Endpoint::ListServers)),
    route!(Get "/api/dci/v3/server/configuration", BOTH, |_| Some(Endpoint::ListConfigurations)),
    route!(Get "/api/dci/v3/server/traffic", BOTH, |_| Some(Endpoint::ListTraffic)),
    route!(Get "/api/dci/v3/server/{server}", BOTH,
        |c| Some(Endpoint::ShowServer(c.id("server")?))),
    route!(Post "/api/dci/v3/server/{server}", DEFAULT,
        |c| Some(Endpoint::EditServer(c.id("server")?)),
        || vec![json!({"domain": "web.example.com", "notes": "order 7",
                       "maintenance_mode": false})],
        &[]),
    route!(Post "/api/dci/v3/server/{server}", PLATFORM,
        |c| Some(Endpoint::EditServer(c.id("server")?)),
        || vec![json!({"domain": "web.example.com", "comment": "order 7",
                       "maintenance_mode": false})],
        &[]),
    route!(Post "/api/dci/v3/server/{server}/power_on", BOTH,
        |c| Some(Endpoint::Power(c.id("server")?, PowerAction::On)), empty_body, &[]),
    route!(Post "/api/dci/v3/server/{server}/power_off", BOTH,
        |c| Some(Endpoint::Power(c.id("server")?, PowerAction::Off)), empty_body, &[]),
    route!(Post "/api/dci/v3/server/{server}/power_reset", BOTH,
        |c| Some(Endpoint::Power(c.id("server")?, PowerAction::Reset)), empty_body, &[]),
    route!(Post "/api/dci/v3/server/{server}/owner", DEFAULT,
        |c| Some(Endpoint::SetOwner(c.id("server")?)), || vec![json!({"user": 57})], &["user"]),
    route!(Delete "/api/dci/v3/server/{server}/owner", DEFAULT,
        |c| Some(Endpoint::RemoveOwner(c.id("server")?))),
    route!(Post "/api/dci/v3/server/{server}/account", PLATFORM,
        |c| Some(Endpoint::SetAccount(c.id("server")?)),
        || vec![json!({"account": 57}), json!({"account": null})], &["account"]),
    route!(Post "/api/dci/v3/server/{server}/ip", DEFAULT,
        |c| Some(Endpoint::AddIps(c.id("server")?)),
        || vec![json!({"pool": 1, "family": "ipv4", "count": 1})], &["pool", "family", "count"]),
    route!(Post "/api/dci/v3/server/{server}/ip", PLATFORM,
        |c| Some(Endpoint::AddIpsByFamily(c.id("server")?)),
        || vec![json!({"ipv4_pool": [1], "ipv4_number": 1}),
                json!({"ipv6_pool": [1], "ipv6_number": 1})],
        &[]),
    route!(Delete "/api/dci/v3/server/{server}/ip/{ip}", DEFAULT,
        |c| Some(Endpoint::RemoveIp { server: c.id("server")?, ip: c.id("ip")? })),
    route!(Delete "/api/ip/v3/ip/{ip}", PLATFORM, |c| Some(Endpoint::DeleteIp(c.id("ip")?))),
    route!(Post "/api/dci/v3/server/{server}/os_install", DEFAULT,
        |c| Some(Endpoint::InstallOs(c.id("server")?)),
        || vec![json!({"os_template": 4, "password": "root-pw", "domain": "web.example.com",
                       "scripts": [1], "ssh_keys": ["ssh-ed25519 AAAA admin"]})],
        &["os_template", "password", "domain"]),
    route!(Post "/api/dci/v3/server/{server}/reinstall", PLATFORM,
        |c| Some(Endpoint::Reinstall(c.id("server")?)),
        || vec![json!({"os": 4, "password": "root-pw", "domain": "web.example.com",
                       "recipe_list": [{"recipe": 1}], "ssh_keys": ["ssh-ed25519 AAAA admin"]})],
        &["os", "password", "domain"]),
    route!(Post "/api/dci/v3/server/{server}/diagnostics", BOTH,
        |c| Some(Endpoint::RunDiagnostics(c.id("server")?)),
        || vec![json!({"disk_cleanup": true})], &["disk_cleanup"]),
    route!(Post "/api/dci/v3/server/{server}/operation/stop", BOTH,
        |c| Some(Endpoint::StopOperation(c.id("server")?)), empty_body, &[]),
    route!(Post "/api/dci/v3/server/{server}/switch_connection/{connection}", BOTH,
        |c| Some(Endpoint::SetPort { server: c.id("server")?, connection: c.id("connection")? }),
        || vec![json!({"admin_status": "up"})], &["admin_status"]),
    route!(Get "/api/dci/v3/user", BOTH, |_| Some(Endpoint::ListUsers)),
    route!(Post "/api/dci/v3/user", BOTH, |_| Some(Endpoint::CreateUser),
        || vec![json!({"email": "new@example.com", "password": "pw", "role": "@user",
                       "full_name": "New Customer", "phone_number": "+31 20 000 0000"})],
        &["email", "password", "role"]),
    route!(Get "/api/dci/v3/location", BOTH, |_| Some(Endpoint::ListLocations)),
    route!(Get "/api/dci/v3/location/{location}", BOTH,
        |c| Some(Endpoint::ShowLocation(c.id("location")?))),
    route!(Get "/api/dci/v3/rack", BOTH, |_| Some(Endpoint::ListRacks)),
    route!(Get "/api/dci/v3/rack/{rack}", BOTH, |c| Some(Endpoint::ShowRack(c.id("rack")?))),
    route!(Get "/api/ip/v3/ippool", BOTH, |_| Some(Endpoint::ListPools)),
    route!(Get "/api/dci/v3/ippool/settings", BOTH, |_| Some(Endpoint::PoolSettings)),
    route!(Get "/api/dci/v3/os_template", BOTH, |_| Some(Endpoint::ListTemplates)),
    route!(Get "/api/dci/v3/script", BOTH, |_| Some(Endpoint::ListScripts)),
];

/// The route of `dialect` that fits, and what it names.
pub fn find(
    dialect: Dialect,
    method: Method,
    segments: &[&str],
) -> Option<(&'static Route, Endpoint)> {
    ROUTES
        .iter()
        .filter(|r| r.serves(dialect))
        .find_map(|r| r.matches(method, segments).map(|e| (r, e)))
}

/// The endpoint, or 404 for an unknown path and 405 for a known path with another method.
pub fn resolve(
    dialect: Dialect,
    method: Method,
    segments: &[String],
) -> Result<Endpoint, ApiError> {
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    if let Some((_, endpoint)) = find(dialect, method, &segments) {
        return Ok(endpoint);
    }
    let allowed: Vec<&str> = [Method::Get, Method::Post, Method::Delete]
        .into_iter()
        .filter(|m| find(dialect, *m, &segments).is_some())
        .map(Method::as_str)
        .collect();
    if allowed.is_empty() {
        Err(ApiError::not_found("no such route").with_value(format!("/{}", segments.join("/"))))
    } else {
        Err(ApiError::new(405, "method not allowed").with_value(allowed))
    }
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
    pub fn list_query<T: Record>(&self, dialect: Dialect) -> Result<ListQuery, ApiError> {
        if let Some((name, _)) = self
            .pairs
            .iter()
            .find(|(n, _)| !matches!(n.as_str(), "where" | "orderby" | "limit"))
        {
            return Err(ApiError::bad_request("unknown query parameter").with_value(name.as_str()));
        }
        ListQuery::parse::<T>(
            dialect,
            self.get("where"),
            self.get("orderby"),
            self.get("limit"),
        )
        .map_err(|e| {
            let error = ApiError::bad_request(format!("bad list query: {}", e.msg));
            match e.value {
                Some(value) => error.with_value(value),
                None => error,
            }
        })
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
        resolve(Dialect::Default, method, &segments(path).unwrap()).map_err(|e| e.status)
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
    fn platform_routes() {
        use Method::*;
        let resolve_platform = |method, path: &str| {
            resolve(Dialect::Platform, method, &segments(path).unwrap()).map_err(|e| e.status)
        };
        assert_eq!(
            resolve_platform(Post, "/api/dci/v3/server/12/reinstall"),
            Ok(Endpoint::Reinstall(12))
        );
        assert_eq!(
            resolve_platform(Post, "/api/dci/v3/server/12/account"),
            Ok(Endpoint::SetAccount(12))
        );
        assert_eq!(
            resolve_platform(Delete, "/api/ip/v3/ip/901"),
            Ok(Endpoint::DeleteIp(901))
        );
        assert_eq!(
            resolve_platform(Get, "/api/dci/v3/server/configuration"),
            Ok(Endpoint::ListConfigurations)
        );
        assert_eq!(resolve_platform(Get, "/api/ip/v3/ip/901"), Err(405));
        assert_eq!(
            resolve_platform(Post, "/api/dci/v3/server/12/os_install"),
            Err(404)
        );
        assert_eq!(
            resolve_platform(Delete, "/api/dci/v3/server/12/owner"),
            Err(404)
        );
        assert_eq!(resolve_path(Delete, "/api/ip/v3/ip/901"), Err(404));
        assert_eq!(
            resolve_path(Post, "/api/dci/v3/server/12/account"),
            Err(404)
        );
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
