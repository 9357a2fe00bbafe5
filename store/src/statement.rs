//! Hand-written SQL with bound parameters that diesel keeps as prepared statements.
//!
//! `diesel::sql_query` marks every query "unsafe to cache", so PostgreSQL would parse and plan it
//! on each call. The SQL assembled here comes from a bounded set of fragments (never from values:
//! values are always bound), so it is safe to cache by its text, and hot read paths skip planning.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::{QueryResult, RunQueryDsl};
use std::borrow::Cow;
use std::marker::PhantomData;

enum Part<'a> {
    Sql(Cow<'static, str>),
    Bind(Box<dyn BindValue + 'a>),
}

/// A bound value: sent as a parameter, or written as an SQL literal (for `EXPLAIN`, `pgbench`
/// and the benchmarks, never to run user input).
trait BindValue: QueryFragment<Pg> + Send {
    fn literal(&self) -> String;
}

/// Values that can be written as SQL literals of their type.
pub trait Literal {
    fn literal(&self) -> String;
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl Literal for f64 {
    fn literal(&self) -> String {
        format!("{self:?}::float8")
    }
}
impl Literal for i64 {
    fn literal(&self) -> String {
        format!("{self}::int8")
    }
}
impl Literal for i32 {
    fn literal(&self) -> String {
        format!("{self}::int4")
    }
}
impl Literal for bool {
    fn literal(&self) -> String {
        self.to_string()
    }
}
impl Literal for String {
    fn literal(&self) -> String {
        format!("{}::text", quoted(self))
    }
}
impl Literal for &str {
    fn literal(&self) -> String {
        format!("{}::text", quoted(self))
    }
}
impl Literal for uuid::Uuid {
    fn literal(&self) -> String {
        format!("'{self}'::uuid")
    }
}
impl Literal for chrono::DateTime<chrono::Utc> {
    fn literal(&self) -> String {
        format!("'{}'::timestamptz", self.to_rfc3339())
    }
}
impl Literal for serde_json::Value {
    fn literal(&self) -> String {
        format!("{}::jsonb", quoted(&self.to_string()))
    }
}
impl Literal for chrono::NaiveDate {
    fn literal(&self) -> String {
        format!("'{self}'::date")
    }
}
impl Literal for Vec<String> {
    fn literal(&self) -> String {
        let items: Vec<String> = self.iter().map(|s| quoted(s)).collect();
        format!("ARRAY[{}]::text[]", items.join(","))
    }
}
impl Literal for Vec<uuid::Uuid> {
    fn literal(&self) -> String {
        let items: Vec<String> = self.iter().map(|u| format!("'{u}'")).collect();
        format!("ARRAY[{}]::uuid[]", items.join(","))
    }
}
impl Literal for Vec<i32> {
    fn literal(&self) -> String {
        let items: Vec<String> = self.iter().map(ToString::to_string).collect();
        format!("ARRAY[{}]::int4[]", items.join(","))
    }
}
impl<T: Literal> Literal for Option<T> {
    fn literal(&self) -> String {
        self.as_ref()
            .map_or_else(|| "NULL".to_string(), Literal::literal)
    }
}

/// A statement built from SQL fragments and bound values.
pub struct Statement<'a> {
    parts: Vec<Part<'a>>,
    /// Planned again for its values at every run (see [`Statement::planned_per_run`]).
    per_run: bool,
}

struct Bind<ST, V> {
    value: V,
    sql_type: PhantomData<ST>,
}

impl<ST, V> BindValue for Bind<ST, V>
where
    Pg: HasSqlType<ST>,
    V: ToSql<ST, Pg> + Literal + Send,
    ST: Send,
{
    fn literal(&self) -> String {
        self.value.literal()
    }
}

impl<ST, V> QueryFragment<Pg> for Bind<ST, V>
where
    Pg: HasSqlType<ST>,
    V: ToSql<ST, Pg>,
{
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        pass.push_bind_param::<ST, V>(&self.value)
    }
}

impl<'a> Statement<'a> {
    pub fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        Self {
            parts: vec![Part::Sql(sql.into())],
            per_run: false,
        }
    }

    /// Not kept prepared: PostgreSQL plans it with its values at every run. For statements whose
    /// best plan depends on the values: a prepared statement gets, after five runs, one generic
    /// plan for every value (at 1M, a listing's generic plan settled by small boxes took 0.8-1.2
    /// s for a box of 200k initiatives, whose own plan takes 0.25 ms). Costs a parse and a plan
    /// (well under a millisecond) per run.
    pub fn planned_per_run(mut self) -> Self {
        self.per_run = true;
        self
    }

    /// Appends SQL text. Only ever pass fixed fragments, never values.
    pub fn sql(mut self, sql: impl Into<Cow<'static, str>>) -> Self {
        self.push_sql(sql);
        self
    }

    pub fn push_sql(&mut self, sql: impl Into<Cow<'static, str>>) {
        self.parts.push(Part::Sql(sql.into()));
    }

    /// Appends a `$n` placeholder bound to `value`.
    pub fn bind<ST, V>(mut self, value: V) -> Self
    where
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg> + Literal + Send + 'a,
        ST: Send + 'a,
    {
        self.push_bind::<ST, V>(value);
        self
    }

    pub fn push_bind<ST, V>(&mut self, value: V)
    where
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg> + Literal + Send + 'a,
        ST: Send + 'a,
    {
        self.parts.push(Part::Bind(Box::new(Bind::<ST, V> {
            value,
            sql_type: PhantomData,
        })));
    }
}

impl Statement<'_> {
    /// The statement with its values written in as literals: for `EXPLAIN ANALYZE`, `pgbench`
    /// and the benchmarks.
    pub fn literal_sql(&self) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Sql(sql) => sql.to_string(),
                Part::Bind(bind) => bind.literal(),
            })
            .collect()
    }
}

impl QueryFragment<Pg> for Statement<'_> {
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        if self.per_run {
            pass.unsafe_to_cache_prepared();
        }
        for part in &self.parts {
            match part {
                Part::Sql(sql) => pass.push_sql(sql),
                Part::Bind(bind) => bind.walk_ast(pass.reborrow())?,
            }
        }
        Ok(())
    }
}

impl QueryId for Statement<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Statement<'_> {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Statement<'_> {}
