//! Serving HTTP: each worker thread takes requests from the tiny_http server, applies the faults
//! due, checks the transport rules of the contract (spec §1, §4a), has the call handled under
//! the state's lock, logs it and answers. Also the `/_sim/` control calls.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tiny_http::{Header, Request, Response};

use crate::error::ApiError;
use crate::faults::{AnswerFault, Fault, FaultQueue};
use crate::handlers::{self, Call};
use crate::request_log::RequestRecord;
use crate::routes::{self, Method, Params};
use crate::world::World;

/// The state the worker threads share.
#[derive(Debug)]
pub struct Shared {
    world: Mutex<World>,
    faults: Mutex<FaultQueue>,
    rewrites: Mutex<Vec<Rewrite>>,
    log: Mutex<Vec<RequestRecord>>,
    local_addr: SocketAddr,
}

/// A change to every successful GET answer under a path, for tests of an installation whose
/// answers differ from the contract: a field left out, or given a value of another type.
#[derive(Debug, Clone)]
pub struct Rewrite {
    /// The answers changed: those of GET calls whose path starts with this.
    pub path_prefix: String,
    /// The field, dotted for a nested one (`errors.status`); in a list answer, of each object
    /// of `list`.
    pub field: String,
    /// `None`: the field is left out; `Some`: it is given this value.
    pub value: Option<Value>,
}

impl Rewrite {
    fn apply(&self, answer: &mut Value) {
        match answer.get_mut("list").and_then(Value::as_array_mut) {
            Some(objects) => objects.iter_mut().for_each(|object| self.apply_to(object)),
            None => self.apply_to(answer),
        }
    }

    fn apply_to(&self, object: &mut Value) {
        let (parents, name) = match self.field.rsplit_once('.') {
            Some((parents, name)) => (Some(parents), name),
            None => (None, self.field.as_str()),
        };
        let parent = parents
            .into_iter()
            .flat_map(|p| p.split('.'))
            .try_fold(object, |value, key| value.get_mut(key));
        let Some(Value::Object(parent)) = parent else {
            return;
        };
        match &self.value {
            None => {
                parent.remove(name);
            }
            Some(value) => {
                parent.insert(name.to_owned(), value.clone());
            }
        }
    }
}

/// A panic in one call must not stop the others: a poisoned lock is used as it is.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub fn new(world: World, local_addr: SocketAddr) -> Shared {
        Shared {
            world: Mutex::new(world),
            faults: Mutex::new(FaultQueue::default()),
            rewrites: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            local_addr,
        }
    }

    /// The state, with its operations brought up to now.
    pub fn world(&self) -> MutexGuard<'_, World> {
        let mut world = lock(&self.world);
        world.settle(Instant::now());
        world
    }

    pub fn inject(&self, fault: Fault) {
        lock(&self.faults).push(fault);
    }

    pub fn rewrite(&self, rewrite: Rewrite) {
        lock(&self.rewrites).push(rewrite);
    }

    /// `text` with the rewrites for a GET of `path` applied.
    fn rewritten(&self, method: &str, path: &str, text: String) -> String {
        let rewrites = lock(&self.rewrites);
        let applying: Vec<&Rewrite> = rewrites
            .iter()
            .filter(|r| method == "GET" && path.starts_with(&r.path_prefix))
            .collect();
        if applying.is_empty() {
            return text;
        }
        let Ok(mut answer) = serde_json::from_str::<Value>(&text) else {
            return text;
        };
        applying.iter().for_each(|r| r.apply(&mut answer));
        answer.to_string()
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.log).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.log).clear();
    }
}

