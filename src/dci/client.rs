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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use serde::de::DeserializeOwned;
use serde_json::Value;
use ureq::tls::{PemItem, RootCerts, TlsConfig, parse_pem};

use super::adapter::Rendered;
use super::address::{self, Address};
use super::api::{ErrorAnswer, List, Token};
use super::contract::{Contract, Method};
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

/// Requests whose answers hold a session token or a login key: never quoted.
const SECRET_ANSWERS: [&str; 2] = ["login", "user_key"];

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
    /// Routes, bodies, fields and words of this installation.
    pub contract: Arc<Contract>,
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
            contract: Contract::built_in(),
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
            .field("contract", &self.contract.source)
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
    /// The error answered the module's login, not the call it was logging in for: it says
    /// nothing about the object of that call.
    pub login: bool,
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
    dci_error(err).is_some_and(|e| e.status == 409 && !e.login)
}

/// The object of the call does not exist (HTTP 404).
pub fn is_not_found(err: &anyhow::Error) -> bool {
    dci_error(err).is_some_and(|e| e.status == 404 && !e.login)
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
    contract: Arc<Contract>,
}

/// Set once DCImanager has accepted a session of this process (a request with the token got an
/// answer other than 401): the module's credentials work and DCImanager is reachable, which is
/// what clears BILLmanager's "cannot connect" problem for the module (one run serves one module).
static SESSION_ACCEPTED: AtomicBool = AtomicBool::new(false);

/// Whether DCImanager accepted a session during this run.
pub fn session_accepted() -> bool {
    SESSION_ACCEPTED.load(Ordering::Relaxed)
}

/// One call, ready to be sent as often as retries need.
struct Request {
    /// The contract's entry, for messages and for telling the login from other calls.
    name: &'static str,
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    /// The body with secret fields hidden, for the debug log.
    logged_body: Option<String>,
    /// The path for logs and messages.
    shown: String,
}

