//! Where an initiative is: a point, or an area (polygon, multipolygon) such as a garden.
//! Inside the program geometry is `geo-types` (x = longitude, y = latitude, WGS 84); it is
//! converted to PostGIS's EWKB at the database edge only.

use crate::error::FieldError;
use crate::text;
use geo::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon, Validation};
use postgis_diesel::types as pg;

/// SRID of WGS 84 longitude/latitude.
pub const WGS84: u32 = 4326;

/// A validated location: a Point, Polygon or MultiPolygon with coordinates in range, closed rings,
/// OGC-valid, and not the (0, 0) "null island" that broken feeds produce.
#[derive(Debug, Clone, PartialEq)]
pub struct Location(Geometry<f64>);

fn geometry_error(field: &str, code: &'static str, message: crate::Text) -> FieldError {
    FieldError::new(field, code, message)
}

fn check_position(field: &str, lon: f64, lat: f64) -> Result<(), FieldError> {
    if !lon.is_finite()
        || !lat.is_finite()
        || !(-180.0..=180.0).contains(&lon)
        || !(-90.0..=90.0).contains(&lat)
    {
        return Err(geometry_error(
            field,
            "out_of_range",
            text!("the position [{}, {}] is outside longitude -180..180 / latitude -90..90 (GeoJSON order is [longitude, latitude])", lon, lat;
                  "la position [{}, {}] sort des bornes longitude -180..180 / latitude -90..90 (l'ordre GeoJSON est [longitude, latitude])", lon, lat),
        ));
    }
    Ok(())
}

impl Location {
    /// From latitude and longitude in degrees.
    pub fn from_lat_lon(field: &str, lat: f64, lon: f64) -> Result<Self, FieldError> {
        Self::from_geometry(field, Geometry::Point(Point::new(lon, lat)))
    }

    /// From a GeoJSON geometry object (RFC 7946).
    pub fn from_geojson(field: &str, value: &serde_json::Value) -> Result<Self, FieldError> {
        let parsed: geojson::Geometry = serde_json::from_value(value.clone()).map_err(|e| {
            geometry_error(
                field,
                "invalid_geometry",
                text!("not a GeoJSON geometry: {}", e; "ce n'est pas une géométrie GeoJSON : {}", e),
            )
        })?;
        match &parsed.value {
            geojson::GeometryValue::Point { coordinates } => {
                if coordinates.as_slice().len() < 2 {
                    return Err(geometry_error(
                        field,
                        "invalid_geometry",
                        text!("a position needs a longitude and a latitude"; "une position demande une longitude et une latitude"),
                    ));
                }
            }
            geojson::GeometryValue::Polygon { coordinates } => check_rings(field, coordinates)?,
            geojson::GeometryValue::MultiPolygon { coordinates } => {
                for polygon in coordinates {
                    check_rings(field, polygon)?;
                }
            }
            _ => {
                return Err(geometry_error(
                    field,
                    "unsupported_geometry",
                    text!("only Point, Polygon and MultiPolygon geometries are accepted"; "seules les géométries Point, Polygon et MultiPolygon sont acceptées"),
                ));
            }
        }
        let geometry = Geometry::<f64>::try_from(&parsed.value).map_err(|e| {
            geometry_error(
                field,
                "invalid_geometry",
                text!("invalid geometry: {}", e; "géométrie invalide : {}", e),
            )
        })?;
        Self::from_geometry(field, geometry)
    }

