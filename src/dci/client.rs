//! The blocking DCImanager 6 client: session, retries, errors and paging.
//!
//! Every request goes through one path (`Client::send`) so that the headers of the contract, the
//! request count and the log line with its duration are the same for all. On top of it:
//! `exchange` waits out 503 answers (the service waking up), `call` logs in lazily and once more
//! when the session has expired, and `accept`/`decode` turn answers into typed values or into
//! errors an administrator can act on. Typed calls, one per route, are in `calls.rs`; paths and
//! JSON shapes in `api.rs`.
//!
//! Errors carry a [`ModuleError`] (the type BILLmanager shows) and, for every answer with an
//! error status, a [`DciError`] with DCImanager's status, code and message, so callers can tell a
//! conflict (409) or a missing object (404) from other failures with [`is_conflict`] and
//! [`is_not_found`].

use std::fmt;
use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use ureq::tls::{PemItem, RootCerts, TlsConfig, parse_pem};

use super::address::{self, Address};
use super::api::{ErrorBody, List, Token, TokenRequest, route};
use super::filter::Filter;
use super::token_cache::TokenCache;
use crate::protocol::error::{ErrorKind, ModuleError, fail};

/// Items per page of a list call: a page of servers stays well under a megabyte.
pub const DEFAULT_PAGE_SIZE: u32 = 500;

/// Larger answers are refused rather than held in memory.
const MAX_ANSWER_BYTES: u64 = 64 * 1024 * 1024;

/// How much of an unexpected answer an error message quotes.
const EXCERPT_CHARS: usize = 200;

/// Request body fields never written to the log.
const SECRET_FIELDS: [&str; 3] = ["password", "token", "key"];

/// Answers under this prefix may hold a session token or a login key: never quoted.
const AUTH_PREFIX: &str = "/api/auth/";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// PEM file with the CA (or the self-signed certificate) to trust instead of the public roots.
    pub ca_file: Option<PathBuf>,
    /// Skip certificate verification entirely (logged as a warning).
    pub insecure: bool,
}

/// How long to wait out a DCImanager that answers 503 while it wakes up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a call answered 503 is repeated before giving up (the official example
    /// retries up to 10 times).
    pub max_attempts_on_503: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts_on_503: 10,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(16),
        }
    }
}

impl RetryPolicy {
    /// The pause before retry number `retry` (0 for the first): doubling from `first_delay`,
    /// never more than `max_delay`.
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry).unwrap_or(u32::MAX);
        self.first_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

#[derive(Clone)]
pub struct ClientConfig {
    /// As the administrator typed it; see `address::parse`.
    pub url: String,
    pub email: String,
    pub password: String,
    pub tls: TlsOptions,
    pub connect_timeout: Duration,
    /// Longest silence while waiting for (a part of) an answer.
    pub read_timeout: Duration,
    pub retry: RetryPolicy,
    /// Where to keep the session token between runs; `None` logs in on every run.
    pub token_cache: Option<PathBuf>,
}

impl ClientConfig {
    pub fn new(
        url: impl Into<String>,
        email: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        ClientConfig {
            url: url.into(),
            email: email.into(),
            password: password.into(),
            tls: TlsOptions::default(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            token_cache: None,
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("url", &self.url)
            .field("email", &self.email)
            .field("password", &"<hidden>")
            .field("tls", &self.tls)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("retry", &self.retry)
            .field("token_cache", &self.token_cache)
            .finish()
    }
}

/// DCImanager's answer to a call that failed with an error status: found in the error chain by
/// [`dci_error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DciError {
    pub status: u16,
    /// DCImanager's error code (0 when the answer had no error body).
    pub code: i64,
    pub msg: String,
    pub method: &'static str,
    /// The path of the call (a token in it replaced by `<token>`).
    pub path: String,
}

impl fmt::Display for DciError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} answered HTTP {}",
            self.method, self.path, self.status
        )
    }
}

impl std::error::Error for DciError {}

/// DCImanager's error answer behind `err`, if DCImanager answered with an error status.
pub fn dci_error(err: &anyhow::Error) -> Option<&DciError> {
    err.downcast_ref::<DciError>().or_else(|| {
        err.chain()
            .find_map(|cause| cause.downcast_ref::<DciError>())
    })
}

/// DCImanager refused the call as conflicting with the object's state (HTTP 409): an owner
/// already set, an operation running, a user that exists.
pub fn is_conflict(err: &anyhow::Error) -> bool {
    dci_error(err).is_some_and(|e| e.status == 409)
}

/// The object of the call does not exist (HTTP 404).
pub fn is_not_found(err: &anyhow::Error) -> bool {
    dci_error(err).is_some_and(|e| e.status == 404)
}

/// What a list call asks for; pages are fetched by [`Client::for_each_page`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// `where`
    pub filter: Option<Filter>,
    /// `orderby`, e.g. `id asc`. Paging is only stable over a fixed order.
    pub order_by: Option<String>,
    pub page_size: u32,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            filter: None,
            order_by: None,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

pub struct Client {
    agent: ureq::Agent,
    address: Address,
    email: String,
    password: String,
    retry: RetryPolicy,
    cache: Option<TokenCache>,
    /// The session token once known. Behind a mutex so that threads sharing a client log in
    /// once, not once each.
    session: Mutex<Option<String>>,
    requests: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// One call, ready to be sent as often as retries need.
struct Request<'a> {
    method: Method,
    path: &'a str,
    query: &'a [(&'a str, String)],
    body: Option<Vec<u8>>,
    /// The body with secret fields hidden, for the debug log.
    logged_body: Option<String>,
    /// The path for logs and messages, without any token in it.
    shown: String,
}

