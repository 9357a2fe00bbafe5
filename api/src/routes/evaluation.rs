//! The evaluation grid (`/api/v1/evaluation/criteria`), the assessments of an initiative
//! (`/api/v1/initiatives/{key}/assessments`) and a territory's evaluation as CSV.

use crate::auth::{self, Admin, Editor, MaybeCaller};
use crate::error::ApiError;
use crate::lang::Lang;
use crate::routes::initiatives::resolve_id;
use crate::routes::territories::{no_territory, parse_reference};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use archipel_store::evaluation::{self, CriterionDraft, Grid, Means};
use archipel_store::territory::{self, Level, TerritoryFilter};
use archipel_store::{FieldError, StoreError, text};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn grid_body(grid: &Grid, lang: Lang) -> Value {
    let pick = |fr: &str, en: &str| match lang {
        Lang::Fr => fr.to_string(),
        Lang::En => en.to_string(),
    };
    json!({
        "version": grid.version,
        "dimensions": grid.dimensions.iter().map(|(d, criteria)| json!({
            "slug": d.slug,
            "name": pick(&d.name_fr, &d.name_en),
            "name_fr": d.name_fr,
            "name_en": d.name_en,
            "criteria": criteria.iter().map(|c| json!({
                "slug": c.slug,
                "name": pick(&c.name_fr, &c.name_en),
                "question": pick(&c.question_fr, &c.question_en),
                "name_fr": c.name_fr,
                "name_en": c.name_en,
                "question_fr": c.question_fr,
                "question_en": c.question_en,
                "scale": {"min": c.scale_min, "max": c.scale_max, "not_applicable": true},
                "version": c.version,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// The evaluation grid: dimensions, each with its current criteria (`name` and `question` in
/// the request's language, both languages beside), their scale (`null` scores: not applicable).
#[utoipa::path(
    get, path = "/api/v1/evaluation/criteria", tag = "evaluation",
    params(("lang" = Option<String>, Query, description = "`fr` or `en` (default from Accept-Language)")),
    responses((status = 200, description = "The grid", body = GridDoc))
)]
pub async fn criteria(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::from_request(req.headers(), req.query_string());
    let grid = state.read(evaluation::grid).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::VARY, "Accept-Language"))
        .json(grid_body(&grid, lang)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    fr: String,
    en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    #[serde(deserialize_with = "whole")]
    min: i64,
    #[serde(deserialize_with = "whole")]
    max: i64,
}

/// A whole number however JSON spells it: `-3` or `-3.0`, the same integer to JSON (RFC 8259,
/// 6) and to JSON Schema, which the document's `integer` follows.
fn whole_number(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        // Past 2^53 a float no longer spells one integer.
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
            .map(|f| f as i64)
    })
}

fn whole<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    whole_number(&n).ok_or_else(|| {
        serde::de::Error::invalid_value(
            serde::de::Unexpected::Other(&n.to_string()),
            &"a whole number",
        )
    })
}

fn position<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i16>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    match whole_number(&n).map(i16::try_from) {
        Some(Ok(v)) => Ok(Some(v)),
        _ => Err(serde::de::Error::invalid_value(
            serde::de::Unexpected::Other(&n.to_string()),
            &"a whole number from -32768 to 32767",
        )),
    }
}

/// A criterion as an administrator sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionInput {
    slug: Option<String>,
    dimension: String,
    name: Texts,
    question: Texts,
    scale: Option<Scale>,
    #[serde(default, deserialize_with = "position")]
    position: Option<i16>,
}

fn checked_text(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            "invalid_text",
            text!("{} must hold 1 to {} characters", field, max;
                  "{} doit contenir de 1 à {} caractères", field, max),
        ));
    }
    value.to_string()
}

