//! CQL2 (OGC 21-065), the filter language of OGC API – Features Part 3, read from its text and
//! its JSON encodings into one small tree. This module only reads; what a filter may say about
//! initiatives, and the SQL it becomes, is decided in [`crate::filter`].
//!
//! Operators and functions are named as in CQL2-JSON (`and`, `=`, `like`, `isNull`,
//! `s_intersects`, `a_containedBy`, `casei`, …) whichever encoding a filter came in, so that both
//! mean the same. `a NOT LIKE b`, `a NOT IN (…)`, `a NOT BETWEEN …` and `a IS NOT NULL` become
//! `not` around the positive predicate. Geometries are read and written back as WKT, so that
//! only a well-formed geometry with finite coordinates reaches the database.
//!
//! Nesting is bounded ([`MAX_DEPTH`]): a filter is one query parameter, and no deeper filter is
//! needed to say anything our queryables allow.

use crate::text;
use crate::text::Text;
use geo::CoordsIter;
use serde_json::Value;
use wkt::ToWkt;

/// A CQL2 expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Bool(bool),
    Number(f64),
    Text(String),
    Property(String),
    /// `TIMESTAMP('…')` / `{"timestamp": "…"}`, as written.
    Timestamp(String),
    /// `DATE('…')` / `{"date": "…"}`, as written.
    Date(String),
    /// `INTERVAL(start, end)`: its bounds as given (`'..'` is an open end).
    Interval(Vec<Expr>),
    /// A geometry, as WKT.
    Geometry(String),
    /// `BBOX(…)`: its numbers as given.
    BBox(Vec<Expr>),
    /// A list: `('a', 'b')` in text, a JSON array.
    Array(Vec<Expr>),
    /// An operator, predicate or function and its arguments.
    Op {
        op: String,
        args: Vec<Expr>,
    },
}

/// The deepest nesting of parentheses, operators and JSON objects read.
pub const MAX_DEPTH: usize = 64;

type Parsed<T> = Result<T, Text>;

/// The names of CQL2-JSON's operators and functions, as that encoding spells them; the text
/// encoding's keywords are matched to them whatever their case.
const NAMES: &[&str] = &[
    "and",
    "or",
    "not",
    "like",
    "between",
    "in",
    "isNull",
    "casei",
    "accenti",
    "s_intersects",
    "s_equals",
    "s_disjoint",
    "s_touches",
    "s_within",
    "s_overlaps",
    "s_crosses",
    "s_contains",
    "t_after",
    "t_before",
    "t_contains",
    "t_disjoint",
    "t_during",
    "t_equals",
    "t_finishedBy",
    "t_finishes",
    "t_intersects",
    "t_meets",
    "t_metBy",
    "t_overlappedBy",
    "t_overlaps",
    "t_startedBy",
    "t_starts",
    "a_equals",
    "a_contains",
    "a_containedBy",
    "a_overlaps",
    "div",
];

fn canonical(name: &str) -> String {
    NAMES
        .iter()
        .find(|known| known.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |known| known.to_string())
}

fn op(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Op {
        op: name.to_string(),
        args,
    }
}

fn too_deep() -> Text {
    text!(
        "the filter nests more than {} levels deep", MAX_DEPTH;
        "le filtre imbrique plus de {} niveaux", MAX_DEPTH)
}

/// A geometry with finite coordinates and enough points in each part, as WKT.
fn geometry(shape: geo::Geometry<f64>) -> Parsed<Expr> {
    if shape
        .coords_iter()
        .any(|c| !c.x.is_finite() || !c.y.is_finite())
    {
        return Err(text!(
            "a geometry's coordinates must be finite numbers";
            "les coordonnées d'une géométrie doivent être des nombres finis"));
    }
    if !enough_points(&shape) {
        return Err(text!(
            "a line needs two points or more, and a polygon's ring four or more (the last one the first)";
            "une ligne demande au moins deux points, et l'anneau d'un polygone au moins quatre (le dernier égal au premier)"));
    }
    Ok(Expr::Geometry(shape.wkt_string()))
}

