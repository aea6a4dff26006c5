//! Tests of `client.rs`, kept apart so the module reads as the code it is.

use std::time::Duration;

use super::*;
use serde_json::json;

use crate::dci::api::{Rack, Server};
use crate::dci::test_peer::{Answer, Peer, error, login_ok, reply, scratch_dir};
use crate::protocol::error::classify;

const EMAIL: &str = "admin@example.com";
const PASSWORD: &str = "s3cret-Pa55";
const TOKEN_PATH: &str = "/api/auth/v4/public/token";
const SERVERS_PATH: &str = "/api/dci/v3/server";
/// A plain read by id: the rack's.
const SERVER_PATH: &str = "/api/dci/v3/rack/12";
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

fn server(client: &Client) -> Result<Rack> {
    client.rack(12)
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
    let client = Client::new(config("http://127.0.0.1:9"))?;
    let credentials = [("email", json!(EMAIL)), ("password", json!(PASSWORD))];
    let login = client.request("login", &credentials, Vec::new())?;
    let logged = login.logged_body.clone().unwrap_or_default();
    assert!(
        logged.contains(EMAIL) && !logged.contains(PASSWORD),
        "{logged}"
    );
    // What is sent is the real body, of course.
    let sent: Value = serde_json::from_slice(login.body.as_deref().unwrap_or_default())?;
    assert_eq!(sent["password"], PASSWORD);

    let install = client.request(
        "os_install",
        &[
            ("server", json!(12)),
            ("template", json!(4)),
            ("password", json!("root-pw")),
            ("domain", json!("srv.example.net")),
            ("scripts", json!([])),
            ("ssh_keys", json!(["ssh-ed25519 k-123"])),
        ],
        Vec::new(),
    )?;
    let logged = install.logged_body.unwrap_or_default();
    assert!(!logged.contains("root-pw"), "{logged}");
    assert!(logged.contains("os_template"), "{logged}");
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
    client.power_on(12)?;
    let requests = peer.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(client.requests_made(), 3);

    let login = &requests[0];
    assert_eq!((login.method.as_str(), login.path()), ("POST", TOKEN_PATH));
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
            (TOKEN_PATH, None),
            (SERVER_PATH, Some("tok-1")),
            (TOKEN_PATH, None),
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
    let err = failure(client.set_owner(12, 1));
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
            login: false,
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
    let conflict = failure(client.set_owner(12, 1)).context("claiming server srv-12 for item 42");
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
    assert!(text.contains("GET /api/dci/v3/rack/12"), "{text}");
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
        filter: Some(Filter::eq("location_id", 3u64.into())),
        order_by: Some(String::from("id asc")),
        page_size: 2,
    };
    let mut pages = Vec::new();
    let total = client.for_each_page("servers", "server", &query, |page: Vec<Server>| {
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
        assert_eq!(request.path(), SERVERS_PATH);
        assert_eq!(request.query("where").as_deref(), Some("location_id EQ 3"));
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
    let servers: Vec<Server> = client.list_all("servers", "server", &query)?;
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
    let servers: Vec<Server> = client(&peer).list_all("servers", "server", &query)?;
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
        client.for_each_page("servers", "server", &query, |_: Vec<Server>| {
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
            (TOKEN_PATH, None),
            (SERVER_PATH, Some("tok-1")),
            (SERVER_PATH, Some("tok-1")),
            (SERVER_PATH, Some("tok-1")),
            (TOKEN_PATH, None),
            (SERVER_PATH, Some("tok-2")),
            (TOKEN_PATH, None),
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
        Client::new(ClientConfig::new("ftp://dci", EMAIL, PASSWORD)).map(|c| c.host().to_owned()),
    );
    assert_eq!(classify(&err).0, ErrorKind::BadUrl);
}
