//! `where` expressions of DCImanager list calls, built so that every value is quoted right.
//!
//! The grammar (spec §4a): `<field> EQ|NE|CP <literal>`, `<field> IS null`, `NOT <expr>`,
//! `<expr> AND|OR <expr>`, parentheses; literals are single-quoted strings, integers, `true`,
//! `false`. The contract says nothing about escaping a quote inside a string, so a string holding
//! one is refused with a clear error rather than sent in a form DCImanager may read differently
//! (a wrong guess would filter on another value, or let a value change the expression).

use std::fmt;

use anyhow::{Result, bail};

/// A value on the right of `EQ`, `NE` or `CP`, already in its written form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal(String);

impl Literal {
    /// A single-quoted string. `CP` patterns use `%` as the wildcard.
    pub fn string(value: &str) -> Result<Literal> {
        if value.contains('\'') {
            bail!(
                "the value {value:?} contains a single quote, which a DCImanager `where` \
                 expression cannot carry (its grammar has no escape for it)"
            );
        }
        Ok(Literal(format!("'{value}'")))
    }
}

impl From<u64> for Literal {
    fn from(value: u64) -> Self {
        Literal(value.to_string())
    }
}

impl From<i64> for Literal {
    fn from(value: i64) -> Self {
        Literal(value.to_string())
    }
}

impl From<bool> for Literal {
    fn from(value: bool) -> Self {
        Literal(value.to_string())
    }
}

/// A complete `where` expression. Fields are names from the contract (the module's, or the
/// administrator's file), never from a customer's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter(String);

impl Filter {
    pub fn eq(field: &str, value: Literal) -> Filter {
        Filter(format!("{field} EQ {}", value.0))
    }

    /// `LIKE`: `%` in the pattern matches any text.
    pub fn cp(field: &str, pattern: Literal) -> Filter {
        Filter(format!("{field} CP {}", pattern.0))
    }
}

impl Filter {
    /// Any of `filters` (`(a) OR (b)`); `None` for no filter at all.
    pub fn any(filters: Vec<Filter>) -> Option<Filter> {
        let parts: Vec<String> = filters.into_iter().map(|f| format!("({})", f.0)).collect();
        (!parts.is_empty()).then(|| Filter(parts.join(" OR ")))
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_single_quoted_numbers_and_booleans_are_bare() -> Result<()> {
        assert_eq!(
            Filter::eq("email", Literal::string("client@example.com")?).to_string(),
            "email EQ 'client@example.com'"
        );
        assert_eq!(
            Filter::eq("location_id", 3u64.into()).to_string(),
            "location_id EQ 3"
        );
        assert_eq!(
            Filter::eq("is_new", true.into()).to_string(),
            "is_new EQ true"
        );
        assert_eq!(
            Filter::cp("name", Literal::string("%public%")?).to_string(),
            "name CP '%public%'"
        );
        // Double quotes and backslashes have no meaning inside single quotes.
        assert_eq!(
            Filter::eq("notes", Literal::string(r#"say "hi" \o/"#)?).to_string(),
            r#"notes EQ 'say "hi" \o/'"#
        );
        Ok(())
    }

    #[test]
    fn a_string_with_a_single_quote_is_refused() {
        let err = match Literal::string("o'brien@example.com") {
            Ok(literal) => panic!("accepted as {literal:?}"),
            Err(err) => err.to_string(),
        };
        assert!(err.contains("o'brien@example.com"), "{err}");
        assert!(err.contains("single quote"), "{err}");
    }
}