/// Answers requests until `stopping` is set and the server unblocks this thread.
pub fn serve(server: &tiny_http::Server, shared: &Shared, stopping: &AtomicBool) {
    loop {
        match server.recv() {
            Ok(request) => handle(request, shared),
            Err(_) if stopping.load(Ordering::SeqCst) => return,
            // A failed accept (e.g. too many open files): try again shortly.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn handle(mut request: Request, shared: &Shared) {
    let url = request.url().to_string();
    let (raw_path, raw_query) = url.split_once('?').unwrap_or((&url, ""));
    if raw_path == "/_sim" || raw_path.starts_with("/_sim/") {
        return control(request, raw_path, shared);
    }
    let method = request.method().as_str().to_string();
    let mut body = String::new();
    let body_read = request.as_reader().read_to_string(&mut body);
    let decoded_path = routes::percent_decode(raw_path, false).unwrap_or_else(|| raw_path.into());
    let decoded_query = Params::parse(raw_query)
        .as_ref()
        .map_or_else(|_| raw_query.to_string(), Params::decoded);
    let mut record = RequestRecord::new(&method, decoded_path, decoded_query, &body);

    let faults = lock(&shared.faults).next_call();
    if faults.expire_tokens || faults.fail_operations > 0 || faults.steal_claims > 0 {
        let mut world = shared.world();
        if faults.expire_tokens {
            world.sessions.expire_all();
        }
        world.operations.arm_failures(faults.fail_operations);
        world.claims_to_steal += faults.steal_claims;
    }
    match faults.answer {
        Some(AnswerFault::Unavailable) => {
            let error = ApiError::new(503, "service unavailable, try again later");
            return answer(
                request,
                record,
                shared,
                error.status,
                &error.body().to_string(),
            );
        }
        Some(AnswerFault::MalformedBody) => {
            let text = "<html><body>502 Bad Gateway</body></html>";
            return answer(request, record, shared, 200, text);
        }
        Some(AnswerFault::Drop) => {
            record.status = 0;
            lock(&shared.log).push(record);
            return drop_connection(request, shared.local_addr);
        }
        Some(AnswerFault::Delay(duration)) => thread::sleep(duration),
        None => {}
    }

    let outcome = match body_read {
        Err(_) => Err(ApiError::bad_request("the body is not UTF-8")),
        Ok(_) => dispatch(&request, &method, raw_path, raw_query, &body, shared),
    };
    let (status, text) = match outcome {
        Ok(text) => (200, shared.rewritten(&method, raw_path, text)),
        Err(error) => (error.status, error.body().to_string()),
    };
    answer(request, record, shared, status, &text);
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// The session token, present and equal in `x-xsrf-token` and in the `ses6` cookie.
fn session_token(request: &Request) -> Option<&str> {
    let token = header(request, "x-xsrf-token")?;
    let cookie_matches = request
        .headers()
        .iter()
        .filter(|h| h.field.as_str().as_str().eq_ignore_ascii_case("cookie"))
        .flat_map(|h| h.value.as_str().split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .any(|(name, value)| name == "ses6" && value == token);
    (cookie_matches && !token.is_empty()).then_some(token)
}

fn dispatch(
    request: &Request,
    method: &str,
    raw_path: &str,
    raw_query: &str,
    body: &str,
    shared: &Shared,
) -> Result<String, ApiError> {
    if header(request, "isp-box-instance") != Some("true") {
        return Err(ApiError::bad_request(
            "header isp-box-instance: true is missing",
        ));
    }
    let method = Method::parse(method);
    let segments =
        routes::segments(raw_path).ok_or_else(|| ApiError::bad_request("bad encoding in path"))?;
    let endpoint = routes::resolve(method, &segments)?;
    let now = Instant::now();
    let mut world = shared.world();
    let caller = if endpoint.is_public() {
        None
    } else {
        let subject = session_token(request)
            .and_then(|token| world.authenticate(token, now))
            .ok_or_else(|| ApiError::unauthorized("no valid session"))?;
        if !endpoint.is_for_any_user() && !world.is_admin(subject) {
            return Err(ApiError::forbidden("administrators only"));
        }
        Some(subject)
    };
    let params = Params::parse(raw_query)?;
    if !endpoint.is_list() {
        params.expect_none()?;
    }
    if method != Method::Post && !body.trim().is_empty() {
        return Err(ApiError::bad_request("this call takes no body"));
    }
    handlers::handle(
        &mut world,
        Call {
            endpoint,
            params: &params,
            body,
            caller,
            now,
        },
    )
}

/// Logs the call, then answers it: a test that got the answer finds the call in the log.
fn answer(request: Request, mut record: RequestRecord, shared: &Shared, status: u16, body: &str) {
    record.status = status;
    lock(&shared.log).push(record);
    respond(request, status, body);
}

fn respond(request: Request, status: u16, body: &str) {
    let mut response = Response::from_string(body).with_status_code(status);
    if let Ok(content_type) = Header::from_bytes("Content-Type", "application/json") {
        response.add_header(content_type);
    }
    // The client may be gone; there is no one left to tell.
    let _ = request.respond(response);
}

/// Closes the connection without answering. tiny_http offers no way to do this, so the socket is
/// found among the process's descriptors by its two ends and shut down (Linux). Should that fail,
/// the client gets bytes that are not HTTP, which it also cannot read as an answer.
fn drop_connection(request: Request, local: SocketAddr) {
    let peer = request.remote_addr().copied();
    let mut writer = request.into_writer();
    let shut = peer.is_some_and(|peer| shut_down_socket(local, peer).is_ok());
    if !shut {
        let _ = writer.write_all(b"\0\0\0\r\n\r\n");
        let _ = writer.flush();
    }
}

fn shut_down_socket(local: SocketAddr, peer: SocketAddr) -> std::io::Result<()> {
    use std::os::fd::{BorrowedFd, RawFd};
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let entry = entry?;
        let Ok(fd) = entry.file_name().to_string_lossy().parse::<RawFd>() else {
            continue;
        };
        let is_socket = std::fs::read_link(entry.path())
            .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
        if !is_socket {
            continue;
        }
        // SAFETY: the descriptor was open when listed and is only used to duplicate it at once.
        // Were it closed and reused in between, the duplicate would be another descriptor, and
        // the address check below would skip it.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let Ok(owned) = borrowed.try_clone_to_owned() else {
            continue;
        };
        let stream = std::net::TcpStream::from(owned);
        if stream.local_addr().ok() == Some(local) && stream.peer_addr().ok() == Some(peer) {
            return stream.shutdown(std::net::Shutdown::Both);
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        "connection not found",
    ))
}

/// `/_sim/` calls: not part of the contract, never logged nor faulted, no headers needed.
fn control(mut request: Request, path: &str, shared: &Shared) {
    let method = request.method().as_str().to_string();
    let mut body = String::new();
    let read = request.as_reader().read_to_string(&mut body);
    let outcome = match (method.as_str(), path) {
        ("GET", "/_sim/requests") => {
            serde_json::to_value(shared.requests()).map_err(|e| ApiError::new(500, e.to_string()))
        }
        ("DELETE", "/_sim/requests") => {
            shared.clear_requests();
            Ok(json!({}))
        }
        ("POST", "/_sim/fault") => read
            .map_err(|e| ApiError::bad_request(e.to_string()))
            .and_then(|_| {
                serde_json::from_str::<Fault>(&body)
                    .map_err(|e| ApiError::bad_request(format!("bad fault: {e}")))
            })
            .map(|fault| {
                shared.inject(fault);
                json!({})
            }),
        ("GET", "/_sim/state") => Ok(shared.world().snapshot()),
        _ => Err(ApiError::not_found("no such control call").with_value(path)),
    };
    let (status, json) = match outcome {
        Ok(json) => (200, json),
        Err(error) => (error.status, error.body()),
    };
    respond(request, status, &json.to_string());
}