impl Request {
    fn new(
        name: &'static str,
        rendered: Rendered,
        query: Vec<(&'static str, String)>,
    ) -> Result<Request> {
        let (body, logged_body) = match rendered.body {
            None => (None, None),
            Some(mut value) => {
                let bytes = serde_json::to_vec(&value).with_context(|| {
                    format!(
                        "encoding the body of {} {}",
                        rendered.method.as_str(),
                        rendered.path
                    )
                })?;
                hide_secrets(&mut value);
                (Some(bytes), Some(value.to_string()))
            }
        };
        Ok(Request {
            name,
            method: rendered.method,
            shown: rendered.path.clone(),
            path: rendered.path,
            query,
            body,
            logged_body,
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
            .user_agent(format!("pmdci6/{}", crate::protocol::args::VERSION))
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
            contract: config.contract,
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

    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// The contract's request `name` with `values` in its placeholders, its answer read as
    /// `kind`.
    pub fn perform<T: DeserializeOwned>(
        &self,
        name: &'static str,
        values: &[(&str, Value)],
        kind: &str,
    ) -> Result<T> {
        let request = self.request(name, values, Vec::new())?;
        let body = self.call(&request)?;
        self.decode(&request, &body, |contract, body| contract.read(kind, body))
    }

    /// The answer of the contract's GET request `name` as DCImanager gave it, for `probe`. Any
    /// other method is refused: probe never changes anything.
    pub fn fetch(
        &self,
        name: &'static str,
        values: &[(&str, Value)],
        query: Vec<(&'static str, String)>,
    ) -> Result<Value> {
        let request = self.request(name, values, query)?;
        if request.method != Method::Get {
            return fail(
                ErrorKind::ModuleConfig,
                format!("requests.{name}"),
                format!(
                    "requests.{name} of {} is a {}: only GET requests are read to check the contract",
                    self.contract.source,
                    request.method.as_str()
                ),
            );
        }
        let body = self.call(&request)?;
        self.decode(&request, &body, |_, body| {
            serde_json::from_slice(body).map_err(|err| err.to_string())
        })
    }

    /// A 404 the module concludes itself (a list read of one object that does not hold it), in
    /// the shape [`is_not_found`] recognises.
    pub(super) fn not_found(&self, name: &'static str, message: String) -> anyhow::Error {
        let error = DciError {
            status: 404,
            code: 0,
            msg: message.clone(),
            method: "GET",
            path: self.contract.request(name).path.clone(),
            login: false,
        };
        anyhow::Error::new(ModuleError::new(
            ErrorKind::DciApi,
            format!("requests.{name}"),
            message,
        ))
        .context(error)
    }

    /// The contract's request `name`, ready to send.
    fn request(
        &self,
        name: &'static str,
        values: &[(&str, Value)],
        query: Vec<(&'static str, String)>,
    ) -> Result<Request> {
        let rendered = self.contract.render(name, values).map_err(|what| {
            ModuleError::new(
                ErrorKind::ModuleConfig,
                format!("requests.{name}"),
                format!("DCImanager contract {}: {what}", self.contract.source),
            )
        })?;
        Request::new(name, rendered, query)
    }

    /// Fetches the list `name` (objects of `kind`) page by page (`limit=<offset>,<count>`),
    /// handing each page to `each`, so only one page is held at a time. Stops at the `size`
    /// DCImanager reports or at a short page. Returns the number of matching objects: `size`,
    /// or the number received when that is larger or `size` is absent.
    pub fn for_each_page<T, F>(
        &self,
        name: &'static str,
        kind: &str,
        query: &ListQuery,
        mut each: F,
    ) -> Result<u64>
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
            let request = self.request(name, &[], params)?;
            let body = self.call(&request)?;
            let page: List<T> = self.decode(&request, &body, |contract, body| {
                contract.read_list(kind, body)
            })?;
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
    pub fn list_all<T: DeserializeOwned>(
        &self,
        name: &'static str,
        kind: &str,
        query: &ListQuery,
    ) -> Result<Vec<T>> {
        let mut all = Vec::new();
        self.for_each_page(name, kind, query, |page| {
            all.extend(page);
            Ok(())
        })?;
        Ok(all)
    }

    // ---- session ------------------------------------------------------------------------

    /// A call with the session: logs in on first need, and once more if DCImanager no longer
    /// knows the session (expired, or a cached token from an earlier run that was revoked).
    fn call(&self, request: &Request) -> Result<Vec<u8>> {
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
        if reply.status != 401 {
            SESSION_ACCEPTED.store(true, Ordering::Relaxed);
        }
        self.accept(request, reply)
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
        let credentials = [
            ("email", Value::String(self.email.clone())),
            ("password", Value::String(self.password.clone())),
        ];
        let request = self.request("login", &credentials, Vec::new())?;
        let reply = self.exchange(&request, None)?;
        let body = self.accept(&request, reply)?;
        let token: Token = self.decode(&request, &body, |contract, body| {
            contract.read("token", body)
        })?;
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
        let module = if error.login && reply.status == 401 {
            ModuleError::new(
                ErrorKind::InvalidLogin,
                "connection",
                format!(
                    "DCImanager refused the login of {}: {}",
                    self.email, error.msg
                ),
            )
        } else if error.login && matches!(reply.status, 404 | 405) {
            // Every command logs in first, so this is the answer for every command given this
            // url, check_connection included, never an error about the object of the command.
            ModuleError::new(
                ErrorKind::BadUrl,
                "connection",
                format!(
                    "{} has no DCImanager 6 login at {} (HTTP {}): set url to the address \
                     DCImanager 6 is opened at",
                    self.address.base, request.path, reply.status
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
        let (code, msg) = match self.contract.read::<ErrorAnswer>("error", &reply.body) {
            Ok(body) => (body.code, body.msg),
            Err(_) if reply.body.is_empty() => (0, String::new()),
            Err(_) => (
                0,
                format!("(no error body) {}", excerpt(request, &reply.body)),
            ),
        };
        DciError {
            status: reply.status,
            code,
            msg,
            method: request.method.as_str(),
            path: request.shown.clone(),
            login: request.name == "login",
        }
    }

    fn decode<T>(
        &self,
        request: &Request,
        body: &[u8],
        read: impl FnOnce(&Contract, &[u8]) -> Result<T, String>,
    ) -> Result<T> {
        // An action without a result may answer with nothing at all instead of `{}`.
        let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            body
        };
        read(&self.contract, text).map_err(|err| {
            ModuleError::new(
                ErrorKind::DciResponse,
                request.shown.clone(),
                format!(
                    "DCImanager answered {} {} with something other than the expected JSON ({err}): {}",
                    request.method.as_str(),
                    request.shown,
                    excerpt(request, body)
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
    for (key, value) in &request.query {
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

/// The start of an unexpected answer, on one line; nothing of answers that may hold secrets.
fn excerpt(request: &Request, body: &[u8]) -> String {
    if SECRET_ANSWERS.contains(&request.name) {
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
#[path = "client_tests.rs"]
mod tests;
