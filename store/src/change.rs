//! The public change feed: what happened to the published set, in commit order, which never
//! changes once read (see the `changes` migration). Each page is serialised by PostgreSQL, like the
//! listings: the server passes the bytes through.

use crate::error::StoreResult;
use crate::statement::Statement;
use base64::Engine;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

/// A position in the feed: after change `id` of batch `seq` (a committed transaction); the start
/// is `(0, 0)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    seq: i64,
    id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}.{}", self.seq, self.id))
    }

    /// `None` unless `raw` is a cursor of [`Cursor::encode`].
    pub fn decode(raw: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (seq, id) = text.split_once('.')?;
        let (seq, id) = (seq.parse::<i64>().ok()?, id.parse::<i64>().ok()?);
        (seq >= 0 && id >= 0).then_some(Self { seq, id })
    }
}

/// One page of changes, as JSON objects joined by commas, and where the next page starts.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: String,
    pub returned: i64,
    pub next: Cursor,
}

#[derive(QueryableByName)]
struct PageRow {
    #[diesel(sql_type = Text)]
    items: String,
    #[diesel(sql_type = BigInt)]
    returned: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    last_seq: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    last_id: Option<i64>,
}

/// The statement of [`page`].
pub fn statement(after: Cursor, limit: i64) -> Statement<'static> {
    // A change's Feature is the initiative's current one while it is published (a later change
    // says when it stopped being): nothing unpublished is ever shown.
    Statement::new(
        "SELECT coalesce(string_agg(
                '{\"id\":\"' || c.initiative_id || '\",\"change\":\"' || c.change || '\",\"at\":'
                || archipel_json(c.at)
                || coalesce(',\"merged_into\":\"' || c.merged_into || '\"', '')
                || CASE WHEN c.change IN ('created', 'updated')
                        THEN ',\"feature\":' || coalesce(i.feature, 'null') ELSE '' END
                || CASE WHEN c.change IN ('linked', 'unlinked')
                        THEN ',\"link\":' || json_build_object('id', l.id, 'from', l.from_id, 'to', l.to_id,
                             'kind', l.kind, 'note', l.note, 'since', l.since, 'until', l.until)::text
                        ELSE '' END
                || '}', ',' ORDER BY c.seq, c.id), '') AS items,
            count(*) AS returned,
            (array_agg(c.seq ORDER BY c.seq DESC, c.id DESC))[1] AS last_seq,
            (array_agg(c.id ORDER BY c.seq DESC, c.id DESC))[1] AS last_id
         FROM (SELECT b.seq, ch.* FROM change_batches b JOIN changes ch ON ch.xid = b.xid
               WHERE b.seq >= ",
    )
    .bind::<BigInt, _>(after.seq)
    .sql(" AND (b.seq > ")
    .bind::<BigInt, _>(after.seq)
    .sql(" OR ch.id > ")
    .bind::<BigInt, _>(after.id)
    .sql(") ORDER BY b.seq, ch.id LIMIT ")
    .bind::<BigInt, _>(limit.clamp(1, MAX_LIMIT))
    .sql(
        ") AS c LEFT JOIN initiatives i ON i.id = c.initiative_id AND i.moderation = 'published' \
         LEFT JOIN initiative_links l ON l.id = c.link_id",
    )
}

/// The changes after `after`, at most `limit`; `next` is where to continue (the same position
/// when there is nothing new yet).
pub fn page(conn: &mut PgConnection, after: Cursor, limit: i64) -> StoreResult<Page> {
    let row: PageRow = statement(after, limit).get_result(conn)?;
    let next = match (row.last_seq, row.last_id) {
        (Some(seq), Some(id)) => Cursor { seq, id },
        _ => after,
    };
    Ok(Page {
        items: row.items,
        returned: row.returned,
        next,
    })
}
