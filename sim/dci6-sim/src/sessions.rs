//! Sessions (tokens) and one-time login keys (spec §2).
//!
//! A token stays valid while it is used: each authenticated call pushes its end `ttl` further,
//! the way sessions of the real product expire after a period of inactivity. A key logs its user
//! in once.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fmt::Write;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Who a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The inventory's administrator account.
    Admin,
    User(u64),
}

#[derive(Debug)]
struct Session {
    subject: Subject,
    expires: Instant,
}

/// A token as the login call answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

#[derive(Debug)]
pub struct Sessions {
    ttl: Duration,
    tokens: HashMap<String, Session>,
    /// Unused login keys and their users.
    keys: HashMap<String, u64>,
}

impl Sessions {
    pub fn new(ttl: Duration) -> Sessions {
        Sessions {
            ttl,
            tokens: HashMap::new(),
            keys: HashMap::new(),
        }
    }

    pub fn issue(&mut self, subject: Subject, now: Instant) -> IssuedToken {
        let token = random_hex();
        self.tokens.insert(
            token.clone(),
            Session {
                subject,
                expires: now + self.ttl,
            },
        );
        IssuedToken {
            token,
            expires_at: rfc3339(SystemTime::now() + self.ttl),
        }
    }

    /// The token's subject if it is valid; using it extends its life.
    pub fn authenticate(&mut self, token: &str, now: Instant) -> Option<Subject> {
        let session = self.tokens.get_mut(token)?;
        if now >= session.expires {
            self.tokens.remove(token);
            return None;
        }
        session.expires = now + self.ttl;
        Some(session.subject)
    }

    /// Who holds a valid `token`, without extending it.
    pub fn holder(&self, token: &str, now: Instant) -> Option<Subject> {
        self.tokens
            .get(token)
            .filter(|s| now < s.expires)
            .map(|s| s.subject)
    }

    pub fn revoke(&mut self, token: &str) {
        self.tokens.remove(token);
    }

    /// Every token issued so far becomes invalid.
    pub fn expire_all(&mut self) {
        self.tokens.clear();
    }

    pub fn issue_key(&mut self, user: u64) -> String {
        let key = random_hex();
        self.keys.insert(key.clone(), user);
        key
    }

    /// The key's user; the key is used up.
    pub fn redeem_key(&mut self, key: &str) -> Option<u64> {
        self.keys.remove(key)
    }
}

/// 128 bits, hex. Unpredictable enough for a simulator: std seeds `RandomState` from the OS.
fn random_hex() -> String {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let mut text = String::with_capacity(32);
    for _ in 0..2 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(SEQUENCE.fetch_add(1, Ordering::Relaxed));
        let _ = write!(text, "{:016x}", hasher.finish());
    }
    text
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
fn rfc3339(at: SystemTime) -> String {
    let seconds = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, time) = (seconds / 86_400, seconds % 86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        iso_date(i64::try_from(days).unwrap_or(0)),
        time / 3600,
        time % 3600 / 60,
        time % 60
    )
}

/// `YYYY-MM-DD` of a day count since 1970-01-01.
pub fn iso_date(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Days since 1970-01-01 to a Gregorian date (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_723);
        assert_eq!(rfc3339(leap), "2000-02-29T01:02:03Z");
        let later = UNIX_EPOCH + Duration::from_secs(1_767_225_599);
        assert_eq!(rfc3339(later), "2025-12-31T23:59:59Z");
    }

    #[test]
    fn tokens_expire_after_inactivity() {
        let mut sessions = Sessions::new(Duration::from_secs(10));
        let t0 = Instant::now();
        let issued = sessions.issue(Subject::Admin, t0);
        assert_eq!(issued.token.len(), 32);
        let later = t0 + Duration::from_secs(8);
        assert_eq!(
            sessions.authenticate(&issued.token, later),
            Some(Subject::Admin)
        );
        // Use extended it.
        let much_later = t0 + Duration::from_secs(16);
        assert_eq!(
            sessions.holder(&issued.token, much_later),
            Some(Subject::Admin)
        );
        assert_eq!(
            sessions.authenticate(&issued.token, t0 + Duration::from_secs(30)),
            None
        );
        assert_eq!(sessions.holder(&issued.token, t0), None);
    }

    #[test]
    fn keys_work_once_and_tokens_differ() {
        let mut sessions = Sessions::new(Duration::from_secs(10));
        let key = sessions.issue_key(7);
        assert_eq!(sessions.redeem_key(&key), Some(7));
        assert_eq!(sessions.redeem_key(&key), None);
        let now = Instant::now();
        let a = sessions.issue(Subject::User(7), now);
        let b = sessions.issue(Subject::User(7), now);
        assert_ne!(a.token, b.token);
        sessions.expire_all();
        assert_eq!(sessions.authenticate(&a.token, now), None);
    }
}
