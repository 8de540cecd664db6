//! The OpenAPI 3 document, generated from the handlers' annotations and
//! served at `/api/v1/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{
    ai, alerts, community, goals, legal, live, market, me, plans, portfolios, risk,
};

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "AuraVest API",
        description = "The AuraVest reference server. Money and quantities are decimal strings, weights are fractions, dates are YYYY-MM-DD and instants RFC 3339. Errors are `{\"error\": {\"code\", \"message\", \"fields\"?}}`. AuraVest is not a registered investment adviser; the information is for education only."
    ),
    paths(
        legal::legal,
        crate::auth::register, crate::auth::login, crate::auth::refresh, crate::auth::logout,
        me::get_me, me::patch_me, me::export, me::delete_me, me::usage,
        risk::questionnaire, risk::answer, risk::profile,
        portfolios::list, portfolios::create, portfolios::get_one, portfolios::rename, portfolios::delete,
        portfolios::transactions, portfolios::transactions_csv, portfolios::add_transaction, portfolios::edit_transaction,
        portfolios::delete_transaction, portfolios::import, portfolios::dashboard, portfolios::valuation,
        portfolios::performance, portfolios::insights, portfolios::prices_csv, portfolios::refresh,
        portfolios::own_prices, portfolios::put_own_price, portfolios::delete_own_price,
        goals::list, goals::create, goals::get_one, goals::update, goals::delete, goals::badges,
        market::quotes, market::history, market::status, market::search, market::news,
        ai::ask, ai::ask_stream, ai::summary, ai::feedback, ai::checklist, ai::check_item, ai::uncheck_item,
        community::create_post, community::get_post, community::delete_post,
        community::create_comment, community::list_comments, community::like, community::unlike,
        community::flag, community::feed, community::symbol_posts, community::trending_tickers,
        community::profile, community::follow, community::unfollow, community::notifications,
        community::mark_read, community::moderation_queue, community::remove_post,
        community::restore_post, community::share_performance, community::top_performers,
        live::live,
        community::conversations, community::message_settings, community::thread,
        community::send_message, community::block, community::unblock, community::report_message,
        community::reported_messages, community::resolve_report, community::send_feedback, community::feedback_queue,
        community::resolve_feedback, community::ban_member, community::symbol_sentiment,
        alerts::watchlist, alerts::watch, alerts::unwatch, alerts::alerts, alerts::create_alert,
        alerts::delete_alert, plans::plans, plans::notify_me,
        community::top_contributors, community::list_posts, community::mark_helpful,
        community::unmark_helpful, community::member_posts, community::most_held,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail, crate::error::ErrorCode,
        auravest_social::PinnedMessage)),
    modifiers(&Bearer, &Conventions, &Links, &PagePinned),
    tags(
        (name = "auth", description = "Registration, login and tokens"),
        (name = "me", description = "Profile, export, deletion and usage"),
        (name = "portfolios", description = "Portfolios, valuation, performance and insights"),
        (name = "transactions", description = "A portfolio's transactions"),
        (name = "risk", description = "The risk questionnaire and profile"),
        (name = "goals", description = "Goals and badges"),
        (name = "market", description = "Delayed quotes and history"),
        (name = "assistant", description = "The AI assistant and learning"),
        (name = "legal", description = "Terms, privacy and About our AI"),
        (name = "community", description = "Posts, cashtags, feeds, follows, performance shares, leaderboards, notifications, moderation and live events"),
        (name = "alerts", description = "Watchlists and price alerts"),
    )
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The `pinned` field of each feed page (`auravest_social::Page`): the
/// first page of the public feed carries the welcome message there. Serde
/// only writes the field (`skip_deserializing`), and utoipa leaves out a
/// field serde skips either way, so it is put back here.
struct PagePinned;