fn draft(input: &CriterionInput) -> Result<CriterionDraft, ApiError> {
    let mut errors = Vec::new();
    let name_fr = checked_text("/name/fr", &input.name.fr, 200, &mut errors);
    let name_en = checked_text("/name/en", &input.name.en, 200, &mut errors);
    let question_fr = checked_text("/question/fr", &input.question.fr, 500, &mut errors);
    let question_en = checked_text("/question/en", &input.question.en, 500, &mut errors);
    let (min, max) = input.scale.as_ref().map_or((-1, 2), |s| (s.min, s.max));
    if !(-10..=10).contains(&min) || !(-10..=10).contains(&max) || min >= max {
        errors.push(FieldError::new(
            "/scale",
            "invalid_scale",
            text!("the scale goes from min to max, whole numbers from -10 to 10 with min < max";
                  "l'échelle va de min à max, entiers de -10 à 10 avec min < max"),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Unprocessable(errors));
    }
    Ok(CriterionDraft {
        dimension: input.dimension.clone(),
        name_fr,
        name_en,
        question_fr,
        question_en,
        scale_min: min as i16,
        scale_max: max as i16,
        position: input.position.unwrap_or(0),
    })
}

fn checked_slug(raw: &str) -> Result<String, ApiError> {
    let ok = !raw.is_empty()
        && raw.len() <= 60
        && raw.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if ok {
        Ok(raw.to_string())
    } else {
        Err(ApiError::Unprocessable(vec![FieldError::new(
            "/slug",
            "invalid_slug",
            text!("a slug is lower-case letters and digits separated by single hyphens, at most 60 characters; got '{}'", raw;
                  "un identifiant est fait de minuscules et de chiffres séparés par des tirets simples, 60 caractères au plus ; reçu « {} »", raw),
        )]))
    }
}

/// Add a criterion to the grid (administrators).
#[utoipa::path(
    post, path = "/api/v1/evaluation/criteria", tag = "evaluation",
    request_body(content = CriterionAddDoc),
    responses(
        (status = 201, description = "Added (version 1)", body = CriterionDoc),
        (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn add_criterion(
    state: web::Data<AppState>,
    admin: Admin,
    body: web::Json<CriterionInput>,
) -> Result<HttpResponse, ApiError> {
    let slug = checked_slug(body.slug.as_deref().unwrap_or_default())?;
    let draft = draft(&body)?;
    let author = admin.0.name;
    let criterion = state
        .db(move |conn| evaluation::add_criterion(conn, &slug, &draft, &author))
        .await?;
    Ok(HttpResponse::Created().json(criterion))
}

/// Change a criterion (administrators): a new version; assessments keep the version they scored.
#[utoipa::path(
    put, path = "/api/v1/evaluation/criteria/{slug}", tag = "evaluation",
    params(("slug" = String, Path, description = "The criterion", pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")),
    request_body(content = CriterionRevisionDoc),
    responses(
        (status = 200, description = "The new version", body = CriterionDoc),
        (status = 403, description = "Not an administrator", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such criterion", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn revise_criterion(
    state: web::Data<AppState>,
    admin: Admin,
    slug: web::Path<String>,
    body: web::Json<CriterionInput>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    if body.slug.as_deref().is_some_and(|s| s != slug) {
        return Err(ApiError::Unprocessable(vec![FieldError::new(
            "/slug",
            "slug_mismatch",
            text!("a criterion keeps its slug; leave out /slug or repeat the one of the path";
                  "un critère garde son identifiant ; omettez /slug ou répétez celui du chemin"),
        )]));
    }
    let draft = draft(&body)?;
    let author = admin.0.name;
    let criterion = state
        .db(move |conn| evaluation::revise_criterion(conn, &slug, &draft, &author))
        .await?;
    Ok(HttpResponse::Ok().json(criterion))
}

/// An assessment as an editor sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    scores: serde_json::Map<String, Value>,
    #[serde(default)]
    evidence: String,
}

fn scores(input: &AssessmentInput) -> Result<BTreeMap<String, Option<i16>>, ApiError> {
    let mut errors = Vec::new();
    let mut scores = BTreeMap::new();
    if input.scores.is_empty() {
        errors.push(FieldError::new(
            "/scores",
            "no_scores",
            text!("give at least one score: {{\"criterion-slug\": value or null}}";
                  "donnez au moins une note : {{\"identifiant-du-critère\": valeur ou null}}"),
        ));
    }
    for (slug, value) in &input.scores {
        let field = format!("/scores/{slug}");
        match value {
            Value::Null => {
                scores.insert(slug.clone(), None);
            }
            Value::Number(n) => match whole_number(n) {
                Some(v) => {
                    // Out of range of any scale: the store reports it against the criterion's.
                    scores.insert(slug.clone(), Some(v.clamp(-1000, 1000) as i16));
                }
                None => errors.push(FieldError::new(
                    field,
                    "not_a_whole_number",
                    text!("a score is a whole number of the criterion's scale, or null for not applicable";
                          "une note est un entier de l'échelle du critère, ou null si non applicable"),
                )),
            },
            _ => errors.push(FieldError::new(
                field,
                "not_a_whole_number",
                text!("a score is a whole number of the criterion's scale, or null for not applicable";
                      "une note est un entier de l'échelle du critère, ou null si non applicable"),
            )),
        }
    }
    if input.evidence.chars().count() > 10_000 {
        errors.push(FieldError::new(
            "/evidence",
            "too_long",
            text!("evidence is limited to 10000 characters"; "la justification est limitée à 10000 caractères"),
        ));
    }
    if errors.is_empty() {
        Ok(scores)
    } else {
        Err(ApiError::Unprocessable(errors))
    }
}

/// Assess an initiative (editors): scores by criterion slug (a whole number of its scale, or
/// `null` for not applicable) and the evidence. Every assessment is kept; the latest counts.
#[utoipa::path(
    post, path = "/api/v1/initiatives/{key}/assessments", tag = "evaluation",
    params(("key" = String, Path, description = "The initiative's id or slug")),
    request_body(content = AssessmentInputDoc),
    responses(
        (status = 201, description = "Recorded", body = archipel_store::evaluation::Assessment),
        (status = 401, description = "No or unknown token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an editor", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such initiative", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown criterion, value outside its scale, or no score", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn assess(
    state: web::Data<AppState>,
    editor: Editor,
    key: web::Path<String>,
    body: web::Json<AssessmentInput>,
) -> Result<HttpResponse, ApiError> {
    let scores = scores(&body)?;
    let id = resolve_id(&state, key.into_inner()).await?;
    let evidence = body.evidence.trim().to_string();
    let assessor = editor.0.name;
    let assessment = state
        .db(move |conn| {
            exists(conn, id)?;
            evaluation::assess(conn, id, &scores, &evidence, &assessor)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(assessment))
}

fn exists(conn: &mut diesel::PgConnection, id: uuid::Uuid) -> Result<(), StoreError> {
    use archipel_store::initiative::{self, Key, Representation};
    initiative::get(conn, &Key::Id(id), Representation::Json)?
        .map(|_| ())
        .ok_or(StoreError::NotFound)
}

/// The assessments of an initiative, newest first: editors only, unless the authority made them
/// public (`ARCHIPEL_ASSESSMENTS_PUBLIC`); the means per territory are always public.
#[utoipa::path(
    get, path = "/api/v1/initiatives/{key}/assessments", tag = "evaluation",
    params(("key" = String, Path, description = "The initiative's id or slug")),
    responses(
        (status = 200, description = "Assessments, newest first", body = AssessmentListDoc),
        (status = 401, description = "No token while assessments are not public", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an editor while assessments are not public", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such initiative", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = []))
)]
pub async fn assessments(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if !state.settings.assessments_public {
        match &caller.0 {
            None => {
                return Err(ApiError::Unauthorized(text!(
                    "the assessments of an initiative are for editors; send an editor token";
                    "les évaluations d'une initiative sont réservées aux éditeurs ; envoyez un jeton d'éditeur")));
            }
            Some(c) => auth::require_editor(c)?,
        }
    }
    let id = resolve_id(&state, key.into_inner()).await?;
    let history = state
        .db(move |conn| {
            exists(conn, id)?;
            evaluation::history(conn, id)
        })
        .await?;
    let cache = if state.settings.assessments_public {
        "public, no-cache"
    } else {
        "private, no-store"
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, cache))
        .json(json!({ "assessments": history })))
}

/// The parent a territory is compared with: its EPCI, else its département, else its région
/// (when imported); `None`: compared with every assessed initiative.
fn comparison_parent(
    conn: &mut diesel::PgConnection,
    found: &TerritoryFilter,
    parents: &[(Level, String)],
) -> Result<Option<TerritoryFilter>, StoreError> {
    for (level, code) in parents {
        if *level as u8 <= found.level as u8 {
            continue;
        }
        let r = territory::TerritoryRef {
            level: Some(*level),
            code: code.clone(),
        };
        if let Some(parent) = territory::resolve(conn, &r)? {
            return Ok(Some(parent));
        }
    }
    Ok(None)
}

/// A territory's means beside those of what it is compared with, and the grid they follow.
pub struct Comparison {
    /// `None`: compared with every assessed initiative.
    parent: Option<TerritoryFilter>,
    grid: Grid,
    here: Means,
    compared: Means,
}

impl Comparison {
    /// Reads the comparison of territory `found`.
    pub fn load(
        conn: &mut diesel::PgConnection,
        found: &TerritoryFilter,
    ) -> Result<Self, StoreError> {
        let parents = territory::parent_codes(conn, found)?;
        let parent = comparison_parent(conn, found, &parents)?;
        let grid = evaluation::grid(conn)?;
        let here = evaluation::means(conn, Some(found))?;
        let compared = evaluation::means(conn, parent.as_ref())?;
        Ok(Comparison {
            parent,
            grid,
            here,
            compared,
        })
    }

    /// The [`Summary`], as JSON, of a territory with this many published initiatives.
    pub fn summary(&self, initiatives: i64) -> Value {
        summary(
            &self.grid,
            &self.here,
            &self.compared,
            self.parent.as_ref(),
            initiatives,
        )
    }

    /// The CSV of `territory_csv`: a header, then a row per dimension, each followed by its
    /// criteria.
    fn csv(&self, found: &TerritoryFilter) -> String {
        let (parent_level, parent_code) =
            self.parent.as_ref().map_or(("all", String::new()), |p| {
                (p.level.as_str(), p.code.clone())
            });
        let mut csv = String::from(
            "level,code,dimension,criterion,name_fr,name_en,mean,assessed,compared_level,compared_code,compared_mean\r\n",
        );
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let number = |v: Option<&(f64, i64)>| v.map(|(m, _)| m.to_string()).unwrap_or_default();
        let mut row =
            |dimension: &str, criterion: &str, fr: &str, en: &str, key: &str, dim: bool| {
                let (mine, theirs) = if dim {
                    (
                        self.here.dimensions.get(key),
                        self.compared.dimensions.get(key),
                    )
                } else {
                    (self.here.criteria.get(key), self.compared.criteria.get(key))
                };
                csv.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{},{}\r\n",
                    found.level.as_str(),
                    quote(&found.code),
                    quote(dimension),
                    quote(criterion),
                    quote(fr),
                    quote(en),
                    number(mine),
                    mine.map_or(0, |(_, n)| *n),
                    parent_level,
                    quote(&parent_code),
                    number(theirs),
                ));
            };
        for (d, criteria) in &self.grid.dimensions {
            row(&d.slug, "", &d.name_fr, &d.name_en, &d.slug, true);
            for c in criteria {
                row(&d.slug, &c.slug, &c.name_fr, &c.name_en, &c.slug, false);
            }
        }
        csv
    }
}

/// The evaluation part of a territory's figures: means per dimension and criterion, how many
/// initiatives are assessed, beside the parent's (or all data's).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = TerritoryEvaluation)]
pub struct Summary {
    /// Published initiatives here with an assessment.
    pub assessed: i64,
    /// `assessed` over the published initiatives (3 decimals); null without initiatives.
    #[schema(required = true)]
    pub share_assessed: Option<f64>,
    pub compared_with: ComparedWith,
    /// Assessed initiatives of what the territory is compared with.
    pub compared_assessed: i64,
    pub dimensions: Vec<DimensionMeans>,
}

/// The parent a territory is compared with, or `all` (every assessed initiative, no code).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ComparedWith {
    #[schema(schema_with = compared_levels)]
    pub level: &'static str,
    #[schema(required = true)]
    pub code: Option<String>,
}

fn compared_levels() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    archipel_store::openapi::one_of(Level::ALL.iter().map(|l| l.as_str()).chain(["all"]))
}