    /// Checks ranges, null island and OGC validity of a geometry built elsewhere (e.g. a feed).
    pub fn from_geometry(field: &str, geometry: Geometry<f64>) -> Result<Self, FieldError> {
        match &geometry {
            Geometry::Point(p) => {
                check_position(field, p.x(), p.y())?;
                if p.x() == 0.0 && p.y() == 0.0 {
                    return Err(geometry_error(
                        field,
                        "null_island",
                        text!("the position 0,0 is in the Gulf of Guinea: the coordinates are probably missing"; "la position 0,0 est dans le golfe de Guinée : les coordonnées manquent sans doute"),
                    ));
                }
            }
            Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
                if geo::CoordsIter::coords_count(&geometry) == 0 {
                    // PostGIS has no point on an empty area: this was a 500.
                    return Err(geometry_error(
                        field,
                        "empty_geometry",
                        text!("this area has no coordinates: give at least one ring of four positions"; "cette zone n'a pas de coordonnées : donnez au moins un anneau de quatre positions"),
                    ));
                }
                for c in geo::CoordsIter::coords_iter(&geometry) {
                    check_position(field, c.x, c.y)?;
                }
            }
            _ => {
                return Err(geometry_error(
                    field,
                    "unsupported_geometry",
                    text!("only Point, Polygon and MultiPolygon geometries are accepted"; "seules les géométries Point, Polygon et MultiPolygon sont acceptées"),
                ));
            }
        }
        if let Err(problem) = geometry.check_validation() {
            return Err(geometry_error(
                field,
                "invalid_geometry",
                text!("the geometry is not valid: {}", problem; "la géométrie n'est pas valide : {}", problem),
            ));
        }
        Ok(Self(geometry))
    }

    /// Trusts a geometry read back from the database (it was validated when written).
    pub fn from_stored(geometry: Geometry<f64>) -> Self {
        Self(geometry)
    }

    pub fn geometry(&self) -> &Geometry<f64> {
        &self.0
    }

    /// The geometry as extended WKT (`SRID=4326;POINT(1.44 43.6)`), e.g. for COPY.
    pub fn to_ewkt(&self) -> String {
        let mut out = String::from("SRID=4326;");
        write_wkt(&mut out, &self.0);
        out
    }

    /// The geometry as PostGIS EWKB with SRID 4326, ready to bind.
    pub fn to_postgis(&self) -> pg::GeometryContainer<pg::Point> {
        to_postgis(&self.0)
    }
}

fn write_ring(out: &mut String, ring: &LineString<f64>) {
    out.push('(');
    for (i, c) in ring.coords().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // `{}` on f64 prints the shortest text that reads back to the same number.
        out.push_str(&format!("{} {}", c.x, c.y));
    }
    out.push(')');
}

fn write_polygon(out: &mut String, polygon: &Polygon<f64>) {
    out.push('(');
    write_ring(out, polygon.exterior());
    for ring in polygon.interiors() {
        out.push(',');
        write_ring(out, ring);
    }
    out.push(')');
}

fn write_wkt(out: &mut String, geometry: &Geometry<f64>) {
    match geometry {
        Geometry::Point(p) => out.push_str(&format!("POINT({} {})", p.x(), p.y())),
        Geometry::Polygon(p) => {
            out.push_str("POLYGON");
            write_polygon(out, p);
        }
        Geometry::MultiPolygon(mp) => {
            out.push_str("MULTIPOLYGON(");
            for (i, p) in mp.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_polygon(out, p);
            }
            out.push(')');
        }
        // Locations hold nothing else (see `from_geometry`).
        _ => out.push_str("POINT EMPTY"),
    }
}

fn check_rings(field: &str, rings: &[Vec<geojson::Position>]) -> Result<(), FieldError> {
    if rings.is_empty() {
        return Err(geometry_error(
            field,
            "invalid_geometry",
            text!("a polygon needs at least one ring"; "un polygone demande au moins un anneau"),
        ));
    }
    for ring in rings {
        if ring.len() < 4 {
            return Err(geometry_error(
                field,
                "invalid_geometry",
                text!("each polygon ring needs at least 4 positions"; "chaque anneau de polygone demande au moins 4 positions"),
            ));
        }
        if ring.iter().any(|p| p.as_slice().len() < 2) {
            return Err(geometry_error(
                field,
                "invalid_geometry",
                text!("each position needs a longitude and a latitude"; "chaque position demande une longitude et une latitude"),
            ));
        }
        let (first, last) = (ring[0].as_slice(), ring[ring.len() - 1].as_slice());
        if first[0] != last[0] || first[1] != last[1] {
            return Err(geometry_error(
                field,
                "unclosed_ring",
                text!("a polygon ring must end where it starts"; "un anneau de polygone doit finir là où il commence"),
            ));
        }
    }
    Ok(())
}

fn point_to_pg(c: Coord<f64>) -> pg::Point {
    pg::Point {
        x: c.x,
        y: c.y,
        srid: Some(WGS84),
    }
}

fn polygon_to_pg(polygon: &Polygon<f64>) -> pg::Polygon<pg::Point> {
    let rings = std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .map(|ring| ring.coords().copied().map(point_to_pg).collect())
        .collect();
    pg::Polygon {
        rings,
        srid: Some(WGS84),
    }
}

