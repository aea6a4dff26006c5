//! Traffic of the servers' switch ports, by day: `GET /api/dci/v3/server/traffic` lists one row
//! per port and day (modelled: DCImanager 6 collects traffic, but no public source shows the
//! route). The counters keep growing while a powered-on server's data port is up, at
//! [`crate::SimOptions::traffic_rate`] bytes a second in and twice that out; tests add exact
//! amounts with [`crate::SimHandle::add_traffic`].

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::model::{PortStatus, PowerStatus, Server};
use crate::query::{Field, Kind, Record, Value};

/// One port's traffic on one day (UTC).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TrafficDay {
    pub server: u64,
    pub switch_connection: u64,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
}

impl Record for TrafficDay {
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            name: "server",
            kind: Kind::Int,
            get: |t| Value::Int(t.server as i64),
        },
        Field {
            name: "switch_connection",
            kind: Kind::Int,
            get: |t| Value::Int(t.switch_connection as i64),
        },
        Field {
            name: "date",
            kind: Kind::Str,
            get: |t| Value::Str(&t.date),
        },
    ];
}

/// The counters, keyed by port and day.
#[derive(Debug)]
pub struct Traffic {
    days: BTreeMap<(u64, String), TrafficDay>,
    rate: u64,
    last: Instant,
}

impl Traffic {
    pub fn new(rate: u64, now: Instant) -> Traffic {
        Traffic {
            days: BTreeMap::new(),
            rate,
            last: now,
        }
    }

    pub fn add(&mut self, server: u64, connection: u64, date: &str, rx: u64, tx: u64) {
        let day = self
            .days
            .entry((connection, date.to_owned()))
            .or_insert_with(|| TrafficDay {
                server,
                switch_connection: connection,
                date: date.to_owned(),
                rx_bytes: 0,
                tx_bytes: 0,
            });
        day.rx_bytes += rx;
        day.tx_bytes += tx;
    }

    /// Adds what the up ports of powered-on servers carried since the last call to today.
    pub fn grow<'a>(&mut self, servers: impl Iterator<Item = &'a Server>, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last);
        self.last = now;
        if self.rate == 0 || elapsed == Duration::ZERO {
            return;
        }
        let bytes = (elapsed.as_secs_f64() * self.rate as f64) as u64;
        let today = today();
        for server in servers.filter(|s| s.power_status == PowerStatus::On) {
            for port in &server.switch_connection {
                if port.admin_status == PortStatus::Up && !port.is_ipmi_connection {
                    self.add(server.id, port.id, &today, bytes, 2 * bytes);
                }
            }
        }
    }

    pub fn days(&self) -> impl Iterator<Item = &TrafficDay> {
        self.days.values()
    }
}

/// Today's date (UTC), `YYYY-MM-DD`.
pub fn today() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    crate::sessions::iso_date(days as i64)
}
