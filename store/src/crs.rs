//! Coordinate reference systems a client may ask for (OGC API – Features Part 2): features are
//! stored in CRS84 (WGS 84, longitude then latitude) and PostGIS transforms them on the way out.
//! GIS staff in France work in Lambert-93 (EPSG:2154); web maps in Web Mercator (EPSG:3857).

use crate::error::StoreResult;
use crate::listing::Bbox;
use diesel::prelude::*;
use diesel::sql_types::{Double, Integer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    /// WGS 84, longitude then latitude: what is stored, and GeoJSON's own.
    Crs84,
    /// WGS 84 with the authority's axis order: latitude then longitude.
    Epsg4326,
    /// Web Mercator, metres.
    Epsg3857,
    /// RGF93 / Lambert-93, metres: the French official projection.
    Epsg2154,
}

impl Crs {
    pub const ALL: [Crs; 4] = [Crs::Crs84, Crs::Epsg4326, Crs::Epsg3857, Crs::Epsg2154];

    pub fn uri(self) -> &'static str {
        match self {
            Crs::Crs84 => "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            Crs::Epsg4326 => "http://www.opengis.net/def/crs/EPSG/0/4326",
            Crs::Epsg3857 => "http://www.opengis.net/def/crs/EPSG/0/3857",
            Crs::Epsg2154 => "http://www.opengis.net/def/crs/EPSG/0/2154",
        }
    }

    /// From its URI (also `https://`) or its safe CURIE (`[EPSG:2154]`, `EPSG:2154`).
    pub fn parse(raw: &str) -> Option<Crs> {
        let raw = raw.trim();
        let raw = raw
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(raw);
        let raw = raw.replacen("https://", "http://", 1);
        Crs::ALL.into_iter().find(|crs| {
            let uri = crs.uri();
            let curie = match crs {
                Crs::Crs84 => "OGC:CRS84".to_string(),
                other => format!("EPSG:{}", other.srid()),
            };
            raw == uri || raw.eq_ignore_ascii_case(&curie)
        })
    }

    pub fn srid(self) -> i32 {
        match self {
            Crs::Crs84 | Crs::Epsg4326 => 4326,
            Crs::Epsg3857 => 3857,
            Crs::Epsg2154 => 2154,
        }
    }

    /// The stored Feature (`i.feature`) with its geometry written in this CRS.
    pub fn feature_sql(self) -> &'static str {
        macro_rules! with_geometry {
            ($geometry:literal) => {
                concat!(
                    "('{\"type\":\"Feature\",\"id\":\"' || i.id || '\",\"geometry\":' || ",
                    $geometry,
                    " || substr(i.feature, strpos(i.feature, ',\"properties\":')))"
                )
            };
        }
        match self {
            Crs::Crs84 => "i.feature",
            Crs::Epsg4326 => {
                with_geometry!("ST_AsGeoJSON(ST_FlipCoordinates(ST_ForcePolygonCCW(i.geom)), 6, 0)")
            }
            Crs::Epsg3857 => with_geometry!("ST_AsGeoJSON(ST_Transform(i.geom, 3857), 2, 0)"),
            Crs::Epsg2154 => with_geometry!("ST_AsGeoJSON(ST_Transform(i.geom, 2154), 2, 0)"),
        }
    }
}

#[derive(QueryableByName)]
struct BoxRow {
    #[diesel(sql_type = Double)]
    min_lon: f64,
    #[diesel(sql_type = Double)]
    min_lat: f64,
    #[diesel(sql_type = Double)]
    max_lon: f64,
    #[diesel(sql_type = Double)]
    max_lat: f64,
}

/// A box given in `crs` (its four numbers in that CRS's axis order), as longitude/latitude: the
/// smallest CRS84 box around it, its edges densified so that curved images are covered.
pub fn bbox_to_crs84(conn: &mut PgConnection, corners: [f64; 4], crs: Crs) -> StoreResult<Bbox> {
    let [a, b, c, d] = corners;
    match crs {
        Crs::Crs84 => {
            return Ok(Bbox {
                min_lon: a,
                min_lat: b,
                max_lon: c,
                max_lat: d,
            });
        }
        Crs::Epsg4326 => {
            return Ok(Bbox {
                min_lon: b,
                min_lat: a,
                max_lon: d,
                max_lat: c,
            });
        }
        _ => {}
    }
    let row: BoxRow = diesel::sql_query(
        "SELECT ST_XMin(b) AS min_lon, ST_YMin(b) AS min_lat, ST_XMax(b) AS max_lon, ST_YMax(b) AS max_lat
         FROM (SELECT ST_Transform(ST_Segmentize(ST_MakeEnvelope($1, $2, $3, $4, $5),
                                                 greatest(($3 - $1), ($4 - $2)) / 32), 4326)::box2d AS b) AS t",
    )
    .bind::<Double, _>(a)
    .bind::<Double, _>(b)
    .bind::<Double, _>(c)
    .bind::<Double, _>(d)
    .bind::<Integer, _>(crs.srid())
    .get_result(conn)?;
    Ok(Bbox {
        min_lon: row.min_lon.max(-180.0),
        min_lat: row.min_lat.max(-90.0),
        max_lon: row.max_lon.min(180.0),
        max_lat: row.max_lat.min(90.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_curies_name_the_same_crs() {
        assert_eq!(
            Crs::parse("http://www.opengis.net/def/crs/EPSG/0/2154"),
            Some(Crs::Epsg2154)
        );
        assert_eq!(Crs::parse("[EPSG:3857]"), Some(Crs::Epsg3857));
        assert_eq!(
            Crs::parse("https://www.opengis.net/def/crs/OGC/1.3/CRS84"),
            Some(Crs::Crs84)
        );
        assert_eq!(
            Crs::parse("http://www.opengis.net/def/crs/EPSG/0/27572"),
            None
        );
    }

    #[test]
    fn a_transformed_feature_keeps_the_stored_properties() {
        let sql = Crs::Epsg2154.feature_sql();
        assert!(
            sql.contains("ST_Transform(i.geom, 2154)") && sql.ends_with("',\"properties\":')))"),
            "{sql}"
        );
    }
}
