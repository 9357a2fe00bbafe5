//! The HTML encoding of the OGC API – Features at `/ogc` (Part 1, conformance class "HTML"):
//! every resource the JSON handlers of `ogc.rs` produce is also an accessible HTML5 page, in
//! French or English, for people with a browser. `f=html` asks for it, or an `Accept` that
//! prefers `text/html` to JSON; `f=json` forces JSON.
//!
//! The renderers are pure: the JSON document the handler built, the API's base URL (`…/ogc`) and
//! the language in, the page out; every value is escaped. The pages have no script and take
//! their one stylesheet from `/ogc/style.css`, so they keep a strict Content-Security-Policy.

use crate::lang::{Lang, best_of};
use crate::routes::ogc::COLLECTION;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Map, Value, json};

/// The conformance class.
pub const CONFORMANCE: &str = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html";
const HTML: &str = "text/html; charset=utf-8";
const STYLESHEET: &str = include_str!("ogc.css");
/// Only our stylesheet; no script, no frame, no form.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; \
                   form-action 'none'; frame-ancestors 'self'";

/// A renderer: the JSON document, the API's base URL (`…/ogc`), the language.
pub type Render = fn(&Value, &str, Lang) -> String;

/// Whether the request asks for HTML: `f=html`; or, without `f`, an `Accept` header that ranks
/// `text/html` above JSON (a browser). Any other `f` (json, geojson) means JSON, and so does no
/// preference, `*/*` or an `Accept` naming neither — GIS clients and scripts get what they expect.
pub fn wants_html(req: &HttpRequest) -> bool {
    let f = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(key, _)| key == "f")
        .map(|(_, value)| value.into_owned());
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    prefers_html(f.as_deref(), accept)
}

fn prefers_html(f: Option<&str>, accept: Option<&str>) -> bool {
    if let Some(f) = f {
        return f == "html";
    }
    accept
        .and_then(|accept| {
            best_of(accept, |media| match media {
                "text/html" | "application/xhtml+xml" => Some(true),
                "application/json"
                | "application/geo+json"
                | "application/vnd.oai.openapi+json"
                | "application/*"
                | "*/*" => Some(false),
                _ => None,
            })
        })
        .unwrap_or(false)
}

