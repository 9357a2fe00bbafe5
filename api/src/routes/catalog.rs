//! `/catalog`: the DCAT catalogue of the open data, for data.gouv.fr's and other harvesters —
//! Turtle, JSON-LD or RDF/XML by content negotiation (or `/catalog.ttl`, `.jsonld`, `.rdf`).
//!
//! Datasets: every published initiative, and one per family of practices; each with its
//! licence (the strictest its records carry: ODbL as soon as one record is ODbL), its extent,
//! its last change and its distributions (the GeoJSON, GeoJSONSeq and CSV exports, the CSV with
//! its Table Schema, and the API). Built from one statement's facts and kept with the map's
//! tiles, so harvesters share one build per change of the map.

use crate::error::ApiError;
use crate::routes::initiatives::base_url;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use archipel_store::catalog::{self, DatasetFacts};
use archipel_store::text;
use bytes::Bytes;
use oxrdf::vocab::{rdf, xsd};
use oxrdf::{BlankNode, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use oxrdfio::{JsonLdProfile, RdfFormat, RdfSerializer};

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const GSP: &str = "http://www.opengis.net/ont/geosparql#";
const FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";

/// The serialisations offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Turtle,
    JsonLd,
    RdfXml,
}

impl Syntax {
    fn media_type(self) -> &'static str {
        match self {
            Syntax::Turtle => "text/turtle",
            Syntax::JsonLd => "application/ld+json",
            Syntax::RdfXml => "application/rdf+xml",
        }
    }

    fn format(self) -> RdfFormat {
        match self {
            Syntax::Turtle => RdfFormat::Turtle,
            Syntax::JsonLd => RdfFormat::JsonLd {
                profile: JsonLdProfile::Streaming.into(),
            },
            Syntax::RdfXml => RdfFormat::RdfXml,
        }
    }

    fn by_suffix(suffix: &str) -> Option<Self> {
        match suffix {
            "ttl" => Some(Syntax::Turtle),
            "jsonld" => Some(Syntax::JsonLd),
            "rdf" => Some(Syntax::RdfXml),
            _ => None,
        }
    }

    /// The best for an `Accept` header (Turtle when it accepts anything).
    fn negotiate(accept: Option<&str>) -> Option<Self> {
        let Some(accept) = accept else {
            return Some(Syntax::Turtle);
        };
        crate::lang::best_of(accept, |media| match media {
            "text/turtle" | "application/x-turtle" | "*/*" | "text/*" => Some(Syntax::Turtle),
            "application/ld+json" | "application/json" => Some(Syntax::JsonLd),
            "application/rdf+xml" | "application/xml" | "text/xml" => Some(Syntax::RdfXml),
            _ => None,
        })
    }
}

/// The IRI of a licence and how much it asks of re-users (share-alike above attribution above
/// nothing); an unknown identifier is taken as demanding as the strictest.
fn licence(spdx: &str) -> (String, u8) {
    let iri = |s: &str| s.to_string();
    match spdx.trim() {
        "ODbL-1.0" | "ODbL" => (iri("https://opendatacommons.org/licenses/odbl/1-0/"), 3),
        "CC-BY-SA-4.0" => (iri("https://creativecommons.org/licenses/by-sa/4.0/"), 3),
        "etalab-2.0" | "LO-2.0" | "Licence Ouverte 2.0" => (
            iri("https://www.etalab.gouv.fr/licence-ouverte-open-licence/"),
            2,
        ),
        "CC-BY-4.0" => (iri("https://creativecommons.org/licenses/by/4.0/"), 2),
        "ODC-By-1.0" => (iri("https://opendatacommons.org/licenses/by/1-0/"), 2),
        "CC0-1.0" => (iri("https://creativecommons.org/publicdomain/zero/1.0/"), 1),
        "PDDL-1.0" => (iri("https://opendatacommons.org/licenses/pddl/1-0/"), 1),
        other => (format!("https://spdx.org/licenses/{other}.html"), 3),
    }
}

