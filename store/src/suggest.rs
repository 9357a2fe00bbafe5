//! Search as you type: the few published initiatives to suggest for what has been typed so far,
//! in tens of milliseconds however many initiatives there are.
//!
//! Ranking every match (as the listing's `q` does) costs in proportion to the matches, and a
//! three-letter prefix matches a quarter of a directory. Suggestions instead take, in order and
//! stopping as soon as there are enough: the names that start with the text (a range of an
//! index on the normalised name, read in order), then the names with a word that starts with it
//! (the names' trigram index), then the initiatives whose description, city or tags match (the
//! full-text index). Each step runs only if the previous ones found too few and leaves out what
//! they found; no statement ranks more than it returns, and each reads its own index.

use crate::error::StoreResult;
use crate::initiative::Representation;
use crate::statement::Statement;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Uuid as SqlUuid};
use uuid::Uuid;

/// The most suggestions one request may ask for.
pub const MAX_LIMIT: i64 = 20;

/// What was typed, normalised for matching: lower-case letters and digits, one space between
/// words (accents are removed by the database, as in the index). `None` when nothing is left.
pub fn normalise(typed: &str) -> Option<String> {
    let kept: String = typed
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .to_lowercase();
    let words: Vec<&str> = kept.split_whitespace().collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    items: String,
    #[diesel(sql_type = BigInt)]
    returned: i64,
}

const NAME: &str = "(archipel_unaccent(lower(i.name)) COLLATE \"C\")";

fn push_prefix(st: &mut Statement<'static>, typed: &str) {
    st.push_sql(NAME);
    st.push_sql(" LIKE (archipel_unaccent(");
    st.push_bind::<Text, _>(typed.to_string());
    st.push_sql(") || '%')");
}

fn push_word_start(st: &mut Statement<'static>, typed: &str) {
    st.push_sql("archipel_unaccent(lower(i.name)) ~ ('(^|[^[:alnum:]])' || archipel_unaccent(");
    st.push_bind::<Text, _>(typed.to_string());
    st.push_sql("))");
}

/// The statement of one step: at most `limit` ids.
pub fn step(step: u8, typed: &str, limit: i64) -> Statement<'static> {
    let mut st =
        Statement::new("SELECT i.id FROM initiatives i WHERE i.moderation = 'published' AND ");
    match step {
        // Names that start with the text, in order: a range of the prefix index.
        1 => {
            push_prefix(&mut st, typed);
            st.push_sql(" ORDER BY ");
            st.push_sql(NAME);
        }
        // Names with a word that starts with it: the names' trigram index.
        2 => {
            push_word_start(&mut st, typed);
            st.push_sql(" AND NOT ");
            push_prefix(&mut st, typed);
        }
        // Descriptions, cities, tags: the full-text index.
        _ => {
            // A sub-select, computed once (see `listing::statement`).
            st.push_sql("i.search @@ (SELECT archipel_search_query(");
            st.push_bind::<Array<Text>, _>(
                typed.split(' ').map(str::to_string).collect::<Vec<_>>(),
            );
            st.push_sql(")) AND NOT ");
            push_word_start(&mut st, typed);
        }
    }
    st.push_sql(" LIMIT ");
    st.push_bind::<BigInt, _>(limit);
    st
}

/// The suggestions for `typed` (already [`normalise`]d), serialised as `repr` and joined by
/// commas, with their number.
pub fn suggest(
    conn: &mut PgConnection,
    typed: &str,
    limit: i64,
    repr: Representation,
) -> StoreResult<(String, i64)> {
    let limit = limit.clamp(1, MAX_LIMIT);
    let mut ids: Vec<Uuid> = Vec::new();
    conn.transaction(|conn| {
        // Below three letters a word inside a name cannot be looked up by trigrams: only the
        // names that start with the text.
        let steps = if typed.chars().filter(|c| c.is_alphanumeric()).count() < 3 {
            1
        } else {
            3
        };
        for n in 1..=steps {
            let wanted = limit - ids.len() as i64;
            if wanted <= 0 {
                break;
            }
            // Each step stops after a few rows, so the planner, expecting matches everywhere,
            // would rather walk the table (or an unrelated index) than search its own index;
            // for a rare text that walk reads every row. The indexes answer in time
            // proportional to the matches, whatever they are.
            if n > 1 {
                diesel::sql_query("SET LOCAL enable_seqscan = off").execute(conn)?;
                diesel::sql_query("SET LOCAL enable_indexscan = off").execute(conn)?;
            }
            let found: Vec<Found> = step(n, typed, wanted).load(conn)?;
            ids.extend(found.into_iter().map(|f| f.id));
        }
        let mut st = Statement::new("SELECT coalesce(string_agg(");
        st.push_sql(repr.sql());
        st.push_sql(", ',' ORDER BY u.n), '') AS items, count(*) AS returned FROM unnest(");
        st.push_bind::<Array<SqlUuid>, _>(ids.clone());
        st.push_sql(") WITH ORDINALITY AS u(id, n) JOIN initiatives i ON i.id = u.id");
        let row: Row = st.get_result(conn)?;
        Ok((row.items, row.returned))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_is_normalised_to_words() {
        assert_eq!(normalise("  Répa "), Some("répa".into()));
        assert_eq!(
            normalise("l'atelier-vélo 50%"),
            Some("l atelier vélo 50".into())
        );
        assert_eq!(normalise(".*[("), None);
    }
}
