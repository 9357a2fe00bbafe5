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
    Bind(Box<dyn QueryFragment<Pg> + Send + 'a>),
}

/// A statement built from SQL fragments and bound values.
pub struct Statement<'a> {
    parts: Vec<Part<'a>>,
}

struct Bind<ST, V> {
    value: V,
    sql_type: PhantomData<ST>,
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
        }
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
        V: ToSql<ST, Pg> + Send + 'a,
        ST: Send + 'a,
    {
        self.push_bind::<ST, V>(value);
        self
    }

    pub fn push_bind<ST, V>(&mut self, value: V)
    where
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg> + Send + 'a,
        ST: Send + 'a,
    {
        self.parts.push(Part::Bind(Box::new(Bind::<ST, V> {
            value,
            sql_type: PhantomData,
        })));
    }
}

impl QueryFragment<Pg> for Statement<'_> {
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
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
