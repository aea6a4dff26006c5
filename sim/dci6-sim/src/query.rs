//! The query language of list endpoints (spec §1, §4a): `where`, `orderby` and `limit`.
//!
//! Grammar of `where` (keywords upper case, `null`/`true`/`false` lower case):
//!
//! ```text
//! expr       := and_expr ("OR" and_expr)*
//! and_expr   := unary ("AND" unary)*
//! unary      := "NOT" unary | "(" expr ")" | comparison
//! comparison := field ("EQ" | "NE" | "CP") literal | field "IS" "null"
//! literal    := '<string>' | <integer> | true | false
//! ```
//!
//! Strings are single-quoted; `\'` and `\\` escape a quote and a backslash. `CP` is SQL `LIKE`
//! with `%` as the only wildcard, ASCII case-insensitive. Evaluation follows SQL's three-valued
//! logic, as the real installation (SQL-backed) does: a comparison with a null field is unknown,
//! `NOT unknown` stays unknown, and a row is listed only when the whole expression is true.
//!
//! Fields are checked before any row is read: an unknown field, a literal of the wrong type, or a
//! comparison on an object field (only `IS null` applies to those) is an error (a 400 answer).

use std::cmp::Ordering;
use std::fmt;
use std::iter::Peekable;
use std::str::Chars;

use crate::dialect::Dialect;

/// The type of a queryable field, fixed per field so that queries are checked up front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Str,
    Bool,
    /// A nested object: only `IS null` applies.
    Object,
}

/// A field's value in one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Str(&'a str),
    Bool(bool),
    /// A nested object that is set.
    Present,
}

/// One queryable field of a record type: its name in the JSON, its type and how to read it.
pub struct Field<T> {
    pub name: &'static str,
    pub kind: Kind,
    pub get: fn(&T) -> Value<'_>,
}

/// An object listed by a list endpoint; `FIELDS` are the ones `where` and `orderby` may name.
pub trait Record: Sized + 'static {
    const FIELDS: &'static [Field<Self>];

    /// The fields of `FIELDS` a dialect does not show, so that a query may not name them.
    fn hidden_in(_dialect: Dialect) -> &'static [&'static str] {
        &[]
    }
}

/// Why a query was refused; the text goes into the 400 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub msg: String,
    /// The offending field name or fragment, when there is one.
    pub value: Option<String>,
}

impl QueryError {
    fn new(msg: impl Into<String>) -> Self {
        QueryError {
            msg: msg.into(),
            value: None,
        }
    }

    fn at(msg: impl Into<String>, value: impl Into<String>) -> Self {
        QueryError {
            msg: msg.into(),
            value: Some(value.into()),
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "{}: {value}", self.msg),
            None => f.write_str(&self.msg),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Int(i64),
    Str(String),
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Eq,
    Ne,
    Cp,
}

/// A parsed `where` expression; fields are indexes into the record type's `FIELDS`.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Compare(usize, Comparison, Literal),
    IsNull(usize),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// A checked list query for records of type `T`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    filter: Option<Expr>,
    order: Option<(usize, Direction)>,
    /// `(offset, count)`.
    limit: Option<(usize, usize)>,
}

/// One page of a list and the number of records matching the filter.
#[derive(Debug)]
pub struct Page<'a, T> {
    pub items: Vec<&'a T>,
    pub size: usize,
}

impl ListQuery {
    /// Parses and checks the three parameters against `T`'s fields.
    pub fn parse<T: Record>(
        dialect: Dialect,
        filter: Option<&str>,
        orderby: Option<&str>,
        limit: Option<&str>,
    ) -> Result<ListQuery, QueryError> {
        Ok(ListQuery {
            filter: filter.map(|f| parse_where::<T>(dialect, f)).transpose()?,
            order: orderby
                .map(|o| parse_orderby::<T>(dialect, o))
                .transpose()?,
            limit: limit.map(parse_limit).transpose()?,
        })
    }