/// What PostGIS requires of each part (geo closes a polygon's rings when it reads them).
fn enough_points(shape: &geo::Geometry<f64>) -> bool {
    use geo::Geometry as G;
    let line = |l: &geo::LineString<f64>| l.0.is_empty() || l.0.len() >= 2;
    let ring = |l: &geo::LineString<f64>| l.0.is_empty() || l.0.len() >= 4;
    let polygon = |p: &geo::Polygon<f64>| ring(p.exterior()) && p.interiors().iter().all(ring);
    match shape {
        G::LineString(l) => line(l),
        G::MultiLineString(m) => m.0.iter().all(line),
        G::Polygon(p) => polygon(p),
        G::MultiPolygon(m) => m.0.iter().all(polygon),
        G::GeometryCollection(c) => c.0.iter().all(enough_points),
        _ => true,
    }
}

// ---------------------------------------------------------------------------------------------
// CQL2 text

/// Reads a filter in CQL2 text.
pub fn parse_text(raw: &str) -> Parsed<Expr> {
    let mut parser = Parser {
        src: raw,
        pos: 0,
        start: 0,
        token: Token::End,
        depth: 0,
    };
    parser.bump()?;
    let expr = parser.boolean()?;
    if parser.token != Token::End {
        return Err(parser.expected("the end of the filter", "la fin du filtre"));
    }
    Ok(expr)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A keyword, a function or a property name.
    Word(String),
    /// A property name in double quotes.
    Quoted(String),
    /// A text in single quotes.
    Str(String),
    Number(f64),
    Sym(&'static str),
    End,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Word(w) => w.clone(),
            Token::Quoted(w) => format!("\"{w}\""),
            Token::Str(s) => format!("'{s}'"),
            Token::Number(n) => n.to_string(),
            Token::Sym(s) => (*s).to_string(),
            Token::End => "…".to_string(),
        }
    }
}

/// Words that are never a property name.
const RESERVED: &[&str] = &[
    "AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL", "DIV",
];

const WKT_TYPES: &[&str] = &[
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
];

const COMPARISONS: &[&str] = &["=", "<>", "<", "<=", ">", ">="];

struct Parser<'a> {
    src: &'a str,
    /// Where the next token starts to be read.
    pos: usize,
    /// Where the current token starts.
    start: usize,
    token: Token,
    depth: usize,
}

