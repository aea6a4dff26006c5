//! Which of the processing modules selling a tariff should open an order
//! (`get_suitable_module`): when a tariff is sold from several locations, one module each, the
//! order goes where a server is waiting for it.
//!
//! BILLmanager hands over its candidates in its own priority order (`orderpriority`, then id).
//! The answer keeps that order within each group: first the modules whose location has an
//! available server matching the order, then those that could not be judged (DCImanager
//! unreachable, a module misconfigured, an order that cannot be read without its item), since
//! BILLmanager's own choice stands for them and they may well have stock, then those that would
//! need a closest-match build, which takes staff time. A module whose location has no server the
//! order could get, not even for a build, is left out.

use std::fmt;

/// What one module's location can do for the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleStock {
    /// An available server matches the order.
    Match { servers: usize },
    /// Nothing matches, closest match is on and an available server could be rebuilt.
    Build,
    /// Not judged; the reason is logged.
    Unknown(String),
    /// Nothing the order could get: no match, and closest match is off or nothing is available.
    Nothing,
}

impl fmt::Display for ModuleStock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleStock::Match { servers } => write!(f, "{servers} matching server(s) available"),
            ModuleStock::Build => f.write_str("no match; a closest-match build is possible"),
            ModuleStock::Unknown(why) => write!(f, "not judged ({why}); kept"),
            ModuleStock::Nothing => f.write_str("no server for the order; left out"),
        }
    }
}

impl ModuleStock {
    /// The group in the answer; `None` leaves the module out.
    fn group(&self) -> Option<u8> {
        match self {
            ModuleStock::Match { .. } => Some(0),
            ModuleStock::Unknown(_) => Some(1),
            ModuleStock::Build => Some(2),
            ModuleStock::Nothing => None,
        }
    }
}

/// The module ids to answer, from the modules in BILLmanager's priority order with what each
/// location can do.
pub fn suitable(modules: &[(u64, ModuleStock)]) -> Vec<u64> {
    let mut kept: Vec<(u8, usize, u64)> = modules
        .iter()
        .enumerate()
        .filter_map(|(rank, (id, stock))| stock.group().map(|group| (group, rank, *id)))
        .collect();
    kept.sort();
    kept.into_iter().map(|(_, _, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_first_then_unknown_then_builds_each_in_billmanagers_order() {
        let modules = [
            (7, ModuleStock::Build),
            (3, ModuleStock::Nothing),
            (9, ModuleStock::Match { servers: 1 }),
            (4, ModuleStock::Unknown("DCImanager unreachable".into())),
            (2, ModuleStock::Match { servers: 5 }),
            (8, ModuleStock::Build),
        ];
        assert_eq!(suitable(&modules), vec![9, 2, 4, 7, 8]);
    }

    #[test]
    fn nothing_anywhere_is_an_empty_answer() {
        assert!(suitable(&[(1, ModuleStock::Nothing)]).is_empty());
        assert!(suitable(&[]).is_empty());
    }
}