/// The page, as the response to a request that [`wants_html`].
pub fn respond(req: &HttpRequest, render: Render, doc: &Value, base: &str) -> HttpResponse {
    let lang = Lang::from_request(req.headers(), req.query_string());
    HttpResponse::Ok()
        .content_type(HTML)
        .insert_header((header::CACHE_CONTROL, "public, no-cache"))
        .insert_header((header::VARY, "Accept, Accept-Language"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .body(render(doc, base, lang))
}

/// `GET /ogc/style.css`: the pages' stylesheet.
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}

/// `href` with the query parameters `remove` taken out and `set` put in (replacing any of the
/// same name).
pub fn rewrite(href: &str, remove: &[&str], set: &[(&str, &str)]) -> String {
    let (path, query) = href.split_once('?').unwrap_or((href, ""));
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if !remove.contains(&key.as_ref()) && !set.iter().any(|(k, _)| *k == key) {
            out.append_pair(&key, &value);
        }
    }
    for (key, value) in set {
        out.append_pair(key, value);
    }
    let query = out.finish();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// `href` with `f=format`.
pub fn with_format(href: &str, format: &str) -> String {
    rewrite(href, &[], &[("f", format)])
}

/// Adds to `links` the link to the HTML page of the document: its `self` link with `f=html`.
pub fn push_alternate(links: &mut Vec<Value>) {
    let own = links
        .iter()
        .find(|l| l["rel"] == "self")
        .and_then(|l| l["href"].as_str())
        .map(|href| with_format(href, "html"));
    if let Some(href) = own {
        links.push(json!({
            "href": href, "rel": "alternate", "type": "text/html", "title": "This document as HTML",
        }));
    }
}

/// The document with the link to its HTML page added to its `links`.
pub fn with_alternate(mut doc: Value) -> Value {
    if let Some(links) = doc.get_mut("links").and_then(Value::as_array_mut) {
        push_alternate(links);
    }
    doc
}

/// A stored Feature of the collection at `collection_href`, with its links (itself, its HTML page
/// and its collection): as a value for the page, and as the stored text with `links` added at
/// its end, for the JSON response.
pub fn linked_feature(
    body: &str,
    collection_href: &str,
) -> Result<(Value, String), serde_json::Error> {
    let mut feature: Value = serde_json::from_str(body)?;
    let id = feature["id"].as_str().unwrap_or_default().to_string();
    let mut links = vec![
        json!({"href": format!("{collection_href}/items/{id}"), "rel": "self",
               "type": "application/geo+json", "title": "This initiative"}),
        json!({"href": collection_href, "rel": "collection",
               "type": "application/json", "title": "The collection"}),
    ];
    push_alternate(&mut links);
    let links = Value::Array(links);
    let text = match body.trim_end().strip_suffix('}') {
        Some(open) if feature.get("links").is_none() => format!("{open},\"links\":{links}}}"),
        _ => body.to_string(),
    };
    if let Some(object) = feature.as_object_mut() {
        object.insert("links".to_string(), links);
    }
    Ok((feature, text))
}

/// `raw` made safe as HTML text and as a quoted attribute value.
pub fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn tr(lang: Lang, en: &'static str, fr: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Fr => fr,
    }
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

fn is_json(media: &str) -> bool {
    let media = media.split(';').next().unwrap_or_default().trim();
    media == "application/json" || media.ends_with("+json")
}

/// `<a href>` with escaped target and text.
fn anchor(href: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", escape(href), escape(text))
}

/// The page around `main`: head, breadcrumbs (`trail`: the ancestors, then `current`), footer
/// with the public map, the JSON (`json_href`) and the other language.
struct Page<'a> {
    lang: Lang,
    base: &'a str,
    title: String,
    trail: Vec<(String, &'static str)>,
    current: String,
    json_href: String,
}

impl<'a> Page<'a> {
    /// A page one step below the landing page, titled `title`, whose JSON twin is `doc`'s self.
    fn below_root(lang: Lang, base: &'a str, title: &str, doc: &Value) -> Self {
        Page {
            lang,
            base,
            title: title.to_string(),
            trail: vec![root(base)],
            current: title.to_string(),
            json_href: with_format(self_href(doc), "json"),
        }
    }

    fn render(&self, main: &str) -> String {
        let lang = self.lang;
        let mut crumbs = String::new();
        for (href, label) in &self.trail {
            crumbs.push_str(&format!("<li>{}</li>", anchor(href, label)));
        }
        crumbs.push_str(&format!(
            "<li aria-current=\"page\">{}</li>",
            escape(&self.current)
        ));
        let map = format!("{}/", self.base.strip_suffix("/ogc").unwrap_or_default());
        let (other, other_name) = match lang {
            Lang::En => ("fr", "Français"),
            Lang::Fr => ("en", "English"),
        };
        let other_href = rewrite(&self.json_href, &[], &[("f", "html"), ("lang", other)]);
        let json = escape(&self.json_href);
        format!(
            "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title} — Archipel OGC API</title>\n\
             <link rel=\"stylesheet\" href=\"{style}\">\n\
             <link rel=\"alternate\" type=\"application/json\" href=\"{json}\">\n</head>\n<body>\n\
             <header><nav aria-label=\"{trail_label}\"><ol class=\"breadcrumbs\">{crumbs}</ol></nav></header>\n\
             <main>\n<h1>{title}</h1>\n{main}</main>\n\
             <footer><p><a href=\"{map}\">{map_label}</a> · \
             <a href=\"{json}\" rel=\"alternate\" type=\"application/json\">{json_label}</a> · \
             <a href=\"{other_href}\" hreflang=\"{other}\" lang=\"{other}\">{other_name}</a></p></footer>\n\
             </body>\n</html>\n",
            code = lang.code(),
            title = escape(&self.title),
            style = escape(&format!("{}/style.css", self.base)),
            trail_label = tr(lang, "Breadcrumbs", "Fil d'Ariane"),
            map = escape(&map),
            map_label = tr(lang, "The public map", "La carte publique"),
            json_label = tr(lang, "This page as JSON", "Cette page en JSON"),
            other_href = escape(&other_href),
        )
    }
}

fn root(base: &str) -> (String, &'static str) {
    (with_format(base, "html"), "OGC API")
}

fn collections_crumb(base: &str, lang: Lang) -> (String, &'static str) {
    (
        with_format(&format!("{base}/collections"), "html"),
        tr(lang, "Collections", "Collections"),
    )
}

fn collection_crumb(base: &str) -> (String, &'static str) {
    (
        with_format(&format!("{base}/collections/{COLLECTION}"), "html"),
        "Initiatives",
    )
}

fn self_href(doc: &Value) -> &str {
    doc["links"]
        .as_array()
        .and_then(|links| links.iter().find(|l| l["rel"] == "self"))
        .map(|l| str_of(l, "href"))
        .unwrap_or_default()
}

/// A link's title in the page's language, by its relation; its own title otherwise.
fn link_label(link: &Value, lang: Lang) -> String {
    let label = match str_of(link, "rel") {
        "self" => tr(lang, "This document as JSON", "Ce document en JSON"),
        "service-desc" => tr(
            lang,
            "The API definition (OpenAPI 3.0)",
            "La définition de l'API (OpenAPI 3.0)",
        ),
        "service-doc" => tr(lang, "The API documentation", "La documentation de l'API"),
        "conformance" => tr(lang, "Conformance classes", "Classes de conformité"),
        "data" => tr(lang, "Collections", "Collections"),
        "items" => tr(lang, "Its initiatives", "Ses initiatives"),
        "next" => tr(lang, "The next page", "La page suivante"),
        "collection" => tr(lang, "The collection", "La collection"),
        _ => "",
    };
    if label.is_empty() {
        str_of(link, "title").to_string()
    } else {
        label.to_string()
    }
}

/// The document's links as a list. Seen from the HTML page, the JSON `self` is an alternate and
/// the HTML alternate is the page itself (left out); links to JSON resources of the API lead to
/// their pages, with the JSON beside.
fn links_section(doc: &Value, base: &str, lang: Lang) -> String {
    let mut items = String::new();
    for link in doc["links"].as_array().into_iter().flatten() {
        let (rel, media, href) = (
            str_of(link, "rel"),
            str_of(link, "type"),
            str_of(link, "href"),
        );
        if rel == "alternate" && media.starts_with("text/html") {
            continue;
        }
        let label = link_label(link, lang);
        let item = if rel == "self" {
            format!(
                "<a href=\"{}\" rel=\"alternate\" type=\"{}\">{}</a> <span class=\"rel\">alternate · {}</span>",
                escape(&with_format(href, "json")),
                escape(media),
                escape(&label),
                escape(media)
            )
        } else if is_json(media) && href.starts_with(base) && rel != "service-desc" {
            format!(
                "{} <span class=\"rel\">{} · <a href=\"{}\" type=\"{}\">JSON</a></span>",
                anchor(&with_format(href, "html"), &label),
                escape(rel),
                escape(&with_format(href, "json")),
                escape(media)
            )
        } else if rel == "service-desc" {
            format!(
                "<a href=\"{}\" type=\"{}\">{}</a> <span class=\"rel\">{} · {}</span>",
                escape(&with_format(href, "json")),
                escape(media),
                escape(&label),
                escape(rel),
                escape(media)
            )
        } else {
            format!(
                "<a href=\"{}\" type=\"{}\">{}</a> <span class=\"rel\">{} · {}</span>",
                escape(href),
                escape(media),
                escape(&label),
                escape(rel),
                escape(media)
            )
        };
        items.push_str(&format!("<li>{item}</li>\n"));
    }
    format!(
        "<h2>{}</h2>\n<ul class=\"links\">\n{items}</ul>\n",
        tr(lang, "Links", "Liens")
    )
}

/// The landing page.
pub fn landing(doc: &Value, base: &str, lang: Lang) -> String {
    let main = format!(
        "<p>{}</p>\n<ul>\n<li>{}</li>\n<li>{}</li>\n<li>{}</li>\n<li>{}</li>\n</ul>\n{}",
        escape(str_of(doc, "description")),
        anchor(
            &with_format(&format!("{base}/collections/{COLLECTION}/items"), "html"),
            tr(lang, "Browse the initiatives", "Parcourir les initiatives"),
        ),
        anchor(
            &with_format(&format!("{base}/collections"), "html"),
            tr(lang, "Collections", "Collections")
        ),
        anchor(
            &with_format(&format!("{base}/conformance"), "html"),
            tr(lang, "Conformance classes", "Classes de conformité")
        ),
        anchor(
            &with_format(&format!("{base}/api"), "html"),
            tr(lang, "The API documentation", "La documentation de l'API")
        ),
        links_section(doc, base, lang),
    );
    Page {
        lang,
        base,
        title: str_of(doc, "title").to_string(),
        trail: vec![],
        current: "OGC API".to_string(),
        json_href: with_format(self_href(doc), "json"),
    }
    .render(&main)
}

/// The conformance declaration.
pub fn conformance(doc: &Value, base: &str, lang: Lang) -> String {
    let mut list = String::new();
    for uri in doc["conformsTo"].as_array().into_iter().flatten() {
        let uri = uri.as_str().unwrap_or_default();
        list.push_str(&format!(
            "<li><a href=\"{0}\"><code>{0}</code></a></li>\n",
            escape(uri)
        ));
    }
    let title = tr(lang, "Conformance classes", "Classes de conformité");
    let main = format!(
        "<p>{}</p>\n<ul>\n{list}</ul>\n{}",
        tr(
            lang,
            "The parts of the OGC API – Features standard this API implements.",
            "Les parties du standard OGC API – Features que cette API met en œuvre."
        ),
        links_section(doc, base, lang)
    );
    Page::below_root(lang, base, title, doc).render(&main)
}

/// A collection's items and description links, by its links.
fn collection_links(collection: &Value, lang: Lang) -> String {
    let mut out = String::new();
    for link in collection["links"].as_array().into_iter().flatten() {
        let label = match str_of(link, "rel") {
            "items" => tr(lang, "Browse the initiatives", "Parcourir les initiatives"),
            "self" => tr(
                lang,
                "About this collection",
                "À propos de cette collection",
            ),
            _ => continue,
        };
        out.push_str(&format!(
            "<li>{}</li>\n",
            anchor(&with_format(str_of(link, "href"), "html"), label)
        ));
    }
    format!("<ul>\n{out}</ul>\n")
}

/// The list of collections.
pub fn collections(doc: &Value, base: &str, lang: Lang) -> String {
    let mut main = String::new();
    for collection in doc["collections"].as_array().into_iter().flatten() {
        main.push_str(&format!(
            "<h2>{}</h2>\n<p>{}</p>\n{}",
            escape(str_of(collection, "title")),
            escape(str_of(collection, "description")),
            collection_links(collection, lang)
        ));
    }
    main.push_str(&links_section(doc, base, lang));
    let title = tr(lang, "Collections", "Collections");
    Page::below_root(lang, base, title, doc).render(&main)
}

fn number_list(value: &Value) -> String {
    value
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| match v {
            Value::Null => "..".to_string(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One collection's description.
pub fn collection(doc: &Value, base: &str, lang: Lang) -> String {
    let extent = &doc["extent"];
    let rows = [
        (
            tr(lang, "Identifier", "Identifiant"),
            str_of(doc, "id").to_string(),
        ),
        (
            tr(lang, "Item type", "Type d'élément"),
            str_of(doc, "itemType").to_string(),
        ),
        (
            tr(
                lang,
                "Coordinate reference systems",
                "Systèmes de coordonnées",
            ),
            number_list(&doc["crs"]),
        ),
        (
            tr(lang, "Spatial extent", "Étendue spatiale"),
            number_list(&extent["spatial"]["bbox"][0]),
        ),
        (
            tr(lang, "Temporal extent", "Étendue temporelle"),
            number_list(&extent["temporal"]["interval"][0]),
        ),
    ];
    let mut list = String::new();
    for (term, value) in rows {
        list.push_str(&format!("<dt>{term}</dt><dd>{}</dd>\n", escape(&value)));
    }
    let main = format!(
        "<p>{}</p>\n{}<dl>\n{list}</dl>\n{}",
        escape(str_of(doc, "description")),
        collection_links(doc, lang),
        links_section(doc, base, lang)
    );
    let title = str_of(doc, "title").to_string();
    Page {
        lang,
        base,
        title: title.clone(),
        trail: vec![root(base), collections_crumb(base, lang)],
        current: title,
        json_href: with_format(self_href(doc), "json"),
    }
    .render(&main)
}

/// A property value as text: lists joined, `null` as a dash.
fn plain(value: &Value) -> String {
    match value {
        Value::Null => "—".to_string(),
        Value::String(s) if s.is_empty() => "—".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "—".to_string(),
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A property value as HTML: web addresses (http and https only) as links.
fn property_html(value: &Value) -> String {
    match value {
        Value::String(s) if s.starts_with("https://") || s.starts_with("http://") => anchor(s, s),
        Value::Array(items) if items.iter().all(|v| v.is_string()) && !items.is_empty() => items
            .iter()
            .map(property_html)
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(_) => format!("<code>{}</code>", escape(&value.to_string())),
        other => escape(&plain(other)),
    }
}

fn item_href(base: &str, id: &str) -> String {
    let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    with_format(
        &format!("{base}/collections/{COLLECTION}/items/{id}"),
        "html",
    )
}

/// A page of items: a table of the initiatives, and the paging links.
pub fn items(doc: &Value, base: &str, lang: Lang) -> String {
    let mut rows = String::new();
    for feature in doc["features"].as_array().into_iter().flatten() {
        let properties = &feature["properties"];
        let name = match str_of(properties, "name") {
            "" => str_of(feature, "id"),
            name => name,
        };
        let updated = str_of(properties, "updated_at");
        rows.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td>\
             <td><time datetime=\"{3}\">{3}</time></td></tr>\n",
            anchor(&item_href(base, str_of(feature, "id")), name),
            escape(&plain(&properties["categories"])),
            escape(&plain(&properties["city"])),
            escape(updated),
        ));
    }
    let links = doc["links"].as_array().cloned().unwrap_or_default();
    let find = |rel: &str| {
        links
            .iter()
            .find(|l| l["rel"] == rel)
            .map(|l| str_of(l, "href").to_string())
    };
    let mut paging = String::new();
    let own = find("self").unwrap_or_default();
    if own.contains("cursor=") {
        paging.push_str(&anchor(
            &rewrite(&own, &["cursor"], &[("f", "html")]),
            tr(lang, "← First page", "← Première page"),
        ));
    }
    if let Some(prev) = find("prev") {
        paging.push_str(&format!(
            "<a href=\"{}\" rel=\"prev\">{}</a>",
            escape(&with_format(&prev, "html")),
            tr(lang, "← Previous page", "← Page précédente")
        ));
    }
    if let Some(next) = find("next") {
        paging.push_str(&format!(
            "<a href=\"{}\" rel=\"next\">{}</a>",
            escape(&with_format(&next, "html")),
            tr(lang, "Next page →", "Page suivante →")
        ));
    }
    let count = doc["numberReturned"].as_u64().unwrap_or_default();
    let summary = match lang {
        Lang::En => format!("{count} initiatives on this page"),
        Lang::Fr => format!("{count} initiatives sur cette page"),
    };
    let main = format!(
        "<p class=\"meta\">{} · <time datetime=\"{ts}\">{ts}</time></p>\n\
         <div class=\"table\"><table>\n<caption>{}</caption>\n<thead><tr><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n\
         <tbody>\n{rows}</tbody>\n</table></div>\n<nav class=\"paging\" aria-label=\"{}\">{paging}</nav>\n{}",
        escape(&summary),
        tr(
            lang,
            "The initiatives of this page",
            "Les initiatives de cette page"
        ),
        tr(lang, "Name", "Nom"),
        tr(lang, "Categories", "Catégories"),
        tr(lang, "City", "Commune"),
        tr(lang, "Updated", "Mise à jour"),
        tr(lang, "Pages", "Pages"),
        links_section(doc, base, lang),
        ts = escape(str_of(doc, "timeStamp")),
    );
    let current = tr(lang, "Items", "Éléments");
    Page {
        lang,
        base,
        title: format!("Initiatives — {current}"),
        trail: vec![
            root(base),
            collections_crumb(base, lang),
            collection_crumb(base),
        ],
        current: current.to_string(),
        json_href: with_format(&own, "json"),
    }
    .render(&main)
}

/// The geometry: a point's longitude and latitude, other shapes' coordinates as JSON.
fn geometry_html(geometry: &Value, lang: Lang) -> String {
    let kind = str_of(geometry, "type");
    let coordinates = &geometry["coordinates"];
    match (kind, coordinates.as_array().map(Vec::as_slice)) {
        ("Point", Some([lon, lat, ..])) => format!(
            "<dl>\n<dt>{}</dt><dd>Point</dd>\n<dt>Longitude</dt><dd>{}</dd>\n<dt>Latitude</dt><dd>{}</dd>\n</dl>\n",
            tr(lang, "Type", "Type"),
            escape(&lon.to_string()),
            escape(&lat.to_string())
        ),
        _ => format!(
            "<dl>\n<dt>{}</dt><dd>{}</dd>\n</dl>\n<pre><code>{}</code></pre>\n",
            tr(lang, "Type", "Type"),
            escape(kind),
            escape(&coordinates.to_string())
        ),
    }
}

/// One item: its properties and its coordinates.
pub fn item(doc: &Value, base: &str, lang: Lang) -> String {
    let properties = doc["properties"]
        .as_object()
        .cloned()
        .unwrap_or_else(Map::new);
    let mut list = String::new();
    for (key, value) in &properties {
        list.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>\n",
            escape(key),
            property_html(value)
        ));
    }
    let main = format!(
        "<p class=\"meta\">{} <code>{}</code></p>\n<h2>{}</h2>\n<dl>\n{list}</dl>\n<h2>{}</h2>\n{}{}",
        tr(lang, "Identifier", "Identifiant"),
        escape(str_of(doc, "id")),
        tr(lang, "Properties", "Propriétés"),
        tr(lang, "Location", "Localisation"),
        geometry_html(&doc["geometry"], lang),
        links_section(doc, base, lang)
    );
    let name = match properties.get("name").and_then(Value::as_str) {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => str_of(doc, "id").to_string(),
    };
    let items = with_format(&format!("{base}/collections/{COLLECTION}/items"), "html");
    Page {
        lang,
        base,
        title: name.clone(),
        trail: vec![
            root(base),
            collections_crumb(base, lang),
            collection_crumb(base),
            (items, tr(lang, "Items", "Éléments")),
        ],
        current: name,
        json_href: with_format(self_href(doc), "json"),
    }
    .render(&main)
}

/// A `$ref` of the OpenAPI document resolved (`#/components/…`); anything else as it is.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).unwrap_or(value),
        None => value,
    }
}