impl Parser<'_> {
    /// The position of a byte offset, in characters from 1, as a person counts them.
    fn at(&self, offset: usize) -> usize {
        self.src[..offset].chars().count() + 1
    }

    fn expected(&self, en: &str, fr: &str) -> Text {
        if self.token == Token::End {
            text!(
                "expected {} at the end of the filter", en;
                "à la fin du filtre, attendu : {}", fr)
        } else {
            let found = self.token.describe();
            let at = self.at(self.start);
            text!(
                "expected {} at character {}, found {}", en, at, found;
                "au caractère {}, attendu : {} ; trouvé : {}", at, fr, found)
        }
    }

    /// Reads the next token into `self.token`.
    fn bump(&mut self) -> Parsed<()> {
        let rest = &self.src[self.pos..];
        let skipped = rest.len() - rest.trim_start().len();
        self.start = self.pos + skipped;
        let rest = &self.src[self.start..];
        let mut chars = rest.chars();
        let Some(c) = chars.next() else {
            self.token = Token::End;
            self.pos = self.start;
            return Ok(());
        };
        let (token, len) = if c.is_alphabetic() || c == '_' {
            let len = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == ':'))
                .unwrap_or(rest.len());
            (Token::Word(rest[..len].to_string()), len)
        } else if c == '\'' || c == '"' {
            self.quoted(rest, c)?
        } else if c.is_ascii_digit()
            || (c == '.' && chars.next().is_some_and(|d| d.is_ascii_digit()))
        {
            self.number(rest)?
        } else {
            let two = rest.get(..2).unwrap_or("");
            match ["<>", "<=", ">="].into_iter().find(|s| *s == two) {
                Some(sym) => (Token::Sym(sym), 2),
                None => match ["(", ")", ",", "=", "<", ">", "+", "-", "*", "/", "%", "^"]
                    .into_iter()
                    .find(|s| s.starts_with(c))
                {
                    Some(sym) => (Token::Sym(sym), 1),
                    None => {
                        let at = self.at(self.start);
                        return Err(text!(
                            "unexpected character '{}' at character {}", c, at;
                            "caractère « {} » inattendu au caractère {}", c, at));
                    }
                },
            }
        };
        self.token = token;
        self.pos = self.start + len;
        Ok(())
    }

    /// A text in single quotes (`''` or `\'` for a quote) or a name in double quotes (`""`).
    fn quoted(&self, rest: &str, quote: char) -> Parsed<(Token, usize)> {
        let mut value = String::new();
        let mut chars = rest.char_indices().skip(1).peekable();
        while let Some((i, c)) = chars.next() {
            if c == quote {
                if chars.peek().is_some_and(|&(_, n)| n == quote) {
                    chars.next();
                    value.push(quote);
                    continue;
                }
                let token = if quote == '\'' {
                    Token::Str(value)
                } else {
                    Token::Quoted(value)
                };
                return Ok((token, i + 1));
            }
            if c == '\\' && quote == '\'' && chars.peek().is_some_and(|&(_, n)| n == '\'') {
                chars.next();
                value.push('\'');
                continue;
            }
            value.push(c);
        }
        let at = self.at(self.start);
        Err(text!(
            "the quote {} opened at character {} is not closed", quote, at;
            "le guillemet {} ouvert au caractère {} n'est pas fermé", quote, at))
    }

    fn number(&self, rest: &str) -> Parsed<(Token, usize)> {
        let bytes = rest.as_bytes();
        let digits = |mut i: usize| {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            i
        };
        let mut len = digits(0);
        if bytes.get(len) == Some(&b'.') {
            len = digits(len + 1);
        }
        if matches!(bytes.get(len), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(bytes.get(len + 1), Some(b'+' | b'-')));
            let end = digits(len + 1 + sign);
            if end > len + 1 + sign {
                len = end;
            }
        }
        let at = self.at(self.start);
        rest[..len]
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(|n| (Token::Number(n), len))
            .ok_or_else(|| {
                text!(
                    "'{}' at character {} is not a number", &rest[..len], at;
                    "« {} » au caractère {} n'est pas un nombre", &rest[..len], at)
            })
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(&self.token, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    fn eat_keyword(&mut self, keyword: &str) -> Parsed<bool> {
        let found = self.is_keyword(keyword);
        if found {
            self.bump()?;
        }
        Ok(found)
    }

    fn eat(&mut self, sym: &str) -> Parsed<bool> {
        let found = matches!(self.token, Token::Sym(s) if s == sym);
        if found {
            self.bump()?;
        }
        Ok(found)
    }

    fn expect(&mut self, sym: &'static str) -> Parsed<()> {
        if self.eat(sym)? {
            Ok(())
        } else {
            Err(self.expected(&format!("'{sym}'"), &format!("« {sym} »")))
        }
    }

    fn descend(&mut self) -> Parsed<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(too_deep());
        }
        Ok(())
    }

    /// `a OR b …`, the loosest level.
    fn boolean(&mut self) -> Parsed<Expr> {
        self.descend()?;
        let mut parts = vec![self.term()?];
        while self.eat_keyword("OR")? {
            parts.push(self.term()?);
        }
        self.depth -= 1;
        Ok(joined("or", parts))
    }

    /// `a AND b …`
    fn term(&mut self) -> Parsed<Expr> {
        let mut parts = vec![self.factor()?];
        while self.eat_keyword("AND")? {
            parts.push(self.factor()?);
        }
        Ok(joined("and", parts))
    }

    /// `NOT a`, or a predicate.
    fn factor(&mut self) -> Parsed<Expr> {
        if self.eat_keyword("NOT")? {
            self.descend()?;
            let inner = self.factor()?;
            self.depth -= 1;
            return Ok(op("not", vec![inner]));
        }
        self.predicate()
    }

    /// A comparison, `LIKE`, `BETWEEN`, `IN` or `IS NULL` after a value; or the value alone.
    fn predicate(&mut self) -> Parsed<Expr> {
        let left = self.scalar()?;
        if let Token::Sym(sym) = self.token
            && COMPARISONS.contains(&sym)
        {
            self.bump()?;
            let right = self.scalar()?;
            return Ok(op(sym, vec![left, right]));
        }
        let negated = self.eat_keyword("NOT")?;
        let positive = if self.eat_keyword("LIKE")? {
            op("like", vec![left, self.scalar()?])
        } else if self.eat_keyword("BETWEEN")? {
            let low = self.scalar()?;
            if !self.eat_keyword("AND")? {
                return Err(self.expected("AND", "AND"));
            }
            op("between", vec![left, low, self.scalar()?])
        } else if self.eat_keyword("IN")? {
            op("in", vec![left, self.list()?])
        } else if negated {
            return Err(self.expected("LIKE, BETWEEN or IN", "LIKE, BETWEEN ou IN"));
        } else if self.eat_keyword("IS")? {
            let not = self.eat_keyword("NOT")?;
            if !self.eat_keyword("NULL")? {
                return Err(self.expected("NULL", "NULL"));
            }
            let test = op("isNull", vec![left]);
            return Ok(if not { op("not", vec![test]) } else { test });
        } else {
            return Ok(left);
        };
        Ok(if negated {
            op("not", vec![positive])
        } else {
            positive
        })
    }

    /// Arithmetic: `+ -`, then `* / % DIV`, then `^`, then a sign.
    fn scalar(&mut self) -> Parsed<Expr> {
        let mut left = self.product()?;
        while let Token::Sym(sym @ ("+" | "-")) = self.token {
            self.bump()?;
            left = op(sym, vec![left, self.product()?]);
        }
        Ok(left)
    }

    fn product(&mut self) -> Parsed<Expr> {
        let mut left = self.power()?;
        loop {
            let name = match self.token {
                Token::Sym(sym @ ("*" | "/" | "%")) => sym,
                _ if self.is_keyword("DIV") => "div",
                _ => return Ok(left),
            };
            self.bump()?;
            left = op(name, vec![left, self.power()?]);
        }
    }

    fn power(&mut self) -> Parsed<Expr> {
        let base = self.signed()?;
        if self.eat("^")? {
            return Ok(op("^", vec![base, self.signed()?]));
        }
        Ok(base)
    }

    fn signed(&mut self) -> Parsed<Expr> {
        if self.eat("-")? {
            self.descend()?;
            let value = self.signed()?;
            self.depth -= 1;
            return Ok(match value {
                Expr::Number(n) => Expr::Number(-n),
                other => op("-", vec![Expr::Number(0.0), other]),
            });
        }
        if self.eat("+")? {
            return self.signed();
        }
        self.primary()
    }

    fn primary(&mut self) -> Parsed<Expr> {
        match std::mem::replace(&mut self.token, Token::End) {
            Token::Sym("(") => {
                self.token = Token::Sym("(");
                self.group()
            }
            Token::Str(s) => {
                self.bump()?;
                Ok(Expr::Text(s))
            }
            Token::Number(n) => {
                self.bump()?;
                Ok(Expr::Number(n))
            }
            Token::Quoted(name) => {
                self.bump()?;
                Ok(Expr::Property(name))
            }
            Token::Word(word) => self.word(word),
            other => {
                self.token = other;
                Err(self.expected(
                    "a value, a property or '('",
                    "une valeur, une propriété ou « ( »",
                ))
            }
        }
    }

    /// `( expression )`, or a list `(a, b, …)` / `()`.
    fn group(&mut self) -> Parsed<Expr> {
        self.expect("(")?;
        if self.eat(")")? {
            return Ok(Expr::Array(Vec::new()));
        }
        let first = self.boolean()?;
        if self.eat(")")? {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat(",")? {
            items.push(self.boolean()?);
        }
        self.expect(")")?;
        Ok(Expr::Array(items))
    }

    /// `(a, b, …)`: always a list, even of one item (`IN`, the array functions).
    fn list(&mut self) -> Parsed<Expr> {
        self.expect("(")?;
        let mut items = Vec::new();
        if !self.eat(")")? {
            loop {
                items.push(self.boolean()?);
                if !self.eat(",")? {
                    break;
                }
            }
            self.expect(")")?;
        }
        Ok(Expr::Array(items))
    }

    /// A function's arguments in parentheses; `lists`: an argument in parentheses is a list.
    fn arguments(&mut self, lists: bool) -> Parsed<Vec<Expr>> {
        self.descend()?;
        self.expect("(")?;
        let mut args = Vec::new();
        if !self.eat(")")? {
            loop {
                args.push(if lists && self.token == Token::Sym("(") {
                    self.list()?
                } else {
                    self.boolean()?
                });
                if !self.eat(",")? {
                    break;
                }
            }
            self.expect(")")?;
        }
        self.depth -= 1;
        Ok(args)
    }

    /// What a word starts: a literal, a geometry, a function call or a property name.
    fn word(&mut self, word: String) -> Parsed<Expr> {
        let upper = word.to_ascii_uppercase();
        if WKT_TYPES.contains(&upper.as_str()) {
            return self.wkt(&word);
        }
        if RESERVED.contains(&upper.as_str()) {
            self.token = Token::Word(word);
            return Err(self.expected(
                "a value, a property or '('",
                "une valeur, une propriété ou « ( »",
            ));
        }
        self.bump()?;
        match upper.as_str() {
            "TRUE" => return Ok(Expr::Bool(true)),
            "FALSE" => return Ok(Expr::Bool(false)),
            _ => {}
        }
        if self.token != Token::Sym("(") {
            return Ok(Expr::Property(word));
        }
        Ok(match upper.as_str() {
            "TIMESTAMP" | "DATE" => {
                self.expect("(")?;
                let Token::Str(instant) = std::mem::replace(&mut self.token, Token::End) else {
                    return Err(text!(
                        "{} takes a quoted text, such as {}('2026-01-31')", upper, upper;
                        "{} prend un texte entre apostrophes, comme {}('2026-01-31')", upper, upper));
                };
                self.bump()?;
                self.expect(")")?;
                if upper == "DATE" {
                    Expr::Date(instant)
                } else {
                    Expr::Timestamp(instant)
                }
            }
            "INTERVAL" => Expr::Interval(self.arguments(false)?),
            "BBOX" => Expr::BBox(self.arguments(false)?),
            _ => {
                let name = canonical(&word);
                let args = self.arguments(name.starts_with("a_"))?;
                Expr::Op { op: name, args }
            }
        })
    }

    /// A WKT geometry whose type word was just read: up to its closing parenthesis (or EMPTY).
    fn wkt(&mut self, kind: &str) -> Parsed<Expr> {
        let begin = self.start;
        let bytes = self.src.as_bytes();
        let mut i = self.pos;
        let mut depth = 0usize;
        let end = loop {
            match bytes.get(i) {
                None => {
                    let at = self.at(begin);
                    return Err(text!(
                        "the {} at character {} is not closed", kind, at;
                        "le {} du caractère {} n'est pas fermé", kind, at));
                }
                Some(b'(') => depth += 1,
                Some(b')') if depth == 1 => break i + 1,
                Some(b')') if depth == 0 => break i,
                Some(b')') => depth -= 1,
                Some(b',') if depth == 0 => break i,
                _ => {}
            }
            i += 1;
            if depth == 0
                && self
                    .src
                    .get(self.pos..i)
                    .is_some_and(|s| s.trim().eq_ignore_ascii_case("EMPTY"))
            {
                break i;
            }
        };
        let raw = &self.src[begin..end];
        self.pos = end;
        self.bump()?;
        let parsed = raw.parse::<wkt::Wkt<f64>>().map_err(|e| {
            text!(
                "'{}' is not a WKT geometry: {}", raw, e;
                "« {} » n'est pas une géométrie WKT : {}", raw, e)
        })?;
        let shape = geo::Geometry::<f64>::try_from(parsed).map_err(|e| {
            text!(
                "'{}' cannot be used as a geometry: {}", raw, e;
                "« {} » n'est pas utilisable comme géométrie : {}", raw, e)
        })?;
        geometry(shape)
    }
}