impl Modify for PagePinned {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{Object, OneOfBuilder, Schema, Type};
        use utoipa::openapi::{Ref, RefOr};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (name, schema) in &mut components.schemas {
            if !name.starts_with("Page_") {
                continue;
            }
            if let RefOr::T(Schema::Object(page)) = schema {
                let pinned = OneOfBuilder::new()
                    .item(Object::with_type(Type::Null))
                    .item(Ref::from_schema_name("PinnedMessage"))
                    .description(Some(
                        "The pinned welcome message, on the first page of the public feed.",
                    ));
                page.properties.insert("pinned".to_owned(), pinned.into());
            }
        }
    }
}

/// What every operation shares, added where an annotation left it out:
/// its path parameters (taken from the path template: `id` and `tx` are
/// UUIDs, the rest strings) and the errors the server's layers can answer
/// on any route, each in the JSON error shape: 400 (a malformed path
/// parameter or query string), 401 (on authenticated routes), 404, 413
/// (with a body), 422, 429 (the per-IP and per-user limits), 500 and 503
/// (a dependency, the database being busy, or the request's time limit).
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        use utoipa::openapi::{ContentBuilder, Ref, Required, ResponseBuilder};
        let error = |why: &str| {
            ResponseBuilder::new()
                .description(why)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for (path, item) in &mut openapi.paths.paths {
            let names: Vec<String> = path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(str::to_owned)
                .collect();
            let ops: [&mut Option<Operation>; 5] = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in ops.into_iter().flatten() {
                let params = op.parameters.get_or_insert_with(Vec::new);
                for name in &names {
                    let declared = params
                        .iter()
                        .any(|p| &p.name == name && p.parameter_in == ParameterIn::Path);
                    if declared {
                        continue;
                    }
                    let mut schema = ObjectBuilder::new().schema_type(Type::String);
                    if name == "id" || name == "tx" {
                        schema = schema.format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
                    }
                    params.push(
                        ParameterBuilder::new()
                            .name(name)
                            .parameter_in(ParameterIn::Path)
                            .required(Required::True)
                            .schema(Some(schema.build()))
                            .build(),
                    );
                }
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let with_body = op.request_body.is_some();
                let mut errors = vec![
                    ("400", "A malformed path parameter or query string"),
                    ("404", "No such resource (or not the caller's)"),
                    ("422", "A field is invalid (named in `fields`)"),
                    ("429", "Too many requests; see Retry-After"),
                    ("500", "An internal error; the log has the request id"),
                    (
                        "503",
                        "A dependency is unavailable, the database is busy, or the request took too long",
                    ),
                ];
                if secured {
                    errors.push(("401", "Not signed in, or the token has expired"));
                }
                if with_body {
                    errors.push(("413", "The request body is too large"));
                }
                for (code, why) in errors {
                    op.responses
                        .responses
                        .entry(code.to_owned())
                        .or_insert_with(|| error(why).into());
                }
            }
        }
    }
}