    /// Filters, orders and pages `records`, which come in their default order (by id).
    pub fn apply<'a, T: Record>(&self, records: impl IntoIterator<Item = &'a T>) -> Page<'a, T> {
        let matching = records.into_iter().filter(|record| {
            self.filter
                .as_ref()
                .is_none_or(|e| e.eval(*record) == Some(true))
        });
        let (offset, count) = self.limit.unwrap_or((0, usize::MAX));
        match self.order {
            Some((field, direction)) => {
                let mut all: Vec<&T> = matching.collect();
                let get = T::FIELDS.get(field).map(|f| f.get);
                if let Some(get) = get {
                    // Stable sort: ties keep the default order.
                    all.sort_by(|a, b| {
                        let ordering = compare_values(get(a), get(b));
                        match direction {
                            Direction::Asc => ordering,
                            Direction::Desc => ordering.reverse(),
                        }
                    });
                }
                let size = all.len();
                let items = all.into_iter().skip(offset).take(count).collect();
                Page { items, size }
            }
            None => {
                // Without ordering the page is taken on the fly: no copy of the whole list.
                let mut items = Vec::new();
                let mut size = 0;
                for record in matching {
                    if size >= offset && items.len() < count {
                        items.push(record);
                    }
                    size += 1;
                }
                Page { items, size }
            }
        }
    }
}

/// SQL order: null first, then by value.
fn compare_values(a: Value<'_>, b: Value<'_>) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Int(a), Value::Int(b)) => a.cmp(&b),
        (Value::Str(a), Value::Str(b)) => a.cmp(b),
        (Value::Bool(a), Value::Bool(b)) => a.cmp(&b),
        _ => Ordering::Equal,
    }
}

impl Expr {
    /// Three-valued: `None` is SQL's unknown.
    fn eval<T: Record>(&self, record: &T) -> Option<bool> {
        match self {
            Expr::Compare(field, comparison, literal) => {
                let value = (T::FIELDS.get(*field)?.get)(record);
                let equal = match (value, literal) {
                    (Value::Int(v), Literal::Int(l)) => v == *l,
                    (Value::Bool(v), Literal::Bool(l)) => v == *l,
                    (Value::Str(v), Literal::Str(l)) => match comparison {
                        Comparison::Cp => return Some(like(v, l)),
                        Comparison::Eq | Comparison::Ne => v == l,
                    },
                    _ => return None,
                };
                Some(if *comparison == Comparison::Ne {
                    !equal
                } else {
                    equal
                })
            }
            Expr::IsNull(field) => Some((T::FIELDS.get(*field)?.get)(record) == Value::Null),
            Expr::Not(inner) => inner.eval(record).map(|v| !v),
            Expr::And(a, b) => match (a.eval(record), b.eval(record)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Expr::Or(a, b) => match (a.eval(record), b.eval(record)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
        }
    }
}

/// SQL `LIKE` with `%` only, ASCII case-insensitive.
fn like(value: &str, pattern: &str) -> bool {
    let value = value.to_ascii_lowercase();
    let pattern = pattern.to_ascii_lowercase();
    let mut parts = pattern.split('%');
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let Some((last, middle)) = rest.split_last() else {
        return value == first;
    };
    let Some(mut remaining) = value.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.ends_with(last)
}

fn field_index<T: Record>(dialect: Dialect, name: &str) -> Result<usize, QueryError> {
    if T::hidden_in(dialect).contains(&name) {
        return Err(QueryError::at("unknown field", name));
    }
    T::FIELDS
        .iter()
        .position(|f| f.name == name)
        .ok_or_else(|| QueryError::at("unknown field", name))
}

fn parse_orderby<T: Record>(
    dialect: Dialect,
    text: &str,
) -> Result<(usize, Direction), QueryError> {
    let mut words = text.split_whitespace();
    let (Some(name), Some(direction), None) = (words.next(), words.next(), words.next()) else {
        return Err(QueryError::at(
            "orderby must be `<field> asc` or `<field> desc`",
            text,
        ));
    };
    let field = field_index::<T>(dialect, name)?;
    if T::FIELDS.get(field).map(|f| f.kind) == Some(Kind::Object) {
        return Err(QueryError::at("cannot order by an object field", name));
    }
    let direction = match direction {
        "asc" => Direction::Asc,
        "desc" => Direction::Desc,
        other => {
            return Err(QueryError::at(
                "orderby direction must be asc or desc",
                other,
            ));
        }
    };
    Ok((field, direction))
}

fn parse_limit(text: &str) -> Result<(usize, usize), QueryError> {
    let number = |part: &str| {
        part.trim()
            .parse::<usize>()
            .map_err(|_| QueryError::at("limit must be `<offset>,<count>` or `<count>`", text))
    };
    match text.split_once(',') {
        Some((offset, count)) => Ok((number(offset)?, number(count)?)),
        None => Ok((0, number(text)?)),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Word(String),
    Str(String),
    Int(i64),
}

fn tokenize(text: &str) -> Result<Vec<Token>, QueryError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            '\'' => {
                chars.next();
                tokens.push(Token::Str(quoted(&mut chars)?));
            }
            c if c == '-' || c.is_ascii_digit() => {
                let digits = take_while(&mut chars, |c| c == '-' || c.is_ascii_digit());
                let n = digits
                    .parse()
                    .map_err(|_| QueryError::at("bad integer", digits.clone()))?;
                tokens.push(Token::Int(n));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let word = take_while(&mut chars, |c| c.is_ascii_alphanumeric() || c == '_');
                tokens.push(Token::Word(word));
            }
            other => return Err(QueryError::at("unexpected character", other.to_string())),
        }
    }
    Ok(tokens)
}