fn joined(name: &str, mut parts: Vec<Expr>) -> Expr {
    if parts.len() == 1 {
        parts.pop().unwrap_or(Expr::Bool(true))
    } else {
        op(name, parts)
    }
}

// ---------------------------------------------------------------------------------------------
// CQL2 JSON

/// Reads a filter in CQL2 JSON.
pub fn parse_json(raw: &str) -> Parsed<Expr> {
    let value: Value = serde_json::from_str(raw)
        .map_err(|e| text!("this is not JSON: {}", e; "ce n'est pas du JSON : {}", e))?;
    json(&value, 0)
}

fn json_text<'v>(value: &'v Value, key: &str) -> Parsed<&'v str> {
    value.as_str().ok_or_else(|| {
        text!(
            "\"{}\" takes a text", key;
            "« {} » prend un texte", key)
    })
}

fn json_list(value: &Value, key: &str, depth: usize) -> Parsed<Vec<Expr>> {
    let items = value.as_array().ok_or_else(|| {
        text!(
            "\"{}\" takes a list", key;
            "« {} » prend une liste", key)
    })?;
    items.iter().map(|item| json(item, depth + 1)).collect()
}

fn json(value: &Value, depth: usize) -> Parsed<Expr> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(match value {
        Value::Null => {
            return Err(text!(
                "null is not a CQL2 value (test a property with isNull)";
                "null n'est pas une valeur CQL2 (testez une propriété avec isNull)"));
        }
        Value::Bool(b) => Expr::Bool(*b),
        Value::Number(n) => Expr::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Expr::Text(s.clone()),
        Value::Array(_) => Expr::Array(json_list(value, "args", depth)?),
        Value::Object(object) => {
            if let Some(name) = object.get("op") {
                let name = canonical(json_text(name, "op")?);
                // The list of arguments is a level of its own, as in the JSON.
                let args = match object.get("args") {
                    Some(args) => json_list(args, "args", depth + 1)?,
                    None => Vec::new(),
                };
                Expr::Op { op: name, args }
            } else if let Some(name) = object.get("property") {
                Expr::Property(json_text(name, "property")?.to_string())
            } else if let Some(instant) = object.get("timestamp") {
                Expr::Timestamp(json_text(instant, "timestamp")?.to_string())
            } else if let Some(day) = object.get("date") {
                Expr::Date(json_text(day, "date")?.to_string())
            } else if let Some(bounds) = object.get("interval") {
                Expr::Interval(json_list(bounds, "interval", depth)?)
            } else if let Some(numbers) = object.get("bbox") {
                Expr::BBox(json_list(numbers, "bbox", depth)?)
            } else if object.contains_key("type") {
                let shape = serde_json::from_value::<geojson::Geometry>(value.clone())
                    .map_err(|e| {
                        text!(
                            "this is not a GeoJSON geometry: {}", e;
                            "ce n'est pas une géométrie GeoJSON : {}", e)
                    })
                    .and_then(|g| {
                        geo::Geometry::<f64>::try_from(g).map_err(|e| {
                            text!(
                                "this GeoJSON geometry cannot be used: {}", e;
                                "cette géométrie GeoJSON n'est pas utilisable : {}", e)
                        })
                    })?;
                geometry(shape)?
            } else {
                return Err(text!(
                    "a CQL2 JSON object has \"op\" and \"args\", \"property\", \"timestamp\", \"date\", \"interval\", \"bbox\" or is a GeoJSON geometry";
                    "un objet CQL2 JSON a « op » et « args », « property », « timestamp », « date », « interval », « bbox » ou est une géométrie GeoJSON"));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(raw: &str) -> Expr {
        parse_text(raw).unwrap_or_else(|e| panic!("{raw}: {}", e.en))
    }

    fn both(raw: &str, json: Value) {
        let from_json =
            parse_json(&json.to_string()).unwrap_or_else(|e| panic!("{json}: {}", e.en));
        assert_eq!(text(raw), from_json, "{raw}");
    }

    fn p(name: &str) -> Expr {
        Expr::Property(name.into())
    }

    fn t(value: &str) -> Expr {
        Expr::Text(value.into())
    }

    #[test]
    fn both_encodings_read_the_same_tree() {
        both(
            "city = 'Lyon' AND NOT status IN ('inactive', 'closed')",
            json!({"op": "and", "args": [
                {"op": "=", "args": [{"property": "city"}, "Lyon"]},
                {"op": "not", "args": [{"op": "in", "args": [{"property": "status"}, ["inactive", "closed"]]}]},
            ]}),
        );
        both(
            "CASEI(name) LIKE casei('Repair%') or wheelchair is null",
            json!({"op": "or", "args": [
                {"op": "like", "args": [{"op": "casei", "args": [{"property": "name"}]}, {"op": "casei", "args": ["Repair%"]}]},
                {"op": "isNull", "args": [{"property": "wheelchair"}]},
            ]}),
        );
        both(
            "T_DURING(updated_at, INTERVAL('2000-01-01T00:00:00Z', '..'))",
            json!({"op": "t_during", "args": [{"property": "updated_at"}, {"interval": ["2000-01-01T00:00:00Z", ".."]}]}),
        );
        both(
            "updated_at >= DATE('2026-01-31') AND created_at < TIMESTAMP('2026-01-31T12:00:00Z')",
            json!({"op": "and", "args": [
                {"op": ">=", "args": [{"property": "updated_at"}, {"date": "2026-01-31"}]},
                {"op": "<", "args": [{"property": "created_at"}, {"timestamp": "2026-01-31T12:00:00Z"}]},
            ]}),
        );
        both(
            "A_CONTAINEDBY(categories, ('repair-cafe'))",
            json!({"op": "a_containedBy", "args": [{"property": "categories"}, ["repair-cafe"]]}),
        );
        both(
            "S_INTERSECTS(geometry, POINT(2.35 48.85))",
            json!({"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [2.35, 48.85]}]}),
        );
        both(
            "S_WITHIN(geometry, BBOX(-5, 43, 6.5, 51))",
            json!({"op": "s_within", "args": [{"property": "geometry"}, {"bbox": [-5, 43, 6.5, 51]}]}),
        );
    }

    #[test]
    fn negated_predicates_and_precedence() {
        assert_eq!(
            text("name NOT LIKE 'A%' OR x NOT BETWEEN 1 AND 2 AND y IS NOT NULL"),
            op(
                "or",
                vec![
                    op("not", vec![op("like", vec![p("name"), t("A%")])]),
                    op(
                        "and",
                        vec![
                            op(
                                "not",
                                vec![op(
                                    "between",
                                    vec![p("x"), Expr::Number(1.0), Expr::Number(2.0)]
                                )]
                            ),
                            op("not", vec![op("isNull", vec![p("y")])]),
                        ]
                    ),
                ]
            )
        );
        assert_eq!(
            text("(a = 1 OR b = 2) AND TRUE"),
            op(
                "and",
                vec![
                    op(
                        "or",
                        vec![
                            op("=", vec![p("a"), Expr::Number(1.0)]),
                            op("=", vec![p("b"), Expr::Number(2.0)]),
                        ]
                    ),
                    Expr::Bool(true),
                ]
            )
        );
        assert_eq!(
            text("x = 1 + 2 * -3"),
            op(
                "=",
                vec![
                    p("x"),
                    op(
                        "+",
                        vec![
                            Expr::Number(1.0),
                            op("*", vec![Expr::Number(2.0), Expr::Number(-3.0)])
                        ]
                    )
                ]
            )
        );
    }

    #[test]
    fn texts_names_and_numbers() {
        assert_eq!(
            text(r#""opening hours" = 'l''atelier' AND n <> 1.5e2"#),
            op(
                "and",
                vec![
                    op("=", vec![p("opening hours"), t("l'atelier")]),
                    op("<>", vec![p("n"), Expr::Number(150.0)]),
                ]
            )
        );
        assert_eq!(
            text(r"city = 'Saint-Martin-d\'Hères'"),
            op("=", vec![p("city"), t("Saint-Martin-d'Hères")])
        );
        // A value is only ever a value, however it is quoted.
        assert_eq!(
            text("city = 'Lyon'' OR ''1''=''1'"),
            op("=", vec![p("city"), t("Lyon' OR '1'='1")])
        );
    }

    #[test]
    fn geometries_are_checked_and_written_back() {
        let Expr::Op { args, .. } = text(
            "S_INTERSECTS(geometry, polygon ((4.8 45.7, 4.9 45.7, 4.9 45.8, 4.8 45.8, 4.8 45.7)))",
        ) else {
            panic!("not an operation")
        };
        assert_eq!(
            args[1],
            Expr::Geometry("POLYGON((4.8 45.7,4.9 45.7,4.9 45.8,4.8 45.8,4.8 45.7))".into())
        );
        let Expr::Op { args, .. } = text(
            "S_INTERSECTS(MULTIPOINT((1 2), (3 4)), geometry) AND S_DISJOINT(geometry, LINESTRING(0 0, 1 1))",
        ) else {
            panic!("not an operation")
        };
        assert!(
            matches!(&args[0], Expr::Op { args, .. } if args[0] == Expr::Geometry("MULTIPOINT((1 2),(3 4))".into()))
        );
        for bad in [
            "S_INTERSECTS(geometry, POINT(1))",
            "S_INTERSECTS(geometry, POINT(1 2)",
            "S_INTERSECTS(geometry, POLYGON((0 0, 1 1)))",
            "S_INTERSECTS(geometry, LINESTRING(0 0))",
            "S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 2), POLYGON((0 0, 1 1, 0 0))))",
        ] {
            assert!(parse_text(bad).is_err(), "{bad}");
        }
        assert!(
            parse_text("S_INTERSECTS(geometry, POINT(1e400 2))")
                .unwrap_err()
                .en
                .contains("finite")
        );
        assert!(parse_text("S_INTERSECTS(geometry, POINT(é 2))").is_err());
        assert!(parse_json(r#"{"type": "Point", "coordinates": "x"}"#).is_err());
    }

    /// Whatever a visitor types, the parser answers (a tree or an error) and never panics.
    #[test]
    fn any_input_gets_an_answer() {
        const PIECES: &[&str] = &[
            "(",
            ")",
            "'",
            "\"",
            "\\",
            "é",
            "€",
            " ",
            ",",
            "1",
            ".",
            "e",
            "-",
            "+",
            "=",
            "<",
            ">",
            "x",
            "AND",
            "NOT",
            "OR",
            "IN",
            "LIKE",
            "BETWEEN",
            "IS",
            "NULL",
            "POINT",
            "POLYGON",
            "EMPTY",
            "BBOX",
            "DATE",
            "INTERVAL",
            "TIMESTAMP",
            "A_CONTAINS",
            "CASEI",
            "^",
            "DIV",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n
        };
        for _ in 0..20_000 {
            let len = next(16);
            let raw: String = (0..len).map(|_| PIECES[next(PIECES.len())]).collect();
            let _ = parse_text(&raw);
            let _ = parse_json(&raw);
        }
    }

    #[test]
    fn mistakes_say_where_and_what_was_expected() {
        let error = |raw: &str| parse_text(raw).unwrap_err().en;
        assert_eq!(
            error("city = "),
            "expected a value, a property or '(' at the end of the filter"
        );
        assert_eq!(
            error("city = 'Lyon' 'x'"),
            "expected the end of the filter at character 15, found 'x'"
        );
        assert_eq!(
            error("name LIKE"),
            "expected a value, a property or '(' at the end of the filter"
        );
        assert_eq!(
            error("city = 'Lyon"),
            "the quote ' opened at character 8 is not closed"
        );
        assert_eq!(
            error("city == 'x'"),
            "expected a value, a property or '(' at character 7, found ="
        );
        assert_eq!(
            error("x NOT = 1"),
            "expected LIKE, BETWEEN or IN at character 7, found ="
        );
        assert_eq!(
            error("x BETWEEN 1 OR 2"),
            "expected AND at character 13, found OR"
        );
        assert_eq!(
            error("city ! 'x'"),
            "unexpected character '!' at character 6"
        );
        assert_eq!(
            parse_text("city == 'x'").unwrap_err().fr,
            "au caractère 7, attendu : une valeur, une propriété ou « ( » ; trouvé : ="
        );
        assert!(error("T_AFTER(updated_at, TIMESTAMP(2026))").contains("quoted text"));
        let deep = format!("{}x = 1{}", "(".repeat(200), ")".repeat(200));
        assert!(error(&deep).contains("more than 64 levels"));
        let negations = format!("{}x = 1", "NOT ".repeat(200));
        assert!(error(&negations).contains("more than 64 levels"));
        let signs = format!("x = {}1", "-".repeat(200));
        assert!(error(&signs).contains("more than 64 levels"));

        let json_error = |raw: &str| parse_json(raw).unwrap_err().en;
        assert!(json_error("{").contains("not JSON"));
        assert!(json_error("null").contains("isNull"));
        assert!(json_error(r#"{"op": 1}"#).contains("\"op\" takes a text"));
        assert!(json_error(r#"{"colour": "red"}"#).contains("\"property\""));
        let mut deep = json!({"property": "x"});
        for _ in 0..62 {
            deep = json!({"op": "not", "args": [deep]});
        }
        assert!(json_error(&deep.to_string()).contains("more than 64 levels"));
    }
}