/// The licence of a dataset: the strictest of its records' (records without one carry the
/// directory's own, `default`).
fn dataset_licence(licences: &[String], default: &str) -> String {
    let mut chosen = licence(default);
    for spdx in licences {
        let spdx = if spdx.is_empty() { default } else { spdx };
        let candidate = licence(spdx);
        if candidate.1 > chosen.1 {
            chosen = candidate;
        }
    }
    chosen.0
}

/// Collects the triples of the catalogue.
struct Graph {
    triples: Vec<Triple>,
}

fn iri(raw: impl Into<String>) -> NamedNode {
    NamedNode::new_unchecked(raw.into())
}

fn term(namespace: &str, local: &str) -> NamedNode {
    iri(format!("{namespace}{local}"))
}

impl Graph {
    fn add(
        &mut self,
        subject: impl Into<NamedOrBlankNode>,
        predicate: NamedNode,
        object: impl Into<Term>,
    ) {
        self.triples.push(Triple::new(subject, predicate, object));
    }

    fn text(&mut self, subject: &NamedNode, predicate: NamedNode, fr: &str, en: &str) {
        for (value, lang) in [(fr, "fr"), (en, "en")] {
            let literal = Literal::new_language_tagged_literal_unchecked(value, lang);
            self.add(subject.clone(), predicate.clone(), literal);
        }
    }

    fn serialise(self, syntax: Syntax) -> std::io::Result<Vec<u8>> {
        let mut serializer = RdfSerializer::from_format(syntax.format());
        for (prefix, namespace) in [("dcat", DCAT), ("dct", DCT), ("foaf", FOAF), ("gsp", GSP)] {
            serializer = serializer
                .with_prefix(prefix, namespace)
                .map_err(std::io::Error::other)?;
        }
        let mut writer = serializer.for_writer(Vec::new());
        for triple in &self.triples {
            writer.serialize_triple(triple)?;
        }
        writer.finish()
    }
}

/// The catalogue's graph for the server at `base`.
fn graph(base: &str, facts: &[DatasetFacts], state: &AppState) -> Graph {
    let mut g = Graph {
        triples: Vec::new(),
    };
    let settings = &state.settings;
    let catalog = iri(format!("{base}/catalog"));
    let publisher = iri(format!("{base}/catalog#publisher"));
    g.add(
        catalog.clone(),
        rdf::TYPE.into_owned(),
        term(DCAT, "Catalog"),
    );
    g.text(
        &catalog,
        term(DCT, "title"),
        "Initiatives collaboratives du territoire",
        "Collaborative initiatives of the territory",
    );
    g.text(
        &catalog,
        term(DCT, "description"),
        "Répertoire ouvert des initiatives collaboratives (repair cafés, jardins partagés, fablabs, tiers-lieux, AMAP, recycleries…), publié avec Archipel.",
        "Open directory of collaborative initiatives (repair cafés, shared gardens, fablabs, third places, CSAs, reuse centres…), published with Archipel.",
    );
    g.add(catalog.clone(), term(DCT, "publisher"), publisher.clone());
    g.add(
        catalog.clone(),
        term(FOAF, "homepage"),
        iri(format!("{base}/")),
    );
    g.add(
        catalog.clone(),
        term(DCT, "language"),
        iri("http://publications.europa.eu/resource/authority/language/FRA"),
    );
    g.add(
        publisher.clone(),
        rdf::TYPE.into_owned(),
        term(FOAF, "Agent"),
    );
    g.add(
        publisher.clone(),
        term(FOAF, "name"),
        Literal::new_simple_literal(&settings.publisher_name),
    );
    if let Some(url) = &settings.publisher_url {
        g.add(publisher.clone(), term(FOAF, "homepage"), iri(url.clone()));
    }
    for facts in facts {
        let dataset = dataset(&mut g, base, facts, &settings.default_licence);
        g.add(catalog.clone(), term(DCAT, "dataset"), dataset.clone());
        g.add(dataset, term(DCT, "publisher"), publisher.clone());
    }
    g
}