fn take_while(chars: &mut Peekable<Chars<'_>>, accept: impl Fn(char) -> bool) -> String {
    let mut word = String::new();
    while let Some(&c) = chars.peek() {
        if !accept(c) {
            break;
        }
        word.push(c);
        chars.next();
    }
    word
}

/// The rest of a string literal whose opening quote was consumed.
fn quoted(chars: &mut Peekable<Chars<'_>>) -> Result<String, QueryError> {
    let mut text = String::new();
    loop {
        match chars.next() {
            None => return Err(QueryError::at("unterminated string", text)),
            Some('\'') => return Ok(text),
            Some('\\') => match chars.next() {
                Some(c @ ('\'' | '\\')) => text.push(c),
                _ => return Err(QueryError::at("bad escape in string", text)),
            },
            Some(c) => text.push(c),
        }
    }
}

fn parse_where<T: Record>(dialect: Dialect, text: &str) -> Result<Expr, QueryError> {
    let mut parser = Parser::<T> {
        dialect,
        tokens: tokenize(text)?.into_iter().peekable(),
        record: std::marker::PhantomData,
    };
    let expr = parser.or_expr()?;
    match parser.tokens.next() {
        None => Ok(expr),
        Some(token) => Err(QueryError::at(
            "unexpected token after expression",
            describe(&token),
        )),
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Open => "(".into(),
        Token::Close => ")".into(),
        Token::Word(w) => w.clone(),
        Token::Str(s) => format!("'{s}'"),
        Token::Int(n) => n.to_string(),
    }
}

struct Parser<T> {
    dialect: Dialect,
    tokens: Peekable<std::vec::IntoIter<Token>>,
    record: std::marker::PhantomData<T>,
}

impl<T: Record> Parser<T> {
    fn keyword(&mut self, keyword: &str) -> bool {
        if matches!(self.tokens.peek(), Some(Token::Word(w)) if w == keyword) {
            self.tokens.next();
            true
        } else {
            false
        }
    }

