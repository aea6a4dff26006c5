//! The two API dialects the simulator speaks. `Default` is the contract of
//! `spec/dcimanager6-api.md`; `Platform` renames and reshapes it after the conventions ISPsystem's
//! own clients show on the same platform (VMmanager 6), so that a client whose routes, bodies and
//! field names come from a contract file can be run against an implementation that differs from
//! the default in names and shapes only. Behaviour is the same in both.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Dialect {
    #[default]
    Default,
    Platform,
}

impl Dialect {
    pub const ALL: [Dialect; 2] = [Dialect::Default, Dialect::Platform];

    /// The name `--dialect` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Default => "default",
            Dialect::Platform => "platform",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dialect {
    type Err = String;

    fn from_str(text: &str) -> Result<Dialect, String> {
        Dialect::ALL
            .into_iter()
            .find(|d| d.as_str() == text)
            .ok_or_else(|| format!("unknown dialect {text:?} (default or platform)"))
    }
}