/// The means of a criterion (or a dimension), here and in what the territory is compared with.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CriterionMeans {
    pub slug: String,
    pub name_fr: String,
    pub name_en: String,
    /// Null when nothing here is scored.
    #[schema(required = true)]
    pub mean: Option<f64>,
    /// Initiatives scored.
    pub assessed: i64,
    #[schema(required = true)]
    pub compared_mean: Option<f64>,
}

/// A dimension's means, and its criteria's.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DimensionMeans {
    #[serde(flatten)]
    pub means: CriterionMeans,
    pub criteria: Vec<CriterionMeans>,
}

/// The [`Summary`] of a territory, as JSON.
fn summary(
    grid: &Grid,
    here: &Means,
    parent: &Means,
    parent_ref: Option<&TerritoryFilter>,
    initiatives: i64,
) -> Value {
    let means = |dim: bool, slug: &str, name_fr: &str, name_en: &str| {
        let pick = |m: &Means| {
            if dim { &m.dimensions } else { &m.criteria }
                .get(slug)
                .copied()
        };
        CriterionMeans {
            slug: slug.to_string(),
            name_fr: name_fr.to_string(),
            name_en: name_en.to_string(),
            mean: pick(here).map(|(mean, _)| mean),
            assessed: pick(here).map_or(0, |(_, n)| n),
            compared_mean: pick(parent).map(|(mean, _)| mean),
        }
    };
    let summary = Summary {
        assessed: here.assessed,
        share_assessed: (initiatives > 0)
            .then(|| (here.assessed as f64 / initiatives as f64 * 1000.0).round() / 1000.0),
        compared_with: match parent_ref {
            Some(p) => ComparedWith {
                level: p.level.as_str(),
                code: Some(p.code.clone()),
            },
            None => ComparedWith {
                level: "all",
                code: None,
            },
        },
        compared_assessed: parent.assessed,
        dimensions: grid
            .dimensions
            .iter()
            .map(|(d, criteria)| DimensionMeans {
                means: means(true, &d.slug, &d.name_fr, &d.name_en),
                criteria: criteria
                    .iter()
                    .map(|c| means(false, &c.slug, &c.name_fr, &c.name_en))
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_value(summary).unwrap_or_default()
}

/// The evaluation of a territory, as CSV: one row per dimension and per criterion.
#[utoipa::path(
    get, path = "/api/v1/territories/{code}/evaluation.csv", tag = "territories",
    params(("code" = String, Path, description = "A territory code, as in /api/v1/territories/{code}")),
    responses(
        (status = 200, description = "level,code,dimension,criterion,name_fr,name_en,mean,assessed,compared_level,compared_code,compared_mean", content_type = "text/csv"),
        (status = 400, description = "Not a territory code", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No territory has this code", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn territory_csv(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reference = parse_reference(&code)?;
    let (found, comparison) = state
        .read(move |conn| {
            let Some(found) = territory::resolve(conn, &reference)? else {
                return Ok(None);
            };
            let comparison = Comparison::load(conn, &found)?;
            Ok(Some((found, comparison)))
        })
        .await?
        .ok_or_else(no_territory)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"evaluation-{}-{}.csv\"",
                found.level.as_str(),
                found.code
            ),
        ))
        .body(comparison.csv(&found)))
}