/// Links from each operation that creates a resource (a 201 with its `id`
/// in the body) to the operations on it (paths below the creating path
/// whose next segment is a parameter), and from an answer to its feedback:
/// clients and stateful API testers can follow them. Operation ids are made
/// unique (a name two modules share is prefixed with its tag).
struct Links;

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use std::collections::BTreeMap;
        use utoipa::openapi::link::LinkBuilder;
        use utoipa::openapi::path::Operation;
        fn ops(item: &mut utoipa::openapi::path::PathItem) -> Vec<(&'static str, &mut Operation)> {
            [
                ("get", &mut item.get),
                ("post", &mut item.post),
                ("put", &mut item.put),
                ("patch", &mut item.patch),
                ("delete", &mut item.delete),
            ]
            .into_iter()
            .filter_map(|(m, op)| op.as_mut().map(|op| (m, op)))
            .collect()
        }
        // Unique operation ids.
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for item in openapi.paths.paths.values_mut() {
            for (_, op) in ops(item) {
                if let Some(id) = &op.operation_id {
                    *seen.entry(id.clone()).or_default() += 1;
                }
            }
        }
        for item in openapi.paths.paths.values_mut() {
            for (_, op) in ops(item) {
                let tag = op.tags.as_ref().and_then(|t| t.first()).cloned();
                if let (Some(id), Some(tag)) = (op.operation_id.clone(), tag)
                    && seen.get(&id).copied().unwrap_or(0) > 1
                {
                    op.operation_id = Some(format!("{tag}_{id}"));
                }
            }
        }
        // The operations on each path, for the links to point at.
        let targets: Vec<(String, Vec<&'static str>)> = openapi
            .paths
            .paths
            .iter_mut()
            .map(|(path, item)| {
                (
                    path.clone(),
                    ops(item).into_iter().map(|(m, _)| m).collect(),
                )
            })
            .collect();
        let pointer = |path: &str, method: &str| {
            format!(
                "#/paths/{}/{method}",
                path.replace('~', "~0").replace('/', "~1")
            )
        };
        let params_of = |path: &str| -> Vec<String> {
            path.split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(str::to_owned)
                .collect()
        };
        for (path, item) in &mut openapi.paths.paths {
            for (method, op) in ops(item) {
                let (status, id_at) =
                    if method == "post" && op.responses.responses.contains_key("201") {
                        ("201", "$response.body#/id")
                    } else if method == "post" && path.ends_with("/ask") {
                        ("200", "$response.body#/answer/id")
                    } else {
                        continue;
                    };
                let base = if path.ends_with("/ask") {
                    path.trim_end_matches("/ask").to_owned() + "/answers"
                } else {
                    path.clone()
                };
                let inherited = params_of(path);
                let mut links = BTreeMap::new();
                for (target, methods) in &targets {
                    let Some(rest) = target.strip_prefix(&format!("{base}/{{")) else {
                        continue;
                    };
                    let Some(param) = rest.split('}').next() else {
                        continue;
                    };
                    for m in methods {
                        let mut link = LinkBuilder::new()
                            .operation_ref(pointer(target, m))
                            .parameter(param, id_at);
                        for p in &inherited {
                            if p != param {
                                link = link.parameter(p.clone(), format!("$request.path.{p}"));
                            }
                        }
                        let name = format!(
                            "{m}{}",
                            target[base.len()..].replace(['/', '{', '}', '.'], "_")
                        );
                        links.insert(name, link.build().into());
                    }
                }
                if links.is_empty() {
                    continue;
                }
                if let Some(utoipa::openapi::RefOr::T(response)) =
                    op.responses.responses.get_mut(status)
                {
                    response.links.extend(links);
                }
            }
        }
    }
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as JSON, as served: utoipa writes a link's fields in
/// snake case (`operation_ref`), which OpenAPI spells in camel case
/// (`operationRef`); the links are put right here.
pub fn document_json() -> serde_json::Value {
    let mut doc = serde_json::to_value(document()).unwrap_or_default();
    if let Some(paths) = doc
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    {
        for op in paths
            .values_mut()
            .filter_map(serde_json::Value::as_object_mut)
        {
            for responses in op
                .values_mut()
                .filter_map(|o| o.get_mut("responses"))
                .filter_map(serde_json::Value::as_object_mut)
            {
                for links in responses
                    .values_mut()
                    .filter_map(|r| r.get_mut("links"))
                    .filter_map(serde_json::Value::as_object_mut)
                {
                    for link in links
                        .values_mut()
                        .filter_map(serde_json::Value::as_object_mut)
                    {
                        for (from, to) in [
                            ("operation_ref", "operationRef"),
                            ("operation_id", "operationId"),
                            ("request_body", "requestBody"),
                        ] {
                            if let Some(v) = link.remove(from) {
                                link.insert(to.to_owned(), v);
                            }
                        }
                    }
                }
            }
        }
    }
    doc
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> Json<serde_json::Value> {
    Json(document_json())
}
