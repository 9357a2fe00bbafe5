//! Learning that the map changed, and where: the migrations' triggers send `NOTIFY archipel_map`
//! (delivered at commit) whenever `map_points` or `categories` change, with the changed points
//! (or the box around them) in Web Mercator metres as payload (migration 70); a
//! [`ChangeListener`] receives them on a connection of its own.

use crate::error::StoreResult;
use diesel::{PgConnection, RunQueryDsl};

/// The channel the triggers notify.
pub const CHANNEL: &str = "archipel_map";

/// A connection listening on [`CHANNEL`].
pub struct ChangeListener {
    conn: PgConnection,
}

impl ChangeListener {
    /// Connects and starts listening: changes committed from now on are received.
    pub fn connect(database_url: &str) -> StoreResult<Self> {
        let mut conn = crate::db::connect(database_url)?;
        diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn)?;
        Ok(Self { conn })
    }

    /// The changes that arrived since the last call (without waiting).
    pub fn changes(&mut self) -> StoreResult<Vec<MapChange>> {
        let mut changes = Vec::new();
        for notification in self.conn.notifications_iter() {
            changes.push(MapChange::parse(&notification?.payload));
        }
        Ok(changes)
    }

    /// The primary's current log position (to wait for a replica to show what was notified).
    pub fn current_lsn(&mut self) -> StoreResult<String> {
        crate::db::current_lsn(&mut self.conn)
    }

    /// Fails when the server went away (reading notifications alone does not notice it).
    pub fn check(&mut self) -> StoreResult<()> {
        crate::db::ping(&mut self.conn)
    }
}

/// Where the map changed, in Web Mercator metres.
#[derive(Debug, Clone, PartialEq)]
pub enum MapChange {
    /// Anything may have changed (categories, a truncation, or a payload not understood).
    All,
    /// These points were added, removed, moved (old and new positions) or changed.
    Points(Vec<[f64; 2]>),
    /// Something changed inside this box: `[xmin, ymin, xmax, ymax]`.
    Area([f64; 4]),
}

impl MapChange {
    pub fn parse(payload: &str) -> Self {
        let numbers = |raw: &str| -> Option<Vec<f64>> {
            raw.split_whitespace()
                .map(|n| n.parse::<f64>().ok())
                .collect()
        };
        if let Some(points) = payload.strip_prefix("p:") {
            let parsed: Option<Vec<[f64; 2]>> = points
                .split(',')
                .map(|p| match numbers(p)?.as_slice() {
                    &[x, y] => Some([x, y]),
                    _ => None,
                })
                .collect();
            if let Some(points) = parsed {
                return MapChange::Points(points);
            }
        } else if let Some(area) = payload.strip_prefix("b:")
            && let Some(&[a, b, c, d]) = numbers(area).as_deref()
        {
            return MapChange::Area([a, b, c, d]);
        }
        MapChange::All
    }

    /// Whether the change touches the box `[xmin, ymin, xmax, ymax]`.
    pub fn touches(&self, bounds: [f64; 4]) -> bool {
        let [xmin, ymin, xmax, ymax] = bounds;
        match self {
            MapChange::All => true,
            MapChange::Points(points) => points
                .iter()
                .any(|[x, y]| (xmin..=xmax).contains(x) && (ymin..=ymax).contains(y)),
            MapChange::Area([a, b, c, d]) => *a <= xmax && *c >= xmin && *b <= ymax && *d >= ymin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_points_boxes_or_everything() {
        assert_eq!(
            MapChange::parse("p:1 2,-3 4"),
            MapChange::Points(vec![[1.0, 2.0], [-3.0, 4.0]])
        );
        assert_eq!(
            MapChange::parse("b:0 1 2 3"),
            MapChange::Area([0.0, 1.0, 2.0, 3.0])
        );
        assert_eq!(MapChange::parse("*"), MapChange::All);
        assert_eq!(MapChange::parse(""), MapChange::All);
        assert_eq!(MapChange::parse("p:1 x"), MapChange::All);
        assert!(MapChange::Points(vec![[5.0, 5.0]]).touches([0.0, 0.0, 10.0, 10.0]));
        assert!(!MapChange::Points(vec![[15.0, 5.0]]).touches([0.0, 0.0, 10.0, 10.0]));
        assert!(MapChange::Area([9.0, 9.0, 20.0, 20.0]).touches([0.0, 0.0, 10.0, 10.0]));
    }
}