impl<'a> Request<'a> {
    fn new(method: Method, path: &'a str, query: &'a [(&'a str, String)]) -> Request<'a> {
        Request {
            method,
            path,
            query,
            body: None,
            logged_body: None,
            shown: shown_path(path),
        }
    }

    fn post<B: Serialize + ?Sized>(path: &'a str, body: &B) -> Result<Request<'a>> {
        let mut value = serde_json::to_value(body)
            .with_context(|| format!("encoding the body of POST {}", shown_path(path)))?;
        let bytes = serde_json::to_vec(&value)
            .with_context(|| format!("encoding the body of POST {}", shown_path(path)))?;
        hide_secrets(&mut value);
        Ok(Request {
            body: Some(bytes),
            logged_body: Some(value.to_string()),
            ..Request::new(Method::Post, path, &[])
        })
    }

    /// Path and query as logged: values unencoded, for people to read.
    fn target(&self) -> String {
        let mut target = self.shown.clone();
        for (i, (key, value)) in self.query.iter().enumerate() {
            target.push(if i == 0 { '?' } else { '&' });
            target.push_str(key);
            target.push('=');
            target.push_str(value);
        }
        target
    }
}

/// An answer, read in full.
struct Reply {
    status: u16,
    location: Option<String>,
    body: Vec<u8>,
}

impl Client {
    /// Checks the address and the TLS options; does not touch the network (login is lazy).
    pub fn new(config: ClientConfig) -> Result<Client> {
        let address = address::parse(&config.url)?;
        let agent = ureq::Agent::config_builder()
            // Error answers carry DCImanager's code and message: read them, do not let ureq
            // turn them into a bare status.
            .http_status_as_error(false)
            // A redirect (http to https, another host) means the address is wrong; following
            // it would turn a POST into a GET. It is reported instead.
            .max_redirects(0)
            .timeout_resolve(Some(config.connect_timeout))
            .timeout_connect(Some(config.connect_timeout))
            .timeout_per_read(Some(config.read_timeout))
            .timeout_per_write(Some(config.read_timeout))
            .user_agent(format!("pmdci6/{}", env!("CARGO_PKG_VERSION")))
            .accept("application/json")
            .tls_config(tls_config(&config.tls)?)
            .build()
            .new_agent();
        let cache = config
            .token_cache
            .map(|path| TokenCache::new(path, &address.base, &config.email));
        Ok(Client {
            agent,
            address,
            email: config.email,
            password: config.password,
            retry: config.retry,
            cache,
            session: Mutex::new(None),
            requests: AtomicU64::new(0),
        })
    }

    /// `host[:port]` of the installation, for messages.
    pub fn host(&self) -> &str {
        &self.address.host
    }

    /// HTTP requests sent so far, logins and retries included.
    pub fn requests_made(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Logs in now, even with a session in memory or in the cache: proves the e-mail and
    /// password (check_connection).
    pub fn login(&self) -> Result<()> {
        let mut session = self.lock_session();
        *session = Some(self.log_in()?);
        Ok(())
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T> {
        self.call(&Request::new(Method::Get, path, query))
    }

    pub fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.call(&Request::post(path, body)?)
    }

    pub fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call(&Request::new(Method::Delete, path, &[]))
    }

    /// Fetches a list page by page (`limit=<offset>,<count>`), handing each page to `each`, so
    /// only one page is held at a time. Stops at the `size` DCImanager reports or at a short
    /// page. Returns the number of matching objects: `size`, or the number received when that
    /// is larger or `size` is absent.
    pub fn for_each_page<T, F>(&self, path: &str, query: &ListQuery, mut each: F) -> Result<u64>
    where
        T: DeserializeOwned,
        F: FnMut(Vec<T>) -> Result<()>,
    {
        let count = u64::from(query.page_size.max(1));
        let mut offset: u64 = 0;
        loop {
            let mut params = Vec::with_capacity(3);
            if let Some(filter) = &query.filter {
                params.push(("where", filter.to_string()));
            }
            if let Some(order) = &query.order_by {
                params.push(("orderby", order.clone()));
            }
            params.push(("limit", format!("{offset},{count}")));
            let page: List<T> = self.get(path, &params)?;
            let received = page.list.len() as u64;
            if received > 0 {
                each(page.list)?;
            }
            offset += received;
            // `size` is absent (0) on some small lists: then only a short page ends the
            // listing. More than asked for means `limit` was ignored and all has come.
            let complete = received != count || (page.size > 0 && offset >= page.size);
            if complete {
                return Ok(page.size.max(offset));
            }
        }
    }

    /// Every object of a list, all pages collected.
    pub fn list_all<T: DeserializeOwned>(&self, path: &str, query: &ListQuery) -> Result<Vec<T>> {
        let mut all = Vec::new();
        self.for_each_page(path, query, |page| {
            all.extend(page);
            Ok(())
        })?;
        Ok(all)
    }

    // ---- session ------------------------------------------------------------------------

    /// A call with the session: logs in on first need, and once more if DCImanager no longer
    /// knows the session (expired, or a cached token from an earlier run that was revoked).
    fn call<T: DeserializeOwned>(&self, request: &Request) -> Result<T> {
        let token = self.session_token()?;
        let mut reply = self.exchange(request, Some(&token))?;
        if reply.status == 401 {
            log::info!(
                "DCImanager refused the session on {} {}; logging in again",
                request.method.as_str(),
                request.shown
            );
            let token = self.renew_session(&token)?;
            reply = self.exchange(request, Some(&token))?;
        }
        let body = self.accept(request, reply)?;
        self.decode(request, &body)
    }

    /// The token in memory, else the one an earlier run saved, else a new login.
    fn session_token(&self) -> Result<String> {
        let mut session = self.lock_session();
        if let Some(token) = session.as_ref() {
            return Ok(token.clone());
        }
        let token = match self.cache.as_ref().and_then(TokenCache::load) {
            Some(token) => {
                log::debug!("reusing the DCImanager session saved by an earlier run");
                token
            }
            None => self.log_in()?,
        };
        *session = Some(token.clone());
        Ok(token)
    }

    /// After `rejected` got a 401: a new login, unless another thread has made one meanwhile.
    fn renew_session(&self, rejected: &str) -> Result<String> {
        let mut session = self.lock_session();
        if let Some(token) = session.as_deref()
            && token != rejected
        {
            return Ok(token.to_owned());
        }
        *session = None;
        let token = self.log_in()?;
        *session = Some(token.clone());
        Ok(token)
    }

    fn lock_session(&self) -> MutexGuard<'_, Option<String>> {
        // The guarded value is a plain token: a panic elsewhere cannot leave it half-written.
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The token route; a 401 from it is an invalid login (see `api_failure`), never retried.
    fn log_in(&self) -> Result<String> {
        let credentials = TokenRequest {
            email: &self.email,
            password: &self.password,
        };
        let request = Request::post(route::TOKEN, &credentials)?;
        let reply = self.exchange(&request, None)?;
        let body = self.accept(&request, reply)?;
        let token: Token = self.decode(&request, &body)?;
        if token.token.is_empty() {
            return fail(
                ErrorKind::DciResponse,
                request.shown,
                format!(
                    "DCImanager at {} answered the login of {} with an empty token",
                    self.host(),
                    self.email
                ),
            );
        }
        log::info!(
            "logged in to DCImanager at {} as {}",
            self.host(),
            self.email
        );
        if let Some(cache) = &self.cache
            && let Err(err) = cache.store(&token.token)
        {
            log::warn!("{err:#}");
        }
        Ok(token.token)
    }

    // ---- transport ----------------------------------------------------------------------

    /// Sends `request`, repeating it while DCImanager answers 503, with growing pauses.
    fn exchange(&self, request: &Request, token: Option<&str>) -> Result<Reply> {
        let started = Instant::now();
        let mut retries = 0;
        loop {
            let reply = self.send(request, token)?;
            if reply.status != 503 {
                return Ok(reply);
            }
            if retries >= self.retry.max_attempts_on_503 {
                return Err(self.unavailable(request, &reply, retries, started.elapsed()));
            }
            let delay = self.retry.delay(retries);
            retries += 1;
            log::warn!(
                "DCImanager at {} is unavailable (HTTP 503); retry {retries} of {} in {} ms",
                self.host(),
                self.retry.max_attempts_on_503,
                delay.as_millis()
            );
            std::thread::sleep(delay);
        }
    }

    /// One HTTP request, counted and logged.
    fn send(&self, request: &Request, token: Option<&str>) -> Result<Reply> {
        let url = format!("{}{}", self.address.base, request.path);
        let method = request.method.as_str();
        if let Some(body) = &request.logged_body {
            log::debug!("DCImanager {method} {} body {body}", request.shown);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let sent = match request.method {
            Method::Get => with_contract(self.agent.get(&url), request, token).call(),
            Method::Delete => with_contract(self.agent.delete(&url), request, token).call(),
            Method::Post => with_contract(self.agent.post(&url), request, token)
                .header("content-type", "application/json")
                .send(request.body.as_deref().unwrap_or(b"{}")),
        };
        let received = sent.and_then(|mut response| {
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let body = response
                .body_mut()
                .with_config()
                .limit(MAX_ANSWER_BYTES)
                .read_to_vec()?;
            Ok(Reply {
                status,
                location,
                body,
            })
        });
        let elapsed = started.elapsed().as_millis();
        match received {
            Ok(reply) => {
                log::info!(
                    "DCImanager {method} {} -> {} ({elapsed} ms)",
                    request.target(),
                    reply.status
                );
                Ok(reply)
            }
            Err(err) => {
                log::warn!(
                    "DCImanager {method} {} failed after {elapsed} ms: {err}",
                    request.target()
                );
                Err(self.transport_failure(request, err))
            }
        }
    }

    fn transport_failure(&self, request: &Request, err: ureq::Error) -> anyhow::Error {
        let method = request.method.as_str();
        let cause = match &err {
            ureq::Error::BodyExceedsLimit(limit) => {
                return ModuleError::new(
                    ErrorKind::DciResponse,
                    request.shown.clone(),
                    format!(
                        "DCImanager answered {method} {} with more than {} MB",
                        request.shown,
                        limit / (1024 * 1024)
                    ),
                )
                .into();
            }
            ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
                return anyhow!("cannot build the request {method} {}: {err}", request.shown);
            }
            ureq::Error::Timeout(which) => format!("no answer in time ({which})"),
            ureq::Error::HostNotFound => String::from("the host name does not resolve"),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                String::from("connection refused")
            }
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => tls_hint(&err),
            other
                if other
                    .to_string()
                    .to_ascii_lowercase()
                    .contains("certificate") =>
            {
                tls_hint(other)
            }
            other => other.to_string(),
        };
        ModuleError::new(
            ErrorKind::Unreachable,
            "connection",
            format!(
                "cannot reach DCImanager at {} ({method} {}): {cause}",
                self.host(),
                request.shown
            ),
        )
        .into()
    }

    fn unavailable(
        &self,
        request: &Request,
        reply: &Reply,
        retries: u32,
        waited: Duration,
    ) -> anyhow::Error {
        let mut error = self.dci_error_of(request, reply);
        let detail = if error.msg.is_empty() {
            String::new()
        } else {
            format!(": {}", error.msg)
        };
        let message = format!(
            "DCImanager at {} stayed unavailable (HTTP 503) through {retries} retries over {} s{detail}",
            self.host(),
            waited.as_secs()
        );
        error.msg = message.clone();
        anyhow::Error::new(ModuleError::new(
            ErrorKind::Unreachable,
            "connection",
            message,
        ))
        .context(error)
    }

    // ---- answers ------------------------------------------------------------------------

    /// The body of a successful answer; any other status becomes the error it means.
    fn accept(&self, request: &Request, reply: Reply) -> Result<Vec<u8>> {
        match reply.status {
            200..=299 => Ok(reply.body),
            300..=399 => fail(
                ErrorKind::DciResponse,
                request.shown.clone(),
                format!(
                    "DCImanager answered {} {} with a redirect (HTTP {}) to {}; \
                     set the address to the one it redirects to",
                    request.method.as_str(),
                    request.shown,
                    reply.status,
                    reply.location.as_deref().unwrap_or("an unnamed place")
                ),
            ),
            _ => Err(self.api_failure(request, &reply)),
        }
    }

    fn api_failure(&self, request: &Request, reply: &Reply) -> anyhow::Error {
        let error = self.dci_error_of(request, reply);
        let module = if request.path == route::TOKEN && reply.status == 401 {
            ModuleError::new(
                ErrorKind::InvalidLogin,
                "connection",
                format!(
                    "DCImanager refused the login of {}: {}",
                    self.email, error.msg
                ),
            )
        } else {
            ModuleError::new(
                ErrorKind::DciApi,
                request.shown.clone(),
                format!("DCImanager error {}: {}", error.code, error.msg),
            )
        };
        // The ModuleError is the root so that `classify` finds it in the chain; the DciError
        // wraps it so that `{:#}` reads "<call> answered HTTP 409: DCImanager error ..." and
        // `dci_error` finds it through any context added later.
        anyhow::Error::new(module).context(error)
    }

    fn dci_error_of(&self, request: &Request, reply: &Reply) -> DciError {
        let (code, msg) = match serde_json::from_slice::<ErrorBody>(&reply.body) {
            Ok(body) => (body.error.code, body.error.msg),
            Err(_) if reply.body.is_empty() => (0, String::new()),
            Err(_) => (
                0,
                format!("(no error body) {}", excerpt(request.path, &reply.body)),
            ),
        };
        DciError {
            status: reply.status,
            code,
            msg,
            method: request.method.as_str(),
            path: request.shown.clone(),
        }
    }

    fn decode<T: DeserializeOwned>(&self, request: &Request, body: &[u8]) -> Result<T> {
        // An action without a result may answer with nothing at all instead of `{}`.
        let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            body
        };
        serde_json::from_slice(text).map_err(|err| {
            ModuleError::new(
                ErrorKind::DciResponse,
                request.shown.clone(),
                format!(
                    "DCImanager answered {} {} with something other than the expected JSON ({err}): {}",
                    request.method.as_str(),
                    request.shown,
                    excerpt(request.path, body)
                ),
            )
            .into()
        })
    }
}

/// The headers of the contract, and the query.
fn with_contract<B>(
    builder: ureq::RequestBuilder<B>,
    request: &Request,
    token: Option<&str>,
) -> ureq::RequestBuilder<B> {
    let mut builder = builder.header("isp-box-instance", "true");
    if let Some(token) = token {
        builder = builder
            .header("x-xsrf-token", token)
            .header("cookie", format!("ses6={token}"));
    }
    for (key, value) in request.query {
        builder = builder.query(key, value);
    }
    builder
}

fn tls_config(options: &TlsOptions) -> Result<TlsConfig> {
    static INSECURE_WARNING: Once = Once::new();
    let builder = TlsConfig::builder();
    if options.insecure {
        INSECURE_WARNING.call_once(|| {
            log::warn!(
                "TLS certificate verification of DCImanager is off (tls_insecure): \
                 anyone between the module and DCImanager can read the password"
            );
        });
        return Ok(builder.disable_verification(true).build());
    }
    let Some(path) = &options.ca_file else {
        return Ok(builder.build());
    };
    let pem = match fs::read(path) {
        Ok(pem) => pem,
        Err(err) => {
            return fail(
                ErrorKind::ModuleConfig,
                "connection",
                format!("cannot read the CA file {} (tls_ca): {err}", path.display()),
            );
        }
    };
    let mut certificates = Vec::new();
    for item in parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(certificate)) => certificates.push(certificate),
            Ok(_) => {}
            Err(err) => {
                return fail(
                    ErrorKind::ModuleConfig,
                    "connection",
                    format!(
                        "the CA file {} (tls_ca) is not valid PEM: {err}",
                        path.display()
                    ),
                );
            }
        }
    }
    if certificates.is_empty() {
        return fail(
            ErrorKind::ModuleConfig,
            "connection",
            format!(
                "the CA file {} (tls_ca) holds no PEM certificate",
                path.display()
            ),
        );
    }
    Ok(builder
        .root_certs(RootCerts::new_with_certs(&certificates))
        .build())
}