/// The OpenAPI document, as a list of its operations with their parameters and responses.
pub fn api_definition(doc: &Value, base: &str, lang: Lang) -> String {
    let mut main = format!(
        "<p>{}</p>\n<p class=\"meta\">OpenAPI {} · {} {} · {} <code>{}</code></p>\n",
        escape(str_of(&doc["info"], "description")),
        escape(str_of(doc, "openapi")),
        tr(lang, "version", "version"),
        escape(str_of(&doc["info"], "version")),
        tr(lang, "server", "serveur"),
        escape(str_of(&doc["servers"][0], "url")),
    );
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                continue;
            }
            main.push_str(&format!(
                "<h2><code>{} {}</code></h2>\n<p>{}</p>\n",
                escape(&method.to_uppercase()),
                escape(path),
                escape(str_of(operation, "summary")),
            ));
            let mut parameters = String::new();
            let all = item["parameters"].as_array().into_iter().flatten();
            for parameter in all.chain(operation["parameters"].as_array().into_iter().flatten()) {
                let parameter = resolve(doc, parameter);
                parameters.push_str(&format!(
                    "<tr><th scope=\"row\"><code>{}</code></th><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    escape(str_of(parameter, "name")),
                    escape(str_of(parameter, "in")),
                    if parameter["required"] == true { tr(lang, "yes", "oui") } else { tr(lang, "no", "non") },
                    escape(str_of(parameter, "description")),
                ));
            }
            if !parameters.is_empty() {
                main.push_str(&format!(
                    "<div class=\"table\"><table>\n<caption>{}</caption>\n<thead><tr><th scope=\"col\">{}</th>\
                     <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n\
                     <tbody>\n{parameters}</tbody>\n</table></div>\n",
                    tr(lang, "Parameters", "Paramètres"),
                    tr(lang, "Name", "Nom"),
                    tr(lang, "In", "Dans"),
                    tr(lang, "Required", "Obligatoire"),
                    tr(lang, "Description", "Description"),
                ));
            }
            let mut responses = String::new();
            for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                responses.push_str(&format!(
                    "<dt>{}</dt><dd>{}</dd>\n",
                    escape(status),
                    escape(str_of(resolve(doc, response), "description"))
                ));
            }
            main.push_str(&format!("<dl>\n{responses}</dl>\n"));
        }
    }
    let title = tr(lang, "API definition", "Définition de l'API");
    Page {
        lang,
        base,
        title: str_of(&doc["info"], "title").to_string(),
        trail: vec![root(base)],
        current: title.to_string(),
        json_href: with_format(&format!("{base}/api"), "json"),
    }
    .render(&main)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape("<script>alert('x & \"y\"')</script>"),
            "&lt;script&gt;alert(&#39;x &amp; &quot;y&quot;&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("Café des 4 vents"), "Café des 4 vents");
    }

    #[test]
    fn browsers_get_html_and_everyone_else_json() {
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(prefers_html(None, Some(firefox)));
        assert!(!prefers_html(Some("json"), Some(firefox)));
        assert!(prefers_html(Some("html"), Some("application/json")));
        for accept in [
            None,
            Some("*/*"),
            Some("application/json"),
            Some("application/geo+json, application/json;q=0.9"),
            Some("application/json, text/html"),
            Some("text/html;q=0.5, application/json"),
            Some("image/png"),
        ] {
            assert!(!prefers_html(None, accept), "{accept:?}");
        }
    }

    #[test]
    fn rewrite_replaces_and_removes_parameters() {
        assert_eq!(
            with_format(
                "http://h/ogc/collections/initiatives/items?limit=10&f=json&cursor=abc",
                "html"
            ),
            "http://h/ogc/collections/initiatives/items?limit=10&cursor=abc&f=html"
        );
        assert_eq!(with_format("/ogc", "json"), "/ogc?f=json");
        assert_eq!(rewrite("/ogc?f=json", &["f"], &[]), "/ogc");
    }

    fn feature(name: &str) -> Value {
        json!({
            "type": "Feature", "id": "3f1c",
            "geometry": {"type": "Point", "coordinates": [-1.55, 47.2]},
            "properties": {"name": name, "categories": ["repair-cafe", "fablab"], "city": "Nantes",
                           "updated_at": "2026-01-02T03:04:05Z", "website": "https://example.org/?a=1&b=2"},
        })
    }

    #[test]
    fn an_items_page_escapes_names_and_links_to_the_next_page_and_each_item() {
        let doc = json!({
            "type": "FeatureCollection", "numberReturned": 2, "timeStamp": "2026-01-02T00:00:00Z",
            "links": [
                {"href": "http://h/ogc/collections/initiatives/items?limit=2", "rel": "self", "type": "application/geo+json"},
                {"href": "http://h/ogc/collections/initiatives/items?limit=2&cursor=xyz", "rel": "next", "type": "application/geo+json"},
            ],
            "features": [feature("<script>alert(1)</script>"), feature("Atelier vélo")],
        });
        let html = items(&doc, "http://h/ogc", Lang::Fr);
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("Atelier vélo"));
        assert!(html.contains("<html lang=\"fr\">"));
        assert!(html.contains("Page suivante"));
        assert!(html.contains(
            "href=\"http://h/ogc/collections/initiatives/items?limit=2&amp;cursor=xyz&amp;f=html\" rel=\"next\""
        ), "{html}");
        assert!(html.contains("href=\"http://h/ogc/collections/initiatives/items/3f1c?f=html\""));
        assert!(
            html.contains("repair-cafe, fablab</td><td>Nantes</td>"),
            "{html}"
        );
        assert!(
            html.contains("href=\"http://h/ogc/collections/initiatives/items?limit=2&amp;f=json\"")
        );
        assert!(html.contains("<a href=\"http://h/\">La carte publique</a>"));
    }

    #[test]
    fn an_item_page_lists_its_properties_and_coordinates() {
        let mut doc = feature("Repair & Co");
        doc["links"] = json!([{"href": "http://h/ogc/collections/initiatives/items/3f1c", "rel": "self", "type": "application/geo+json"}]);
        let html = item(&doc, "http://h/ogc", Lang::En);
        assert!(
            html.contains("<title>Repair &amp; Co — Archipel OGC API</title>"),
            "{html}"
        );
        assert!(html.contains("<dt>city</dt><dd>Nantes</dd>"), "{html}");
        assert!(html.contains("<dt>Longitude</dt><dd>-1.55</dd>"), "{html}");
        assert!(html.contains("<dt>Latitude</dt><dd>47.2</dd>"), "{html}");
        assert!(
            html.contains("<a href=\"https://example.org/?a=1&amp;b=2\">"),
            "{html}"
        );
        assert!(html.contains("<html lang=\"en\">"));
    }

    #[test]
    fn the_pages_are_html5_with_one_main_and_headings_in_order() {
        let doc = json!({"title": "T", "description": "D", "links": [
            {"href": "http://h/ogc", "rel": "self", "type": "application/json", "title": "This document"},
            {"href": "http://h/ogc/collections", "rel": "data", "type": "application/json", "title": "Collections"},
        ]});
        let html = landing(&doc, "http://h/ogc", Lang::En);
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("name=\"viewport\""));
        assert_eq!(html.matches("<main>").count(), 1);
        assert_eq!(html.matches("<h1>").count(), 1);
        assert!(html.find("<h1>") < html.find("<h2>"));
        assert!(!html.contains("style=") && !html.contains("<script"));
        assert!(
            html.contains("href=\"http://h/ogc/collections?f=html\""),
            "{html}"
        );
    }

    #[test]
    fn a_linked_feature_points_to_its_page_and_collection() {
        let (feature, text) = linked_feature(
            &feature("x").to_string(),
            "http://h/ogc/collections/initiatives",
        )
        .unwrap();
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), feature);
        let links = feature["links"].as_array().unwrap();
        let rels: Vec<_> = links.iter().map(|l| l["rel"].as_str().unwrap()).collect();
        assert_eq!(rels, ["self", "collection", "alternate"]);
        assert_eq!(
            links[2]["href"],
            "http://h/ogc/collections/initiatives/items/3f1c?f=html"
        );
        assert_eq!(links[2]["type"], "text/html");
    }
}
