//! The DCAT catalogue: what data.gouv.fr's harvester reads, in three RDF syntaxes, with the
//! properties DCAT-AP requires and the licences the records really carry.

use crate::initiative;
use archipel_tests::TestApp;
use diesel::RunQueryDsl;
use oxrdf::{NamedNode, Term, Triple};
use oxrdfio::{JsonLdProfile, RdfFormat, RdfParser};
use std::collections::BTreeSet;

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

fn parse(body: &[u8], format: RdfFormat) -> Vec<Triple> {
    RdfParser::from_format(format)
        .for_slice(body)
        .map(|quad| Triple::from(quad.expect("valid RDF")))
        .collect()
}

fn iri(raw: &str) -> NamedNode {
    NamedNode::new(raw).unwrap()
}

/// Objects of `subject predicate ?o`.
fn objects(graph: &[Triple], subject: &Term, predicate: &str) -> Vec<Term> {
    graph
        .iter()
        .filter(|t| &Term::from(t.subject.clone()) == subject && t.predicate.as_str() == predicate)
        .map(|t| t.object.clone())
        .collect()
}

fn of_type(graph: &[Triple], class: &str) -> Vec<Term> {
    graph
        .iter()
        .filter(|t| t.predicate.as_str() == RDF_TYPE && t.object == Term::from(iri(class)))
        .map(|t| Term::from(t.subject.clone()))
        .collect()
}

/// The triples without blank nodes' labels, to compare graphs of different syntaxes.
fn ground(graph: &[Triple]) -> BTreeSet<String> {
    graph
        .iter()
        .filter(|t| {
            !t.subject.to_string().starts_with("_:") && !t.object.to_string().starts_with("_:")
        })
        .map(ToString::to_string)
        .collect()
}

#[actix_web::test]
async fn the_catalogue_is_valid_dcat_in_three_syntaxes_with_the_strictest_licence() {
    let app = TestApp::spawn().await;
    app.create(serde_json::json!({"name": "Repair café de Recouvrance", "lat": 48.383, "lon": -4.505, "categories": ["repair-cafe"]}))
        .await;
    let garden = app
        .create(initiative("Jardin du Stang Alar", 48.404, -4.460))
        .await;
    // A record imported from OpenStreetMap carries ODbL: so does every dataset holding it.
    diesel::sql_query(format!(
        "UPDATE initiatives SET licence = 'ODbL-1.0', category_slugs = '{{shared-garden}}' WHERE id = '{}'",
        garden["id"].as_str().unwrap()
    ))
    .execute(&mut app.db.connect())
    .unwrap();

    let mut graphs = Vec::new();
    for (path, accept, format) in [
        ("/catalog", Some("text/turtle"), RdfFormat::Turtle),
        (
            "/catalog",
            Some("application/ld+json"),
            RdfFormat::JsonLd {
                profile: JsonLdProfile::Streaming.into(),
            },
        ),
        ("/catalog", Some("application/rdf+xml"), RdfFormat::RdfXml),
        ("/catalog.ttl", None, RdfFormat::Turtle),
        (
            "/catalog.jsonld",
            None,
            RdfFormat::JsonLd {
                profile: JsonLdProfile::Streaming.into(),
            },
        ),
        ("/catalog.rdf", None, RdfFormat::RdfXml),
    ] {
        let mut request = app.client.get(app.url(path));
        if let Some(accept) = accept {
            request = request.header("Accept", accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{path} {accept:?}");
        let media = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        let expected = match format {
            RdfFormat::Turtle => "text/turtle",
            RdfFormat::RdfXml => "application/rdf+xml",
            _ => "application/ld+json",
        };
        assert!(media.starts_with(expected), "{path}: {media}");
        let head = app
            .client
            .head(app.url(path))
            .header("Accept", accept.unwrap_or("*/*"))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200);
        assert_eq!(
            head.headers()["content-type"].to_str().unwrap(),
            media,
            "HEAD {path}"
        );
        graphs.push(parse(&response.bytes().await.unwrap(), format));
    }
    let graph = &graphs[0];
    for other in &graphs[1..] {
        assert_eq!(ground(other), ground(graph), "every syntax says the same");
    }

    // DCAT-AP's mandatory properties.
    let catalogs = of_type(graph, &format!("{DCAT}Catalog"));
    assert_eq!(catalogs.len(), 1);
    let catalog = &catalogs[0];
    for property in ["title", "description", "publisher"] {
        assert!(
            !objects(graph, catalog, &format!("{DCT}{property}")).is_empty(),
            "catalog {property}"
        );
    }
    assert_eq!(objects(graph, catalog, &format!("{FOAF}homepage")).len(), 1);
    let publisher = objects(graph, catalog, &format!("{DCT}publisher")).remove(0);
    assert_eq!(objects(graph, &publisher, &format!("{FOAF}name")).len(), 1);
    let datasets = objects(graph, catalog, &format!("{DCAT}dataset"));
    assert_eq!(datasets.len(), 7, "all initiatives and one per family");
    for dataset in &datasets {
        for property in ["identifier", "title", "description", "license", "publisher"] {
            assert!(
                !objects(graph, dataset, &format!("{DCT}{property}")).is_empty(),
                "{dataset} {property}"
            );
        }
        let distributions = objects(graph, dataset, &format!("{DCAT}distribution"));
        assert_eq!(distributions.len(), 4, "{dataset}");
        for distribution in &distributions {
            assert_eq!(
                objects(graph, distribution, &format!("{DCAT}accessURL")).len(),
                1
            );
        }
    }
    let all = Term::from(iri(&format!("{}/catalog#initiatives", app.address)));
    let licence = |dataset: &Term| {
        objects(graph, dataset, &format!("{DCT}license"))
            .remove(0)
            .to_string()
    };
    assert_eq!(
        licence(&all),
        "<https://opendatacommons.org/licenses/odbl/1-0/>"
    );
    let food = Term::from(iri(&format!(
        "{}/catalog#initiatives-food-gardens",
        app.address
    )));
    assert_eq!(
        licence(&food),
        "<https://opendatacommons.org/licenses/odbl/1-0/>"
    );
    let repair = Term::from(iri(&format!(
        "{}/catalog#initiatives-reuse-repair",
        app.address
    )));
    assert_eq!(
        licence(&repair),
        "<https://www.etalab.gouv.fr/licence-ouverte-open-licence/>",
        "the directory's own licence where no record is ODbL"
    );
    assert!(!objects(graph, &all, &format!("{DCT}spatial")).is_empty());
    assert!(!objects(graph, &all, &format!("{DCT}modified")).is_empty());
    let csv = Term::from(iri(&format!("{}/catalog#initiatives-csv", app.address)));
    assert_eq!(
        objects(graph, &csv, &format!("{DCT}conformsTo")),
        [Term::from(iri(&format!(
            "{}/api/v1/export/initiatives.schema.json",
            app.address
        )))]
    );

    let refused = app
        .client
        .get(app.url("/catalog"))
        .header("Accept", "image/png")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 406);
    assert_eq!(app.get("/catalog.xlsx").await.status(), 404);
}