fn tls_hint(err: &ureq::Error) -> String {
    format!(
        "TLS failure ({err}); if the installation uses a certificate of its own, give its CA \
         file (tls_ca) or, knowing the risk, turn certificate checks off (tls_insecure)"
    )
}

/// `path` with a session token in it replaced, for logs and messages.
fn shown_path(path: &str) -> String {
    let token_prefix = route::token("");
    match path.strip_prefix(&token_prefix) {
        Some(token) if !token.is_empty() => format!("{token_prefix}<token>"),
        _ => path.to_owned(),
    }
}

/// The start of an unexpected answer, on one line; nothing of answers that may hold secrets.
fn excerpt(path: &str, body: &[u8]) -> String {
    if path.starts_with(AUTH_PREFIX) {
        return String::from("(answer not shown: it may hold a secret)");
    }
    if body.is_empty() {
        return String::from("(empty answer)");
    }
    // Four bytes per character at most: enough for the excerpt without copying a huge body.
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_CHARS * 4)]);
    let mut shown: String = text
        .chars()
        .take(EXCERPT_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if body.len() > EXCERPT_CHARS * 4 || text.chars().nth(EXCERPT_CHARS).is_some() {
        shown.push('…');
    }
    shown
}

fn hide_secrets(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                if SECRET_FIELDS.contains(&name.as_str()) {
                    *field = Value::String(String::from("<hidden>"));
                } else {
                    hide_secrets(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(hide_secrets),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::dci::api::{Empty, Server};
    use crate::dci::test_peer::{Answer, Peer, error, login_ok, reply, scratch_dir};
    use crate::protocol::error::classify;

    const EMAIL: &str = "admin@example.com";
    const PASSWORD: &str = "s3cret-Pa55";
    const SERVER_PATH: &str = "/api/dci/v3/server/12";
    const SERVER: &str = r#"{"id": 12, "name": "srv-12", "location_id": 3}"#;

    fn config(url: &str) -> ClientConfig {
        let mut config = ClientConfig::new(url, EMAIL, PASSWORD);
        config.retry = RetryPolicy {
            max_attempts_on_503: 10,
            first_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
        };
        config.connect_timeout = Duration::from_secs(5);
        config.read_timeout = Duration::from_secs(5);
        config
    }

    fn client(peer: &Peer) -> Client {
        Client::new(config(&peer.url)).unwrap()
    }

    fn failure<T: fmt::Debug>(result: Result<T>) -> anyhow::Error {
        match result {
            Ok(value) => panic!("expected an error, got {value:?}"),
            Err(err) => err,
        }
    }

    fn server(client: &Client) -> Result<Server> {
        client.get(SERVER_PATH, &[])
    }

    #[test]
    fn backoff_doubles_from_the_first_delay_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.max_attempts_on_503, 10);
        let schedule: Vec<u64> = (0..7).map(|retry| policy.delay(retry).as_secs()).collect();
        assert_eq!(schedule, [1, 2, 4, 8, 16, 16, 16]);
        // No overflow however long the wait.
        assert_eq!(policy.delay(31), Duration::from_secs(16));
        assert_eq!(policy.delay(200), Duration::from_secs(16));
        let fast = RetryPolicy {
            max_attempts_on_503: 3,
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(60),
        };
        assert_eq!(fast.delay(0), Duration::from_millis(250));
        assert_eq!(fast.delay(2), Duration::from_secs(1));
    }

    #[test]
    fn the_password_is_hidden_from_debug_output() {
        let shown = format!(
            "{:?}",
            ClientConfig::new("dci.example.com", EMAIL, PASSWORD)
        );
        assert!(!shown.contains(PASSWORD), "{shown}");
        assert!(shown.contains(EMAIL), "{shown}");
    }

    #[test]
    fn what_is_logged_of_a_call_holds_no_secret() -> Result<()> {
        let credentials = TokenRequest {
            email: EMAIL,
            password: PASSWORD,
        };
        let login = Request::post(route::TOKEN, &credentials)?;
        let logged = login.logged_body.clone().unwrap_or_default();
        assert!(
            logged.contains(EMAIL) && !logged.contains(PASSWORD),
            "{logged}"
        );
        // What is sent is the real body, of course.
        let sent: Value = serde_json::from_slice(login.body.as_deref().unwrap_or_default())?;
        assert_eq!(sent["password"], PASSWORD);

        let nested =
            serde_json::json!({"os_template": 4, "password": "root-pw", "x": [{"key": "k-123"}]});
        let install = Request::post(SERVER_PATH, &nested)?;
        let logged = install.logged_body.unwrap_or_default();
        assert!(
            !logged.contains("root-pw") && !logged.contains("k-123"),
            "{logged}"
        );
        assert!(logged.contains("os_template"), "{logged}");

        let path = route::token("deadbeef0123");
        let logout = Request::new(Method::Delete, &path, &[]);
        assert_eq!(logout.target(), "/api/auth/v4/token/<token>");
        Ok(())
    }

    #[test]
    fn every_call_carries_the_contract_headers_and_the_session() -> Result<()> {
        let peer = Peer::start(vec![
            login_ok("tok-1"),
            reply(200, SERVER),
            reply(200, "{}"),
        ]);
        let client = client(&peer);
        assert_eq!(server(&client)?.name, "srv-12");
        let _: Value = client.post("/api/dci/v3/server/12/power_on", &Empty {})?;
        let requests = peer.requests();
        assert_eq!(requests.len(), 3);
        assert_eq!(client.requests_made(), 3);

        let login = &requests[0];
        assert_eq!(
            (login.method.as_str(), login.path()),
            ("POST", route::TOKEN)
        );
        assert_eq!(login.header("isp-box-instance"), Some("true"));
        assert_eq!(login.header("x-xsrf-token"), None);
        assert_eq!(login.header("cookie"), None);
        let body: Value = serde_json::from_str(&login.body)?;
        assert_eq!(
            body,
            serde_json::json!({"email": EMAIL, "password": PASSWORD})
        );

        for request in &requests[1..] {
            assert_eq!(
                request.header("isp-box-instance"),
                Some("true"),
                "{request:?}"
            );
            assert_eq!(request.header("x-xsrf-token"), Some("tok-1"), "{request:?}");
            assert_eq!(request.header("cookie"), Some("ses6=tok-1"), "{request:?}");
        }
        assert_eq!(
            (requests[1].method.as_str(), requests[1].path()),
            ("GET", SERVER_PATH)
        );
        assert_eq!(requests[2].method, "POST");
        assert_eq!(requests[2].header("content-type"), Some("application/json"));
        assert_eq!(requests[2].body, "{}");
        Ok(())
    }

    #[test]
    fn a_503_is_retried_until_dcimanager_answers() -> Result<()> {
        let unavailable = || error(503, 0, "Service is starting");
        let peer = Peer::start(vec![
            login_ok("tok-1"),
            unavailable(),
            unavailable(),
            unavailable(),
            reply(200, SERVER),
        ]);
        let client = client(&peer);
        assert_eq!(server(&client)?.id, 12);
        let requests = peer.requests();
        assert_eq!(requests.len(), 5);
        assert!(
            requests[1..]
                .iter()
                .all(|r| r.path() == SERVER_PATH && r.header("x-xsrf-token") == Some("tok-1"))
        );
        assert_eq!(client.requests_made(), 5);
        Ok(())
    }

    #[test]
    fn a_503_that_lasts_gives_up_after_the_policy_s_retries() {
        let mut script = vec![login_ok("tok-1")];
        script.extend((0..3).map(|_| error(503, 0, "Service is starting")));
        let peer = Peer::start(script);
        let mut config = config(&peer.url);
        config.retry.max_attempts_on_503 = 2;
        let client = Client::new(config).unwrap();
        let err = failure(server(&client));
        assert_eq!(classify(&err).0, ErrorKind::Unreachable);
        let text = format!("{err:#}");
        assert!(
            text.contains("stayed unavailable") && text.contains("2 retries"),
            "{text}"
        );
        assert!(text.contains("Service is starting"), "{text}");
        assert_eq!(dci_error(&err).map(|e| e.status), Some(503));
        assert_eq!(peer.requests().len(), 4);
    }

    #[test]
    fn an_expired_session_logs_in_again_once_and_repeats_the_call() -> Result<()> {
        let peer = Peer::start(vec![
            login_ok("tok-1"),
            error(401, 4001, "Token expired"),
            login_ok("tok-2"),
            reply(200, SERVER),
            reply(200, SERVER),
        ]);
        let client = client(&peer);
        assert_eq!(server(&client)?.id, 12);
        assert_eq!(server(&client)?.id, 12);
        let requests = peer.requests();
        let seen: Vec<(&str, Option<&str>)> = requests
            .iter()
            .map(|r| (r.path(), r.header("x-xsrf-token")))
            .collect();
        assert_eq!(
            seen,
            [
                (route::TOKEN, None),
                (SERVER_PATH, Some("tok-1")),
                (route::TOKEN, None),
                (SERVER_PATH, Some("tok-2")),
                (SERVER_PATH, Some("tok-2")),
            ]
        );
        Ok(())
    }

    #[test]
    fn a_session_refused_twice_is_an_api_error_without_a_third_login() {
        let peer = Peer::start(vec![
            login_ok("tok-1"),
            error(401, 4001, "Token expired"),
            login_ok("tok-2"),
            error(401, 4001, "Token expired"),
            login_ok("tok-3"),
        ]);
        let client = client(&peer);
        let err = failure(server(&client));
        assert_eq!(classify(&err).0, ErrorKind::DciApi);
        assert_eq!(dci_error(&err).map(|e| e.status), Some(401));
        assert_eq!(peer.requests().len(), 4);
    }

    #[test]
    fn a_refused_login_is_an_invalid_login_and_is_not_retried() {
        let refused = || error(401, 1001, "Invalid email or password");
        let peer = Peer::start(vec![refused(), refused(), login_ok("never")]);
        let client = client(&peer);
        let err = failure(server(&client));
        assert_eq!(
            classify(&err),
            (ErrorKind::InvalidLogin, String::from("connection"))
        );
        let text = format!("{err:#}");
        assert!(
            text.contains(
                "DCImanager refused the login of admin@example.com: Invalid email or password"
            ),
            "{text}"
        );
        assert!(!text.contains(PASSWORD), "{text}");
        assert_eq!(peer.requests().len(), 1);
        // `login` (check_connection) reports the same.
        let err = failure(client.login());
        assert_eq!(classify(&err).0, ErrorKind::InvalidLogin);
        assert_eq!(peer.requests().len(), 2);
    }

    #[test]
    fn an_error_body_becomes_an_api_error_with_code_message_and_call() {
        let peer = Peer::start(vec![
            login_ok("tok-1"),
            error(400, 1002, "Unknown field 'foo'"),
        ]);
        let client = client(&peer);
        let err = failure(client.post::<_, Value>(
            "/api/dci/v3/server/12/owner",
            &serde_json::json!({"foo": 1}),
        ));
        assert_eq!(
            classify(&err),
            (
                ErrorKind::DciApi,
                String::from("/api/dci/v3/server/12/owner")
            )
        );
        assert_eq!(
            format!("{err:#}"),
            "POST /api/dci/v3/server/12/owner answered HTTP 400: DCImanager error 1002: Unknown field 'foo'"
        );
        let dci = dci_error(&err).cloned();
        assert_eq!(
            dci,
            Some(DciError {
                status: 400,
                code: 1002,
                msg: String::from("Unknown field 'foo'"),
                method: "POST",
                path: String::from("/api/dci/v3/server/12/owner"),
            })
        );
        assert!(!is_conflict(&err) && !is_not_found(&err));
    }

    #[test]
    fn conflicts_and_missing_objects_are_recognisable_through_added_context() {
        let peer = Peer::start(vec![
            login_ok("tok-1"),
            error(409, 3004, "The server already has an owner"),
            error(404, 2001, "No such server"),
            reply(500, "<html>Internal Server Error</html>"),
        ]);
        let client = client(&peer);
        let conflict = failure(client.post::<_, Value>("/api/dci/v3/server/12/owner", &Empty {}))
            .context("claiming server srv-12 for item 42");
        assert!(is_conflict(&conflict) && !is_not_found(&conflict));
        assert_eq!(classify(&conflict).0, ErrorKind::DciApi);
        assert!(format!("{conflict:#}").starts_with("claiming server srv-12 for item 42: POST"));

        let missing = failure(server(&client)).context("reading server 12");
        assert!(is_not_found(&missing) && !is_conflict(&missing));

        // An error status without an error body is still an API error, quoting the answer.
        let broken = failure(server(&client));
        assert_eq!(classify(&broken).0, ErrorKind::DciApi);
        assert_eq!(
            dci_error(&broken).map(|e| (e.status, e.code)),
            Some((500, 0))
        );
        assert!(format!("{broken:#}").contains("<html>Internal Server Error</html>"));
    }

    #[test]
    fn an_answer_that_is_not_the_expected_json_is_a_bad_response_quoted_briefly() {
        let page = format!("<html>{}</html>", "x".repeat(10_000));
        let peer = Peer::start(vec![
            login_ok("tok-1"),
            reply(200, &page),
            reply(200, r#"{"name": "no id"}"#),
        ]);
        let client = client(&peer);
        let err = failure(server(&client));
        assert_eq!(
            classify(&err),
            (ErrorKind::DciResponse, String::from(SERVER_PATH))
        );
        let text = format!("{err:#}");
        assert!(text.contains("GET /api/dci/v3/server/12"), "{text}");
        assert!(text.contains("<html>xxx") && text.ends_with('…'), "{text}");
        assert!(text.len() < 500, "{} chars", text.len());

        let err = failure(server(&client));
        assert_eq!(classify(&err).0, ErrorKind::DciResponse);
        assert!(format!("{err:#}").contains("missing field `id`"));
    }

    #[test]
    fn a_malformed_login_answer_is_not_quoted() {
        let peer = Peer::start(vec![reply(200, r#"{"tokn": "abcdef123456"}"#)]);
        let err = failure(client(&peer).login());
        assert_eq!(classify(&err).0, ErrorKind::DciResponse);
        assert!(!format!("{err:#}").contains("abcdef123456"), "{err:#}");
    }

    #[test]
    fn a_refused_connection_is_unreachable_naming_the_host() {
        let address = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let client = Client::new(config(&format!("http://{address}"))).unwrap();
        let err = failure(server(&client));
        assert_eq!(
            classify(&err),
            (ErrorKind::Unreachable, String::from("connection"))
        );
        let text = format!("{err:#}");
        assert!(
            text.contains(&address.to_string()) && text.contains("connection refused"),
            "{text}"
        );
        assert_eq!(client.requests_made(), 1);
    }

    #[test]
    fn silence_past_the_read_timeout_is_unreachable() {
        let peer = Peer::start(vec![Answer::Silence(Duration::from_secs(3))]);
        let mut config = config(&peer.url);
        config.read_timeout = Duration::from_millis(200);
        let client = Client::new(config).unwrap();
        let err = failure(client.login());
        assert_eq!(classify(&err).0, ErrorKind::Unreachable);
        assert!(format!("{err:#}").contains("no answer in time"), "{err:#}");
    }

    #[test]
    fn a_redirect_is_reported_with_where_it_leads() {
        let peer = Peer::start(vec![Answer::Reply {
            status: 301,
            headers: vec![(
                "location",
                String::from("https://dci.example.com/api/auth/v4/public/token"),
            )],
            body: String::new(),
        }]);
        let err = failure(client(&peer).login());
        assert_eq!(classify(&err).0, ErrorKind::DciResponse);
        assert!(
            format!("{err:#}").contains("redirect (HTTP 301) to https://dci.example.com/"),
            "{err:#}"
        );
    }

    #[test]
    fn a_list_is_read_page_by_page_until_its_size() -> Result<()> {
        let peer = Peer::start(vec![
            login_ok("tok-1"),
            reply(200, r#"{"list": [{"id": 1}, {"id": 2}], "size": 5}"#),
            reply(200, r#"{"list": [{"id": 3}, {"id": 4}], "size": 5}"#),
            reply(200, r#"{"list": [{"id": 5}], "size": 5}"#),
        ]);
        let client = client(&peer);
        let query = ListQuery {
            filter: Some(
                Filter::eq("is_new", false.into()).and(Filter::eq("location_id", 3u64.into())),
            ),
            order_by: Some(String::from("id asc")),
            page_size: 2,
        };
        let mut pages = Vec::new();
        let total = client.for_each_page(route::SERVERS, &query, |page: Vec<Server>| {
            pages.push(page.iter().map(|s| s.id).collect::<Vec<_>>());
            Ok(())
        })?;
        assert_eq!(total, 5);
        assert_eq!(pages, [vec![1, 2], vec![3, 4], vec![5]]);
        let requests = peer.requests();
        assert_eq!(requests.len(), 4);
        let limits: Vec<Option<String>> = requests[1..].iter().map(|r| r.query("limit")).collect();
        assert_eq!(
            limits,
            [Some("0,2".into()), Some("2,2".into()), Some("4,2".into())]
        );
        for request in &requests[1..] {
            assert_eq!(request.path(), route::SERVERS);
            assert_eq!(
                request.query("where").as_deref(),
                Some("(is_new EQ false) AND (location_id EQ 3)")
            );
            assert_eq!(request.query("orderby").as_deref(), Some("id asc"));
        }
        Ok(())
    }

    #[test]
    fn a_list_without_size_ends_at_a_short_page() -> Result<()> {
        let peer = Peer::start(vec![
            login_ok("tok-1"),
            reply(200, r#"{"list": [{"id": 1}, {"id": 2}]}"#),
            reply(200, r#"{"list": [{"id": 3}]}"#),
        ]);
        let client = client(&peer);
        let query = ListQuery {
            page_size: 2,
            ..ListQuery::default()
        };
        let servers: Vec<Server> = client.list_all(route::SERVERS, &query)?;
        assert_eq!(servers.iter().map(|s| s.id).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(peer.requests().len(), 3);
        assert_eq!(peer.requests()[1].query("where"), None);
        Ok(())
    }

    #[test]
    fn a_list_that_ignores_limit_is_read_once() -> Result<()> {
        let peer = Peer::start(vec![
            login_ok("tok-1"),
            reply(200, r#"{"list": [{"id": 1}, {"id": 2}, {"id": 3}]}"#),
        ]);
        let query = ListQuery {
            page_size: 2,
            ..ListQuery::default()
        };
        let servers: Vec<Server> = client(&peer).list_all(route::SERVERS, &query)?;
        assert_eq!(servers.len(), 3);
        Ok(())
    }

    #[test]
    fn an_error_of_the_page_consumer_stops_the_listing() {
        let peer = Peer::start(vec![
            login_ok("tok-1"),
            reply(200, r#"{"list": [{"id": 1}, {"id": 2}], "size": 4}"#),
            reply(200, r#"{"list": [{"id": 3}, {"id": 4}], "size": 4}"#),
        ]);
        let client = client(&peer);
        let query = ListQuery {
            page_size: 2,
            ..ListQuery::default()
        };
        let err = failure(
            client.for_each_page(route::SERVERS, &query, |_: Vec<Server>| {
                Err(anyhow!("enough"))
            }),
        );
        assert_eq!(err.to_string(), "enough");
        assert_eq!(peer.requests().len(), 2);
    }

    #[test]
    fn a_cached_token_is_reused_by_the_next_run_and_renewed_on_401() -> Result<()> {
        let dir = scratch_dir("client-cache");
        let cache = dir.join("dci-token");
        let peer = Peer::start(vec![
            login_ok("tok-1"),
            reply(200, SERVER),
            reply(200, SERVER),
            error(401, 4001, "Token expired"),
            login_ok("tok-2"),
            reply(200, SERVER),
            login_ok("tok-3"),
            reply(200, SERVER),
        ]);
        let run = |email: &str| {
            let mut config = config(&peer.url);
            config.email = email.to_owned();
            config.token_cache = Some(cache.clone());
            Client::new(config)
        };
        // First run: logs in and saves the token.
        server(&run(EMAIL)?)?;
        // Second run: no login.
        let second = run(EMAIL)?;
        server(&second)?;
        assert_eq!(second.requests_made(), 1);
        // Third run: the saved token has expired; the new one replaces it.
        server(&run(EMAIL)?)?;
        let saved = std::fs::read_to_string(&cache)?;
        assert!(
            saved.contains("tok-2") && !saved.contains(PASSWORD),
            "{saved}"
        );
        // Another administrator never uses that token.
        let other = run("ops@example.com")?;
        server(&other)?;
        assert_eq!(other.requests_made(), 2);

        let requests = peer.requests();
        let tokens: Vec<(&str, Option<&str>)> = requests
            .iter()
            .map(|r| (r.path(), r.header("x-xsrf-token")))
            .collect();
        assert_eq!(
            tokens,
            [
                (route::TOKEN, None),
                (SERVER_PATH, Some("tok-1")),
                (SERVER_PATH, Some("tok-1")),
                (SERVER_PATH, Some("tok-1")),
                (route::TOKEN, None),
                (SERVER_PATH, Some("tok-2")),
                (route::TOKEN, None),
                (SERVER_PATH, Some("tok-3")),
            ]
        );
        Ok(())
    }

    #[test]
    fn tls_options_are_checked_when_the_client_is_made() {
        let dir = scratch_dir("client-tls");
        let mut config = ClientConfig::new("dci.example.com", EMAIL, PASSWORD);
        config.tls.ca_file = Some(dir.join("missing.pem"));
        let err = failure(Client::new(config.clone()).map(|c| c.host().to_owned()));
        assert_eq!(classify(&err).0, ErrorKind::ModuleConfig);
        assert!(format!("{err:#}").contains("missing.pem"));

        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        config.tls.ca_file = Some(empty);
        let err = failure(Client::new(config.clone()).map(|c| c.host().to_owned()));
        assert!(
            format!("{err:#}").contains("holds no PEM certificate"),
            "{err:#}"
        );

        // PEM parsing only decodes; the certificate itself is checked by TLS at connect time.
        let ca = dir.join("ca.pem");
        std::fs::write(
            &ca,
            "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        config.tls.ca_file = Some(ca);
        assert!(Client::new(config.clone()).is_ok());

        config.tls.ca_file = None;
        config.tls.insecure = true;
        assert!(Client::new(config).is_ok());
    }

    #[test]
    fn a_bad_address_is_refused_before_any_request() {
        let err = failure(
            Client::new(ClientConfig::new("ftp://dci", EMAIL, PASSWORD))
                .map(|c| c.host().to_owned()),
        );
        assert_eq!(classify(&err).0, ErrorKind::BadUrl);
    }
}
