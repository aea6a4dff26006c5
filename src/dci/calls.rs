//! Typed calls, one per request of the contract, so that commands never spell a route, a body
//! or a DCImanager field name: each passes the module's values by placeholder name, and the
//! contract (`etc/pmdci6-dcimanager.toml`) says where they go.
//!
//! Actions that start something long (`os_install`, `diagnostics`) return the operation id;
//! the others take effect at once and return nothing. A 409 from any of them is detectable with
//! `client::is_conflict`, a 404 with `client::is_not_found`.

use anyhow::Result;
use serde_json::{Value, json};

use super::api::{
    ActionAnswer, AddIps, AddedIps, ConfigurationSummary, Created, EditServer, Ip, IpFamily,
    IpPool, KeyAnswer, Location, NewUser, OsInstall, OsTemplate, PoolSettings, PortStatus, Rack,
    Script, Server, TrafficDay, User,
};
use super::client::{Client, ListQuery};
use super::filter::{Filter, Literal};
use crate::protocol::error::{ErrorKind, fail};

impl Client {
    pub fn location(&self, id: u64) -> Result<Location> {
        self.perform("location", &[("location", json!(id))], "location")
    }

    /// Every location, for the connection wizard's select.
    pub fn locations(&self) -> Result<Vec<Location>> {
        self.list_all("locations", "location", &ListQuery::default())
    }

    pub fn rack(&self, id: u64) -> Result<Rack> {
        self.perform("rack", &[("rack", json!(id))], "rack")
    }

    /// One server, read through the list (`where=id EQ <id>`): the list answer is documented
    /// with `ip[]` and `switch_connection[]`, while the platform documents that a read by id may
    /// leave associated objects out. A server the list does not hold is a 404, as a read by id
    /// would answer.
    pub fn server(&self, id: u64) -> Result<Server> {
        let query = ListQuery {
            filter: Some(Filter::eq(self.contract().field("id"), id.into())),
            page_size: 1,
            ..ListQuery::default()
        };
        let mut found = None;
        self.for_each_page("servers", "server", &query, |page: Vec<Server>| {
            found = page.into_iter().find(|server| server.id == id);
            Ok(())
        })?;
        match found {
            Some(server) => Ok(server),
            None => {
                Err(self.not_found("servers", format!("DCImanager has no server with id {id}")))
            }
        }
    }

    /// The servers matching `filter` (all without one), a page at a time, in id order so that
    /// pages neither skip nor repeat a server. Returns how many matched.
    pub fn for_each_server_page<F>(&self, filter: Option<Filter>, each: F) -> Result<u64>
    where
        F: FnMut(Vec<Server>) -> Result<()>,
    {
        let query = ListQuery {
            filter,
            order_by: Some(format!("{} asc", self.contract().field("id"))),
            ..ListQuery::default()
        };
        self.for_each_page("servers", "server", &query, each)
    }

    /// The traffic of every switch port on `days` (`YYYY-MM-DD`), a page at a time: one listing
    /// for the whole installation, never a call per server.
    pub fn for_each_traffic_page<F>(&self, days: &[String], each: F) -> Result<u64>
    where
        F: FnMut(Vec<TrafficDay>) -> Result<()>,
    {
        let field = self.contract().field("date");
        let filters = days
            .iter()
            .map(|day| Literal::string(day).map(|day| Filter::eq(field, day)))
            .collect::<Result<Vec<_>>>()?;
        let query = ListQuery {
            filter: Filter::any(filters),
            ..ListQuery::default()
        };
        self.for_each_page("traffic", "traffic", &query, each)
    }

    /// Configuration labels with their free-server counts.
    pub fn configurations(&self) -> Result<Vec<ConfigurationSummary>> {
        self.list_all("configurations", "configuration", &ListQuery::default())
    }

    pub fn ip_pools(&self) -> Result<Vec<IpPool>> {
        self.list_all("pools", "pool", &ListQuery::default())
    }

    /// Which pools allocate and which release addresses.
    pub fn pool_settings(&self) -> Result<PoolSettings> {
        self.perform("pool_settings", &[], "pool_settings")
    }

    /// The OS templates of one location, whatever their access.
    pub fn os_templates(&self, location_id: u64) -> Result<Vec<OsTemplate>> {
        let query = ListQuery {
            filter: Some(Filter::eq(
                self.contract().field("location_id"),
                location_id.into(),
            )),
            ..ListQuery::default()
        };
        self.list_all("os_templates", "os_template", &query)
    }

    pub fn scripts(&self) -> Result<Vec<Script>> {
        self.list_all("scripts", "script", &ListQuery::default())
    }