fn to_postgis(geometry: &Geometry<f64>) -> pg::GeometryContainer<pg::Point> {
    match geometry {
        Geometry::Polygon(p) => pg::GeometryContainer::Polygon(polygon_to_pg(p)),
        Geometry::MultiPolygon(mp) => pg::GeometryContainer::MultiPolygon(pg::MultiPolygon {
            polygons: mp.iter().map(polygon_to_pg).collect(),
            srid: Some(WGS84),
        }),
        // Locations only ever hold points and (multi)polygons; take the first coordinate otherwise.
        other => {
            let c = geo::CoordsIter::coords_iter(other)
                .next()
                .unwrap_or(Coord { x: 0.0, y: 0.0 });
            pg::GeometryContainer::Point(point_to_pg(c))
        }
    }
}

fn polygon_from_pg(polygon: &pg::Polygon<pg::Point>) -> Polygon<f64> {
    let mut rings = polygon.rings.iter().map(|ring| {
        LineString::from(
            ring.iter()
                .map(|p| Coord { x: p.x, y: p.y })
                .collect::<Vec<_>>(),
        )
    });
    let exterior = rings.next().unwrap_or_else(|| LineString::new(vec![]));
    Polygon::new(exterior, rings.collect())
}

/// Reads a geometry loaded from PostGIS back into geo-types.
pub fn from_postgis(container: &pg::GeometryContainer<pg::Point>) -> Option<Geometry<f64>> {
    match container {
        pg::GeometryContainer::Point(p) => Some(Geometry::Point(Point::new(p.x, p.y))),
        pg::GeometryContainer::Polygon(p) => Some(Geometry::Polygon(polygon_from_pg(p))),
        pg::GeometryContainer::MultiPolygon(mp) => Some(Geometry::MultiPolygon(MultiPolygon::new(
            mp.polygons.iter().map(polygon_from_pg).collect(),
        ))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_point_in_geojson_order_is_accepted() {
        let loc = Location::from_geojson(
            "/geometry",
            &json!({"type": "Point", "coordinates": [1.44, 43.6]}),
        )
        .unwrap();
        assert_eq!(loc.geometry(), &Geometry::Point(Point::new(1.44, 43.6)));
    }

    #[test]
    fn swapped_or_out_of_range_coordinates_are_refused() {
        let err = Location::from_geojson(
            "/geometry",
            &json!({"type": "Point", "coordinates": [43.6, 191.0]}),
        )
        .unwrap_err();
        assert_eq!(err.code, "out_of_range");
    }

    #[test]
    fn null_island_is_refused() {
        assert_eq!(
            Location::from_lat_lon("/lat", 0.0, 0.0).unwrap_err().code,
            "null_island"
        );
    }

    #[test]
    fn an_unclosed_ring_is_refused() {
        let open = json!({"type": "Polygon", "coordinates": [[[1.0, 43.0], [1.1, 43.0], [1.1, 43.1], [1.0, 43.1]]]});
        assert_eq!(
            Location::from_geojson("/geometry", &open).unwrap_err().code,
            "unclosed_ring"
        );
    }

    #[test]
    fn a_self_intersecting_polygon_is_refused() {
        let bowtie = json!({"type": "Polygon", "coordinates": [[[1.0, 43.0], [1.1, 43.1], [1.1, 43.0], [1.0, 43.1], [1.0, 43.0]]]});
        assert_eq!(
            Location::from_geojson("/geometry", &bowtie)
                .unwrap_err()
                .code,
            "invalid_geometry"
        );
    }

    #[test]
    fn an_empty_area_is_refused() {
        let empty = Location::from_geojson(
            "/geometry",
            &serde_json::json!({"type": "MultiPolygon", "coordinates": []}),
        );
        assert_eq!(empty.unwrap_err().code, "empty_geometry");
    }

    #[test]
    fn lines_are_not_locations() {
        let line = json!({"type": "LineString", "coordinates": [[1.0, 43.0], [1.1, 43.1]]});
        assert_eq!(
            Location::from_geojson("/geometry", &line).unwrap_err().code,
            "unsupported_geometry"
        );
    }

    #[test]
    fn extended_wkt_keeps_every_digit() {
        let loc = Location::from_lat_lon("/lat", 43.61293065618698, 1.408531201426345).unwrap();
        assert_eq!(
            loc.to_ewkt(),
            "SRID=4326;POINT(1.408531201426345 43.61293065618698)"
        );
    }

    #[test]
    fn polygons_survive_the_round_trip_through_postgis_types() {
        let square = json!({"type": "Polygon", "coordinates": [[[1.0, 43.0], [1.1, 43.0], [1.1, 43.1], [1.0, 43.1], [1.0, 43.0]]]});
        let loc = Location::from_geojson("/geometry", &square).unwrap();
        assert_eq!(
            from_postgis(&loc.to_postgis()).as_ref(),
            Some(loc.geometry())
        );
    }
}