    fn or_expr(&mut self) -> Result<Expr, QueryError> {
        let mut expr = self.and_expr()?;
        while self.keyword("OR") {
            expr = Expr::Or(Box::new(expr), Box::new(self.and_expr()?));
        }
        Ok(expr)
    }

    fn and_expr(&mut self) -> Result<Expr, QueryError> {
        let mut expr = self.unary()?;
        while self.keyword("AND") {
            expr = Expr::And(Box::new(expr), Box::new(self.unary()?));
        }
        Ok(expr)
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        if self.keyword("NOT") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        match self.tokens.next() {
            Some(Token::Open) => {
                let expr = self.or_expr()?;
                match self.tokens.next() {
                    Some(Token::Close) => Ok(expr),
                    _ => Err(QueryError::new("missing closing parenthesis")),
                }
            }
            Some(Token::Word(name)) if !is_reserved(&name) => self.comparison(&name),
            Some(token) => Err(QueryError::at("expected a field name", describe(&token))),
            None => Err(QueryError::new("unexpected end of expression")),
        }
    }

    fn comparison(&mut self, name: &str) -> Result<Expr, QueryError> {
        let field = field_index::<T>(self.dialect, name)?;
        let kind = T::FIELDS
            .get(field)
            .map(|f| f.kind)
            .ok_or_else(|| QueryError::at("unknown field", name))?;
        let operator = match self.tokens.next() {
            Some(Token::Word(w)) => w,
            Some(token) => {
                return Err(QueryError::at(
                    "expected EQ, NE, CP or IS",
                    describe(&token),
                ));
            }
            None => return Err(QueryError::at("expected EQ, NE, CP or IS after", name)),
        };
        let comparison = match operator.as_str() {
            "IS" => {
                return match self.tokens.next() {
                    Some(Token::Word(w)) if w == "null" => Ok(Expr::IsNull(field)),
                    _ => Err(QueryError::at("IS must be followed by null", name)),
                };
            }
            "EQ" => Comparison::Eq,
            "NE" => Comparison::Ne,
            "CP" => Comparison::Cp,
            other => return Err(QueryError::at("expected EQ, NE, CP or IS", other)),
        };
        let literal = match self.tokens.next() {
            Some(Token::Str(s)) => Literal::Str(s),
            Some(Token::Int(n)) => Literal::Int(n),
            Some(Token::Word(w)) if w == "true" => Literal::Bool(true),
            Some(Token::Word(w)) if w == "false" => Literal::Bool(false),
            Some(token) => return Err(QueryError::at("expected a literal", describe(&token))),
            None => return Err(QueryError::at("expected a literal after", operator)),
        };
        let fits = matches!(
            (kind, &literal, comparison),
            (Kind::Int, Literal::Int(_), Comparison::Eq | Comparison::Ne)
                | (
                    Kind::Bool,
                    Literal::Bool(_),
                    Comparison::Eq | Comparison::Ne
                )
                | (Kind::Str, Literal::Str(_), _)
        );
        if !fits {
            return Err(QueryError::at(
                "literal or operator does not fit the field's type",
                name,
            ));
        }
        Ok(Expr::Compare(field, comparison, literal))
    }
}