fn dataset(g: &mut Graph, base: &str, facts: &DatasetFacts, default_licence: &str) -> NamedNode {
    let (key, filter, title_fr, title_en) = match &facts.family {
        None => (
            "initiatives".to_string(),
            String::new(),
            "Toutes les initiatives".to_string(),
            "All initiatives".to_string(),
        ),
        Some(family) => (
            format!("initiatives-{family}"),
            format!("?category={family}"),
            format!(
                "Initiatives — {}",
                facts.name_fr.as_deref().unwrap_or(family)
            ),
            format!(
                "Initiatives — {}",
                facts.name_en.as_deref().unwrap_or(family)
            ),
        ),
    };
    let dataset = iri(format!("{base}/catalog#{key}"));
    g.add(
        dataset.clone(),
        rdf::TYPE.into_owned(),
        term(DCAT, "Dataset"),
    );
    g.add(
        dataset.clone(),
        term(DCT, "identifier"),
        Literal::new_simple_literal(format!("{base}/catalog#{key}")),
    );
    g.text(&dataset, term(DCT, "title"), &title_fr, &title_en);
    g.text(
        &dataset,
        term(DCT, "description"),
        &format!("{} initiatives publiées, avec leur emplacement, leurs contacts publics, leurs horaires et leur provenance.", facts.count),
        &format!("{} published initiatives, with their location, public contacts, opening hours and provenance.", facts.count),
    );
    let licence = iri(dataset_licence(&facts.licences, default_licence));
    g.add(dataset.clone(), term(DCT, "license"), licence.clone());
    if let Some(modified) = facts.extent.last_change {
        let literal =
            Literal::new_typed_literal(modified.to_rfc3339(), xsd::DATE_TIME.into_owned());
        g.add(dataset.clone(), term(DCT, "modified"), literal);
    }
    for keyword in &facts.keywords {
        g.add(
            dataset.clone(),
            term(DCAT, "keyword"),
            Literal::new_language_tagged_literal_unchecked(keyword.clone(), "fr"),
        );
    }
    if let (Some(w), Some(s), Some(e), Some(n)) = (
        facts.extent.west,
        facts.extent.south,
        facts.extent.east,
        facts.extent.north,
    ) {
        let location = BlankNode::default();
        g.add(dataset.clone(), term(DCT, "spatial"), location.clone());
        g.add(
            location.clone(),
            rdf::TYPE.into_owned(),
            term(DCT, "Location"),
        );
        let polygon = format!("POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))");
        g.add(
            location,
            term(DCAT, "bbox"),
            Literal::new_typed_literal(polygon, term(GSP, "wktLiteral")),
        );
    }
    let export = format!("{base}/api/v1/export/initiatives");
    let schema = format!("{export}.schema.json");
    let distributions = [
        (
            "geojson",
            "GeoJSON (RFC 7946)",
            format!("{export}.geojson{filter}"),
            "application/geo+json",
            "GEOJSON",
            None,
        ),
        (
            "geojsonseq",
            "GeoJSON Text Sequences (RFC 8142)",
            format!("{export}.geojsonseq{filter}"),
            "application/geo+json-seq",
            "GEOJSON",
            None,
        ),
        (
            "csv",
            "CSV",
            format!("{export}.csv{filter}"),
            "text/csv",
            "CSV",
            Some(schema),
        ),
    ];
    for (suffix, title, url, media, format, conforms) in distributions {
        let distribution = iri(format!("{base}/catalog#{key}-{suffix}"));
        g.add(
            dataset.clone(),
            term(DCAT, "distribution"),
            distribution.clone(),
        );
        g.add(
            distribution.clone(),
            rdf::TYPE.into_owned(),
            term(DCAT, "Distribution"),
        );
        g.add(
            distribution.clone(),
            term(DCT, "title"),
            Literal::new_simple_literal(title),
        );
        g.add(
            distribution.clone(),
            term(DCAT, "downloadURL"),
            iri(url.clone()),
        );
        g.add(distribution.clone(), term(DCAT, "accessURL"), iri(url));
        g.add(
            distribution.clone(),
            term(DCAT, "mediaType"),
            iri(format!(
                "https://www.iana.org/assignments/media-types/{media}"
            )),
        );
        g.add(
            distribution.clone(),
            term(DCT, "format"),
            term(FILE_TYPE, format),
        );
        g.add(distribution.clone(), term(DCT, "license"), licence.clone());
        if let Some(schema) = conforms {
            g.add(distribution, term(DCT, "conformsTo"), iri(schema));
        }
    }
    let api = iri(format!("{base}/catalog#{key}-api"));
    g.add(dataset.clone(), term(DCAT, "distribution"), api.clone());
    g.add(
        api.clone(),
        rdf::TYPE.into_owned(),
        term(DCAT, "Distribution"),
    );
    g.add(
        api.clone(),
        term(DCT, "title"),
        Literal::new_simple_literal("API (GeoJSON, paged, filtered; OpenAPI at /api/openapi.json)"),
    );
    g.add(
        api.clone(),
        term(DCAT, "accessURL"),
        iri(format!("{base}/api/v1/initiatives.geojson{filter}")),
    );
    g.add(
        api.clone(),
        term(DCT, "conformsTo"),
        iri(format!("{base}/api/openapi.json")),
    );
    g.add(api, term(DCT, "license"), licence);
    dataset
}