// The wire forms of this module's bodies and envelopes, for the OpenAPI document.

/// Not blank (Unicode White_Space, what the server trims, is not enough), and no NUL character,
/// which text may not hold (400).
const TEXT_PATTERN: &str = r"^[^\u0000]*[^\u0000\u0009-\u000d \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000]*$";

fn text_of(max_length: usize) -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(max_length))
        .pattern(Some(TEXT_PATTERN))
        .build()
}

fn name_text() -> utoipa::openapi::schema::Object {
    text_of(200)
}

fn question_text() -> utoipa::openapi::schema::Object {
    text_of(500)
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ScaleDoc {
    #[schema(example = -1)]
    min: i32,
    #[schema(example = 2)]
    max: i32,
    /// Always true: `null` scores mean "not applicable".
    not_applicable: bool,
}

/// A criterion of the grid.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct GridCriterionDoc {
    slug: String,
    /// In the request's language.
    name: String,
    /// The guiding question, in the request's language.
    question: String,
    name_fr: String,
    name_en: String,
    question_fr: String,
    question_en: String,
    scale: ScaleDoc,
    version: i32,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct GridDimensionDoc {
    slug: String,
    name: String,
    name_fr: String,
    name_en: String,
    criteria: Vec<GridCriterionDoc>,
}

/// The evaluation grid.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct GridDoc {
    /// Grows with every criterion added or changed.
    version: i64,
    dimensions: Vec<GridDimensionDoc>,
}