fn is_reserved(word: &str) -> bool {
    matches!(
        word,
        "EQ" | "NE" | "CP" | "IS" | "NOT" | "AND" | "OR" | "null" | "true" | "false"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Row {
        id: u64,
        name: &'static str,
        owner_email: Option<&'static str>,
        location_id: u64,
        free: bool,
        owner: Option<u64>,
    }

    impl Record for Row {
        const FIELDS: &'static [Field<Self>] = &[
            Field {
                name: "id",
                kind: Kind::Int,
                get: |r| Value::Int(r.id as i64),
            },
            Field {
                name: "name",
                kind: Kind::Str,
                get: |r| Value::Str(r.name),
            },
            Field {
                name: "owner_email",
                kind: Kind::Str,
                get: |r| r.owner_email.map_or(Value::Null, Value::Str),
            },
            Field {
                name: "location_id",
                kind: Kind::Int,
                get: |r| Value::Int(r.location_id as i64),
            },
            Field {
                name: "free",
                kind: Kind::Bool,
                get: |r| Value::Bool(r.free),
            },
            Field {
                name: "owner",
                kind: Kind::Object,
                get: |r| r.owner.map_or(Value::Null, |_| Value::Present),
            },
        ];
    }

    fn rows() -> Vec<Row> {
        vec![
            Row {
                id: 1,
                name: "srv-1",
                owner_email: None,
                location_id: 3,
                free: true,
                owner: None,
            },
            Row {
                id: 2,
                name: "srv-2",
                owner_email: Some("a@example.com"),
                location_id: 3,
                free: false,
                owner: Some(7),
            },
            Row {
                id: 3,
                name: "db-3",
                owner_email: None,
                location_id: 4,
                free: true,
                owner: None,
            },
            Row {
                id: 4,
                name: "O'Brien",
                owner_email: Some("b@example.com"),
                location_id: 4,
                free: false,
                owner: Some(8),
            },
        ]
    }

    fn ids(filter: &str) -> Vec<u64> {
        let query = ListQuery::parse::<Row>(Dialect::Default, Some(filter), None, None).unwrap();
        let rows = rows();
        query.apply(&rows).items.iter().map(|r| r.id).collect()
    }

    fn error(filter: &str) -> QueryError {
        ListQuery::parse::<Row>(Dialect::Default, Some(filter), None, None).unwrap_err()
    }

    #[test]
    fn comparisons() {
        assert_eq!(ids("location_id EQ 3"), [1, 2]);
        assert_eq!(ids("location_id NE 3"), [3, 4]);
        assert_eq!(ids("name EQ 'srv-2'"), [2]);
        assert_eq!(ids("name CP 'srv%'"), [1, 2]);
        assert_eq!(ids("name CP '%-3'"), [3]);
        assert_eq!(ids("name CP 'SRV-%'"), [1, 2]);
        assert_eq!(ids("name CP '%v%1'"), [1]);
        assert_eq!(ids("name CP 'srv'"), Vec::<u64>::new());
        assert_eq!(ids("free EQ true"), [1, 3]);
        assert_eq!(ids("free EQ false"), [2, 4]);
        assert_eq!(ids("id EQ -1"), Vec::<u64>::new());
    }

    #[test]
    fn null_and_three_valued_logic() {
        assert_eq!(ids("owner_email IS null"), [1, 3]);
        assert_eq!(ids("owner IS null"), [1, 3]);
        assert_eq!(ids("NOT (owner IS null)"), [2, 4]);
        // A comparison with null is unknown, and so is its negation.
        assert_eq!(ids("owner_email EQ 'a@example.com'"), [2]);
        assert_eq!(ids("owner_email NE 'a@example.com'"), [4]);
        assert_eq!(ids("NOT owner_email EQ 'a@example.com'"), [4]);
        assert_eq!(ids("owner_email EQ 'x' OR location_id EQ 3"), [1, 2]);
    }

    #[test]
    fn boolean_operators_and_precedence() {
        assert_eq!(ids("(owner_email IS null) AND location_id EQ 3"), [1]);
        assert_eq!(
            ids("location_id EQ 4 OR id EQ 1 AND free EQ true"),
            [1, 3, 4]
        );
        assert_eq!(
            ids("(location_id EQ 4 OR id EQ 1) AND free EQ true"),
            [1, 3]
        );
        assert_eq!(ids("NOT location_id EQ 3 AND free EQ true"), [3]);
        assert_eq!(ids("NOT (location_id EQ 3 AND free EQ true)"), [2, 3, 4]);
        assert_eq!(ids("NOT NOT id EQ 2"), [2]);
        assert_eq!(ids("((id EQ 1))"), [1]);
    }

    #[test]
    fn quoted_strings_with_escapes() {
        assert_eq!(ids(r"name EQ 'O\'Brien'"), [4]);
        assert!(error("name EQ 'open").msg.contains("unterminated"));
        assert!(error(r"name EQ 'a\b'").msg.contains("escape"));
    }

    #[test]
    fn refused_queries() {
        let unknown = error("colour EQ 'red'");
        assert_eq!(unknown.msg, "unknown field");
        assert_eq!(unknown.value.as_deref(), Some("colour"));
        assert!(error("location_id EQ '3'").msg.contains("type"));
        assert!(error("name EQ 3").msg.contains("type"));
        assert!(error("location_id CP 3").msg.contains("type"));
        assert!(error("free EQ 1").msg.contains("type"));
        assert!(error("owner EQ 7").msg.contains("type"));
        assert!(error("owner IS NOT null").msg.contains("null"));
        assert!(error("owner is null").msg.contains("expected EQ"));
        assert!(error("id eq 1").msg.contains("expected EQ"));
        assert!(
            error("id EQ 1 and id EQ 2")
                .msg
                .contains("unexpected token")
        );
        assert!(error("(id EQ 1").msg.contains("parenthesis"));
        assert!(error("id EQ 1)").msg.contains("unexpected token"));
        assert!(error("id EQ").msg.contains("literal"));
        assert!(error("").msg.contains("end"));
        assert!(error("AND id EQ 1").msg.contains("field name"));
        assert!(error("id EQ 1 # x").msg.contains("character"));
        assert!(error("id EQ NULL").msg.contains("literal"));
        assert!(error("id EQ 1-2").msg.contains("integer"));
    }

    #[test]
    fn orderby_and_limit() {
        let rows = rows();
        let page = |orderby: Option<&str>, limit: Option<&str>| {
            let query = ListQuery::parse::<Row>(Dialect::Default, None, orderby, limit).unwrap();
            let page = query.apply(&rows);
            (
                page.items.iter().map(|r| r.id).collect::<Vec<_>>(),
                page.size,
            )
        };
        assert_eq!(page(Some("name asc"), None), (vec![4, 3, 1, 2], 4));
        assert_eq!(page(Some("name desc"), None), (vec![2, 1, 3, 4], 4));
        // Nulls first; ties keep the order by id.
        assert_eq!(page(Some("owner_email asc"), None), (vec![1, 3, 2, 4], 4));
        assert_eq!(page(Some("location_id desc"), Some("1,2")), (vec![4, 1], 4));
        assert_eq!(page(None, Some("2")), (vec![1, 2], 4));
        assert_eq!(page(None, Some("3,10")), (vec![4], 4));
        assert_eq!(page(None, Some("10,10")), (vec![], 4));
        assert_eq!(page(None, Some("0")), (vec![], 4));

        let filtered =
            ListQuery::parse::<Row>(Dialect::Default, Some("free EQ true"), None, Some("1,1"))
                .unwrap();
        let filtered = filtered.apply(&rows);
        assert_eq!(filtered.size, 2);
        assert_eq!(filtered.items[0].id, 3);
    }

    #[test]
    fn refused_orderby_and_limit() {
        let parse = |o: Option<&str>, l: Option<&str>| {
            ListQuery::parse::<Row>(Dialect::Default, None, o, l)
        };
        assert!(parse(Some("name"), None).is_err());
        assert!(parse(Some("name ASC"), None).is_err());
        assert!(parse(Some("name asc extra"), None).is_err());
        assert!(parse(Some("colour asc"), None).is_err());
        assert!(parse(Some("owner asc"), None).is_err());
        assert!(parse(None, Some("a,b")).is_err());
        assert!(parse(None, Some("1,2,3")).is_err());
        assert!(parse(None, Some("-1")).is_err());
        assert!(parse(None, Some("")).is_err());
    }
}