    /// The DCImanager user with this e-mail (compared without regard to case), if any.
    pub fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let query = ListQuery {
            filter: Some(Filter::eq(
                self.contract().field("email"),
                Literal::string(email)?,
            )),
            ..ListQuery::default()
        };
        let users: Vec<User> = self.list_all("users", "user", &query)?;
        Ok(users
            .into_iter()
            .find(|user| user.email.eq_ignore_ascii_case(email)))
    }

    /// The new user's id. A 409 means the e-mail exists: read it with [`Client::user_by_email`].
    pub fn create_user(&self, user: &NewUser) -> Result<u64> {
        let created: Created = self.perform(
            "create_user",
            &[
                ("email", json!(user.email)),
                ("full_name", json!(user.full_name)),
                ("password", json!(user.password)),
                ("phone_number", json!(user.phone_number)),
                ("role", json!(user.role)),
            ],
            "created",
        )?;
        Ok(created.id)
    }

    pub fn set_owner(&self, server: u64, user: u64) -> Result<()> {
        self.act(
            "set_owner",
            &[("server", json!(server)), ("user", json!(user))],
        )
    }

    pub fn remove_owner(&self, server: u64) -> Result<()> {
        self.act("remove_owner", &[("server", json!(server))])
    }

    /// Domain, notes, maintenance mode: only the fields that are set change.
    pub fn edit_server(&self, server: u64, edit: &EditServer) -> Result<()> {
        let mut values = vec![("server", json!(server))];
        values.extend(edit.domain.map(|domain| ("domain", json!(domain))));
        values.extend(edit.notes.map(|notes| ("notes", json!(notes))));
        values.extend(
            edit.maintenance_mode
                .map(|on| ("maintenance_mode", json!(on))),
        );
        self.act("edit_server", &values)
    }

    /// The notes alone: where the module marks which item holds a server.
    pub fn set_notes(&self, server: u64, notes: &str) -> Result<()> {
        self.edit_server(
            server,
            &EditServer {
                notes: Some(notes),
                ..EditServer::default()
            },
        )
    }

    /// Turns one switch port up or down.
    pub fn set_port(&self, server: u64, connection: u64, status: PortStatus) -> Result<()> {
        let word = match status {
            PortStatus::Up => "up",
            PortStatus::Down => "down",
        };
        self.act(
            "set_port",
            &[
                ("server", json!(server)),
                ("connection", json!(connection)),
                ("admin_status", json!(word)),
            ],
        )
    }

    /// The addresses given to the server.
    pub fn add_ips(&self, server: u64, request: &AddIps) -> Result<Vec<Ip>> {
        let name = match request.family {
            IpFamily::Ipv4 => "add_ipv4",
            IpFamily::Ipv6 => "add_ipv6",
        };
        let added: AddedIps = self.perform(
            name,
            &[
                ("server", json!(server)),
                ("pool", json!(request.pool)),
                ("count", json!(request.count)),
            ],
            "added_ips",
        )?;
        Ok(added.ip)
    }

    pub fn remove_ip(&self, server: u64, ip: u64) -> Result<()> {
        self.act("remove_ip", &[("server", json!(server)), ("ip", json!(ip))])
    }

    /// Starts the installation; returns the operation id.
    pub fn os_install(&self, server: u64, install: &OsInstall) -> Result<u64> {
        self.start(
            "os_install",
            &[
                ("server", json!(server)),
                ("template", json!(install.os_template)),
                ("password", json!(install.password)),
                ("domain", json!(install.domain)),
                ("scripts", json!(install.scripts)),
                ("ssh_keys", json!(install.ssh_keys)),
            ],
        )
    }

    /// Starts diagnostics (with disk cleanup when releasing a server); returns the operation id.
    pub fn diagnostics(&self, server: u64, disk_cleanup: bool) -> Result<u64> {
        self.start(
            "diagnostics",
            &[
                ("server", json!(server)),
                ("disk_cleanup", json!(disk_cleanup)),
            ],
        )
    }

    /// Stops the server's running operation.
    pub fn stop_operation(&self, server: u64) -> Result<()> {
        self.act("stop_operation", &[("server", json!(server))])
    }

    pub fn power_on(&self, server: u64) -> Result<()> {
        self.act("power_on", &[("server", json!(server))])
    }

    pub fn power_off(&self, server: u64) -> Result<()> {
        self.act("power_off", &[("server", json!(server))])
    }

    pub fn power_reset(&self, server: u64) -> Result<()> {
        self.act("power_reset", &[("server", json!(server))])
    }

    /// A one-time login key for a user (by e-mail or id); needs the administrator's session.
    pub fn user_key(&self, user: &str) -> Result<String> {
        let answer: KeyAnswer = self.perform("user_key", &[("user", json!(user))], "key")?;
        Ok(answer.key)
    }

    /// An action that takes effect at once.
    fn act(&self, name: &'static str, values: &[(&str, Value)]) -> Result<()> {
        let _: ActionAnswer = self.perform(name, values, "action")?;
        Ok(())
    }

    /// An action that starts an operation: its id.
    fn start(&self, name: &'static str, values: &[(&str, Value)]) -> Result<u64> {
        let answer: ActionAnswer = self.perform(name, values, "action")?;
        match answer.operation_id {
            Some(id) => Ok(id),
            None => fail(
                ErrorKind::DciResponse,
                format!("requests.{name}"),
                format!(
                    "DCImanager answered {name} without the id of the operation it started \
                     (answers.action.operation_id of the contract finds none)"
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::dci::api::IpFamily;
    use crate::dci::client::{ClientConfig, is_conflict};
    use crate::dci::test_peer::{Peer, Recorded, error, login_ok, reply};
    use crate::protocol::error::classify;

    /// Runs `calls` against a peer answering `answers` after the login (made lazily, so only
    /// if some call needs it); returns the requests after the login.
    fn exchange(
        answers: Vec<&str>,
        calls: impl FnOnce(&Client) -> Result<()>,
    ) -> Result<Vec<Recorded>> {
        let mut script = vec![login_ok("tok-1")];
        script.extend(answers.into_iter().map(|body| reply(200, body)));
        let peer = Peer::start(script);
        let client = Client::new(ClientConfig::new(&peer.url, "admin@example.com", "pw"))?;
        calls(&client)?;
        let mut requests = peer.requests();
        if !requests.is_empty() {
            assert_eq!(requests.remove(0).path(), "/api/auth/v4/public/token");
        }
        Ok(requests)
    }

    fn body(request: &Recorded) -> Value {
        serde_json::from_str(&request.body).unwrap_or(Value::Null)
    }

    #[test]
    fn server_actions_use_the_contract_s_routes_and_bodies() -> Result<()> {
        let requests = exchange(vec!["{}"; 11], |client| {
            client.set_owner(12, 57)?;
            client.remove_owner(12)?;
            client.edit_server(
                12,
                &EditServer {
                    notes: Some("billmgr-item:42"),
                    ..EditServer::default()
                },
            )?;
            client.set_port(12, 31, PortStatus::Down)?;
            client.remove_ip(12, 901)?;
            client.stop_operation(12)?;
            client.power_on(12)?;
            client.power_off(12)?;
            client.power_reset(12)
        })?;
        let calls: Vec<(&str, &str, Value)> = requests
            .iter()
            .map(|r| (r.method.as_str(), r.path(), body(r)))
            .collect();
        assert_eq!(
            calls,
            [
                ("POST", "/api/dci/v3/server/12/owner", json!({"user": 57})),
                ("DELETE", "/api/dci/v3/server/12/owner", Value::Null),
                (
                    "POST",
                    "/api/dci/v3/server/12",
                    json!({"notes": "billmgr-item:42"})
                ),
                (
                    "POST",
                    "/api/dci/v3/server/12/switch_connection/31",
                    json!({"admin_status": "down"})
                ),
                ("DELETE", "/api/dci/v3/server/12/ip/901", Value::Null),
                ("POST", "/api/dci/v3/server/12/operation/stop", json!({})),
                ("POST", "/api/dci/v3/server/12/power_on", json!({})),
                ("POST", "/api/dci/v3/server/12/power_off", json!({})),
                ("POST", "/api/dci/v3/server/12/power_reset", json!({})),
            ]
        );
        Ok(())
    }

    #[test]
    fn operations_return_their_id() -> Result<()> {
        let mut ids = Vec::new();
        let requests = exchange(
            vec![
                r#"{"operation": {"id": 88}}"#,
                r#"{"operation": {"id": 89}}"#,
            ],
            |client| {
                ids.push(client.os_install(
                    12,
                    &OsInstall {
                        os_template: 4,
                        password: "root-pw",
                        domain: "srv.example.net",
                        scripts: vec![7],
                        ssh_keys: Vec::new(),
                    },
                )?);
                ids.push(client.diagnostics(12, true)?);
                Ok(())
            },
        )?;
        assert_eq!(ids, [88, 89]);
        assert_eq!(requests[0].path(), "/api/dci/v3/server/12/os_install");
        assert_eq!(
            body(&requests[0]),
            json!({"os_template": 4, "password": "root-pw", "domain": "srv.example.net",
                   "scripts": [7], "ssh_keys": []})
        );
        assert_eq!(requests[1].path(), "/api/dci/v3/server/12/diagnostics");
        assert_eq!(body(&requests[1]), json!({"disk_cleanup": true}));
        Ok(())
    }

    #[test]
    fn an_operation_without_id_is_a_bad_response() {
        let err = match exchange(vec!["{}"], |client| client.diagnostics(12, false).map(drop)) {
            Ok(requests) => panic!("accepted: {requests:?}"),
            Err(err) => err,
        };
        assert_eq!(classify(&err).0, ErrorKind::DciResponse);
    }

    #[test]
    fn users_are_found_by_quoted_e_mail_and_created() -> Result<()> {
        let mut found = Vec::new();
        let requests = exchange(
            vec![
                r#"{"list": [{"id": 57, "email": "Client@Example.com"}], "size": 1}"#,
                r#"{"list": [], "size": 0}"#,
                r#"{"id": 58}"#,
            ],
            |client| {
                found.push(client.user_by_email("client@example.com")?.map(|u| u.id));
                found.push(client.user_by_email("new@example.com")?.map(|u| u.id));
                let id = client.create_user(&NewUser {
                    email: "new@example.com",
                    full_name: "New Client",
                    password: "pw",
                    phone_number: "",
                    role: "@user",
                })?;
                found.push(Some(id));
                Ok(())
            },
        )?;
        assert_eq!(found, [Some(57), None, Some(58)]);
        assert_eq!(requests[0].path(), "/api/dci/v3/user");
        assert_eq!(
            requests[0].query("where").as_deref(),
            Some("email EQ 'client@example.com'")
        );
        assert_eq!(
            (requests[2].method.as_str(), requests[2].path()),
            ("POST", "/api/dci/v3/user")
        );
        assert_eq!(body(&requests[2])["role"], "@user");
        Ok(())
    }

    #[test]
    fn an_e_mail_with_a_quote_is_refused_before_any_request() -> Result<()> {
        let requests = exchange(Vec::new(), |client| {
            let err = match client.user_by_email("o'brien@example.com") {
                Ok(user) => panic!("accepted: {user:?}"),
                Err(err) => err,
            };
            assert!(err.to_string().contains("single quote"));
            Ok(())
        })?;
        assert!(requests.is_empty());
        Ok(())
    }

    #[test]
    fn lists_servers_in_id_order_and_templates_of_a_location() -> Result<()> {
        let mut seen = Vec::new();
        let requests = exchange(
            vec![
                r#"{"list": [{"id": 3}, {"id": 9}], "size": 2}"#,
                r#"{"list": [{"id": 4, "name": "Debian-12", "access": "all", "location_id": 3}], "size": 1}"#,
            ],
            |client| {
                let total = client.for_each_server_page(
                    Some(Filter::eq("location_id", 3u64.into())),
                    |page| {
                        seen.extend(page.into_iter().map(|s| s.id));
                        Ok(())
                    },
                )?;
                assert_eq!(total, 2);
                let templates = client.os_templates(3)?;
                assert_eq!(templates[0].name, "Debian-12");
                Ok(())
            },
        )?;
        assert_eq!(seen, [3, 9]);
        assert_eq!(requests[0].query("orderby").as_deref(), Some("id asc"));
        assert_eq!(
            requests[0].query("where").as_deref(),
            Some("location_id EQ 3")
        );
        assert_eq!(requests[1].path(), "/api/dci/v3/os_template");
        assert_eq!(
            requests[1].query("where").as_deref(),
            Some("location_id EQ 3")
        );
        Ok(())
    }

    #[test]
    fn ips_are_added_from_a_pool() -> Result<()> {
        let mut added = Vec::new();
        let requests = exchange(
            vec![r#"{"ip": [{"id": 901, "name": "203.0.113.10", "family": "ipv4", "pool": 2}]}"#],
            |client| {
                added = client.add_ips(
                    12,
                    &AddIps {
                        pool: 2,
                        family: IpFamily::Ipv4,
                        count: 1,
                    },
                )?;
                Ok(())
            },
        )?;
        assert_eq!(added[0].name, "203.0.113.10");
        assert_eq!(
            body(&requests[0]),
            json!({"pool": 2, "family": "ipv4", "count": 1})
        );
        Ok(())
    }

    #[test]
    fn user_key_is_asked_for_as_the_administrator() -> Result<()> {
        let mut key = String::new();
        let requests = exchange(vec![r#"{"key": "k-1"}"#], |client| {
            key = client.user_key("client@example.com")?;
            Ok(())
        })?;
        assert_eq!(key, "k-1");
        assert_eq!(
            requests[0].path(),
            "/api/auth/v4/user/client@example.com/key"
        );
        assert_eq!(requests[0].header("x-xsrf-token"), Some("tok-1"));
        Ok(())
    }

    #[test]
    fn a_conflicting_owner_is_a_conflict() -> Result<()> {
        let peer = Peer::start(vec![
            login_ok("tok-1"),
            error(409, 3004, "The server already has an owner"),
        ]);
        let client = Client::new(ClientConfig::new(&peer.url, "admin@example.com", "pw"))?;
        let err = match client.set_owner(12, 57) {
            Ok(()) => panic!("accepted"),
            Err(err) => err,
        };
        assert!(is_conflict(&err));
        Ok(())
    }
}