/// A name in both languages: not blank, without NUL characters, at most 200 characters.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct TextsDoc {
    #[schema(schema_with = name_text)]
    fr: String,
    #[schema(schema_with = name_text)]
    en: String,
}

/// A guiding question in both languages: not blank, without NUL characters, at most 500
/// characters.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct QuestionsDoc {
    #[schema(schema_with = question_text)]
    fr: String,
    #[schema(schema_with = question_text)]
    en: String,
}

/// Whole numbers from -10 to 10, `min` < `max`.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ScaleInputDoc {
    #[schema(minimum = -10, maximum = 10)]
    min: i32,
    #[schema(minimum = -10, maximum = 10)]
    max: i32,
}

/// A criterion as administrators add it.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct CriterionAddDoc {
    #[schema(
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$",
        max_length = 60,
        example = "repair-rate"
    )]
    slug: String,
    #[schema(pattern = "^(environment|social|economy|governance|territorial-anchoring)$")]
    dimension: String,
    name: TextsDoc,
    question: QuestionsDoc,
    /// Default −1 to 2.
    scale: Option<ScaleInputDoc>,
    /// Default 0.
    #[schema(minimum = -32768, maximum = 32767)]
    position: Option<i32>,
}

/// A criterion as administrators change it. It keeps its slug: `slug` is left out, null, or the
/// path's.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct CriterionRevisionDoc {
    #[schema(
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$",
        max_length = 60,
        required = false
    )]
    slug: Option<String>,
    #[schema(pattern = "^(environment|social|economy|governance|territorial-anchoring)$")]
    dimension: String,
    name: TextsDoc,
    question: QuestionsDoc,
    /// Default −1 to 2.
    scale: Option<ScaleInputDoc>,
    /// Default 0.
    #[schema(minimum = -32768, maximum = 32767)]
    position: Option<i32>,
}

/// A stored version of a criterion.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CriterionDoc {
    slug: String,
    version: i32,
    dimension: String,
    name_fr: String,
    name_en: String,
    question_fr: String,
    question_en: String,
    scale_min: i32,
    scale_max: i32,
    position: i32,
}

/// An assessment as an editor sends it.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct AssessmentInputDoc {
    /// Criterion slug → a whole number of its scale, or null for "not applicable".
    #[schema(value_type = std::collections::BTreeMap<String, Option<i16>>, example = json!({"longer-life": 2, "waste-avoided": 1, "local-jobs": null}))]
    scores: serde_json::Value,
    /// What the scores rest on (at most 10000 characters).
    #[schema(max_length = 10000, required = false)]
    evidence: String,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AssessmentListDoc {
    assessments: Vec<archipel_store::evaluation::Assessment>,
}