/// The syntax a request asks for: by its suffix (404 for an unknown one), else by its `Accept`
/// header (406 when none offered is accepted).
fn requested_syntax(req: &HttpRequest) -> Result<Syntax, ApiError> {
    let suffix = req.match_info().get("suffix").unwrap_or("");
    if !suffix.is_empty() {
        return Syntax::by_suffix(suffix).ok_or_else(|| {
            ApiError::NotFound(text!(
                "the catalogue is at /catalog, /catalog.ttl, /catalog.jsonld and /catalog.rdf";
                "le catalogue est à /catalog, /catalog.ttl, /catalog.jsonld et /catalog.rdf"))
        });
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    Syntax::negotiate(accept).ok_or_else(|| {
        ApiError::NotAcceptable(text!(
            "the catalogue is offered as text/turtle, application/ld+json or application/rdf+xml";
            "le catalogue est proposé en text/turtle, application/ld+json ou application/rdf+xml"))
    })
}

/// The DCAT catalogue, as the `Accept` header or the suffix (`/catalog.ttl`, `.jsonld`, `.rdf`)
/// asks.
#[utoipa::path(
    get, path = "/catalog", tag = "open data",
    responses(
        (status = 200, description = "The DCAT catalogue (dcat:Catalog, its datasets and distributions) in Turtle, JSON-LD or RDF/XML", content_type = "text/turtle"),
        (status = 406, description = "None of the accepted media types is offered", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn catalog(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let syntax = requested_syntax(&req)?;
    let base = match base_url(&req, &state) {
        base if base.is_empty() => "http://localhost".to_string(),
        base => base,
    };
    let key = format!("catalog {} {base}", syntax.media_type());
    let body = state
        .tiles
        .get_or_build(&key, || async {
            let facts = state.db(catalog::datasets).await?;
            graph(&base, &facts, &state)
                .serialise(syntax)
                .map(Bytes::from)
                .map_err(ApiError::internal)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(format!("{}; charset=utf-8", syntax.media_type()))
        .insert_header((header::VARY, "Accept"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body.body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strictest_licence_wins_and_records_without_one_carry_the_default() {
        let odbl = "https://opendatacommons.org/licenses/odbl/1-0/";
        let etalab = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/";
        assert_eq!(
            dataset_licence(&["CC0-1.0".into(), "ODbL-1.0".into()], "etalab-2.0"),
            odbl
        );
        assert_eq!(
            dataset_licence(&["".into(), "CC0-1.0".into()], "etalab-2.0"),
            etalab
        );
        assert_eq!(dataset_licence(&[], "etalab-2.0"), etalab);
    }

    #[test]
    fn accept_headers_choose_the_syntax() {
        assert_eq!(Syntax::negotiate(None), Some(Syntax::Turtle));
        assert_eq!(
            Syntax::negotiate(Some("application/ld+json")),
            Some(Syntax::JsonLd)
        );
        assert_eq!(
            Syntax::negotiate(Some("text/turtle;q=0.5, application/rdf+xml")),
            Some(Syntax::RdfXml)
        );
        assert_eq!(
            Syntax::negotiate(Some("text/html,*/*;q=0.8")),
            Some(Syntax::Turtle)
        );
        assert_eq!(Syntax::negotiate(Some("image/png")), None);
    }
}
