//! The OpenAPI document is a typed contract: no response body is a bare
//! `object` (clients cannot be generated from one), and what the server
//! answers matches the schemas the document gives.

use std::collections::BTreeSet;

use auravest_reference_server::auth::grant_role;
use auravest_reference_server::store::Role;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    TestApp, TestOptions, TestUser, app, app_with, sample_portfolio, take_questionnaire,
};

async fn document(app: &TestApp) -> Value {
    let (s, doc) = app
        .json("GET", "/api/v1/openapi.json", None, Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    doc
}

/// The component a `$ref` names (`#/components/schemas/X` or
/// `#/components/responses/X`), with its name.
fn target<'a>(doc: &'a Value, reference: &str) -> Option<(&'a Value, String)> {
    let (kind, name) = reference.strip_prefix("#/components/")?.split_once('/')?;
    doc["components"][kind]
        .get(name)
        .map(|s| (s, format!("{kind}/{name}")))
}

/// Every response body schema: (where, schema).
fn response_schemas(doc: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let Some(responses) = op.get("responses").and_then(Value::as_object) else {
                continue;
            };
            for (status, response) in responses {
                let response = match response.get("$ref").and_then(Value::as_str) {
                    Some(r) => target(doc, r).expect("response component").0,
                    None => response,
                };
                let Some(content) = response.get("content").and_then(Value::as_object) else {
                    continue;
                };
                for (media, body) in content {
                    if let Some(schema) = body.get("schema") {
                        out.push((format!("{method} {path} {status} {media}"), schema));
                    }
                }
            }
        }
    }
    out
}

fn types(schema: &Value) -> Vec<&str> {
    match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn described(schema: &Value) -> bool {
    schema["description"]
        .as_str()
        .is_some_and(|d| !d.trim().is_empty())
}

fn composite(schema: &Value) -> bool {
    ["allOf", "oneOf", "anyOf"]
        .iter()
        .any(|k| schema.get(*k).is_some())
}

/// Whether a schema says something about its values' shape: a type, a
/// reference, a composition or an enumeration.
fn typed(schema: &Value) -> bool {
    !types(schema).is_empty()
        || schema.get("$ref").is_some()
        || composite(schema)
        || schema.get("enum").is_some()
        || schema.get("const").is_some()
}

/// Collects, as `where: why`, every place in `schema` (following `$ref`s,
/// once each, and properties, items, `additionalProperties` and
/// compositions) that leaves a body untyped:
///
/// - an `object` with no `properties`, no composition and no typed
///   `additionalProperties` (a bare `{"type": "object"}`), unless it is
///   free-form on purpose: `additionalProperties` given and a description
///   saying what goes in it (a nudge's `evidence`, for one);
/// - a schema with no type at all (any JSON) that no description explains
///   (a tool's arguments and results are such, and say so), unless the
///   schema it sits in (its property, map or alternative) is described.
fn untyped(
    doc: &Value,
    schema: &Value,
    at: &str,
    parent_described: bool,
    seen: &mut BTreeSet<String>,
    out: &mut Vec<String>,
) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        match target(doc, reference) {
            Some((component, name)) => {
                if seen.insert(name.clone()) {
                    untyped(doc, component, &name, false, seen, out);
                }
            }
            None => out.push(format!("{at}: dangling reference {reference}")),
        }
        return;
    }
    let here = described(schema) || parent_described;
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .filter(|p| !p.is_empty());
    let extra = schema.get("additionalProperties");
    if types(schema).contains(&"object") && props.is_none() && !composite(schema) {
        match extra {
            Some(e) if e.is_object() && typed(e) => {}
            Some(_) if here => {}
            Some(_) => out.push(format!(
                "{at}: a free-form object without a description of what it holds"
            )),
            None => out.push(format!(
                "{at}: a bare object (no properties, additionalProperties or $ref)"
            )),
        }
    }
    if !typed(schema) && !here {
        out.push(format!("{at}: any JSON, without a description"));
    }
    if let Some(props) = props {
        for (name, prop) in props {
            untyped(doc, prop, &format!("{at}.{name}"), false, seen, out);
        }
    }
    if let Some(items) = schema.get("items").filter(|i| i.is_object()) {
        untyped(doc, items, &format!("{at}[]"), here, seen, out);
    }
    if let Some(items) = schema.get("prefixItems").and_then(Value::as_array) {
        for (i, item) in items.iter().enumerate() {
            untyped(doc, item, &format!("{at}[{i}]"), here, seen, out);
        }
    }
    if let Some(extra) = extra.filter(|e| e.is_object()) {
        untyped(doc, extra, &format!("{at}{{*}}"), here, seen, out);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, alt) in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            untyped(doc, alt, &format!("{at}.{key}[{i}]"), here, seen, out);
        }
    }
}

/// Every untyped place in the document's response bodies, and how many
/// components were looked at.
fn untyped_responses(doc: &Value) -> (Vec<String>, usize) {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (at, schema) in response_schemas(doc) {
        untyped(doc, schema, &at, false, &mut seen, &mut out);
    }
    (out, seen.len())
}

#[test]
fn the_walk_finds_bare_objects_however_deep() {
    let doc = json!({
        "paths": {
            "/a": {"get": {"responses": {"200": {"content": {"application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/A"}}
            }}}}}},
            "/b": {"get": {"responses": {"200": {"content": {"application/json": {
                "schema": {"type": "object"}
            }}}}}},
        },
        "components": {"schemas": {
            "A": {"type": "object", "properties": {
                "ok": {"type": "string"},
                "map": {"type": "object", "additionalProperties": {"type": "integer"}},
                "free": {"type": "object", "additionalProperties": {}, "description": "Anything: why"},
                "nested": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/B"}]},
            }},
            "B": {"type": "object", "properties": {
                "list": {"type": "array", "items": {"type": "object"}},
                "loose": {"type": "object", "additionalProperties": true},
                "any": {},
            }},
        }},
    });
    let (found, components) = untyped_responses(&doc);
    assert_eq!(components, 2);
    assert_eq!(
        found,
        [
            "schemas/B.any: any JSON, without a description",
            "schemas/B.list[]: a bare object (no properties, additionalProperties or $ref)",
            "schemas/B.loose: a free-form object without a description of what it holds",
            "get /b 200 application/json: a bare object (no properties, additionalProperties or $ref)",
        ]
    );
}

#[tokio::test]
async fn no_response_body_is_a_bare_object() {
    let app = app().await;
    let doc = document(&app).await;
    let (found, components) = untyped_responses(&doc);
    assert!(
        found.is_empty(),
        "untyped response bodies:\n{}",
        found.join("\n")
    );
    // The walk reached the SDK's types, not only the server's.
    assert!(components > 40, "only {components} components walked");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "PostView",
        "ProfileView",
        "NotificationView",
        "MemberExport",
        "Nudge",
        "GoalProgress",
        "Badge",
        "ChecklistItem",
        "Questionnaire",
        "RiskProfile",
        "Answer",
        "PortfolioSummary",
    ] {
        assert!(schemas.contains_key(name), "no {name} schema");
    }
}

// --- the answers match the document -------------------------------------------

/// Checks `value` against `schema`, collecting `where: why`. `strict`: a
/// key the schema's properties do not name is an error (the server never
/// sends undocumented fields); compositions check their parts loosely and
/// then the keys against the union of the parts' properties.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str, strict: bool) -> Vec<String> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let Some((component, _)) = target(doc, reference) else {
            return vec![format!("{at}: dangling reference {reference}")];
        };
        return conforms(doc, component, value, at, strict);
    }
    let mut errors = Vec::new();
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            errors.extend(conforms(doc, part, value, at, false));
        }
        if strict && let (Some(obj), Some(known)) = (value.as_object(), known_keys(doc, schema)) {
            for key in obj.keys().filter(|k| !known.contains(*k)) {
                errors.push(format!("{at}.{key}: not in the schema"));
            }
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = schema.get(key).and_then(Value::as_array) {
            let fits = alts
                .iter()
                .filter(|alt| conforms(doc, alt, value, at, strict).is_empty())
                .count();
            let ok = if key == "oneOf" { fits == 1 } else { fits >= 1 };
            if !ok {
                errors.push(format!("{at}: {fits} alternatives of {key} fit {value}"));
            }
        }
    }
    let ts = types(schema);
    if !ts.is_empty() {
        let fits = ts.iter().any(|t| match *t {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => false,
        });
        if !fits {
            errors.push(format!("{at}: {value} is not of type {ts:?}"));
            return errors;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Some(obj) = value.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for key in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(key) {
                errors.push(format!("{at}.{key}: required, missing"));
            }
        }
        for (key, v) in obj {
            match (
                props.and_then(|p| p.get(key)),
                schema.get("additionalProperties"),
            ) {
                (Some(prop), _) => {
                    errors.extend(conforms(doc, prop, v, &format!("{at}.{key}"), true))
                }
                (None, Some(extra)) if extra.is_object() => {
                    errors.extend(conforms(doc, extra, v, &format!("{at}.{key}"), true));
                }
                (None, Some(_)) => {}
                (None, None) if strict && props.is_some() => {
                    errors.push(format!("{at}.{key}: not in the schema"));
                }
                (None, None) => {}
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, v) in list.iter().enumerate() {
            errors.extend(conforms(doc, items, v, &format!("{at}[{i}]"), true));
        }
    }
    errors
}

/// The property names an `allOf` allows, its parts' together; `None` when
/// a part takes any key.
fn known_keys(doc: &Value, schema: &Value) -> Option<BTreeSet<String>> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return known_keys(doc, target(doc, reference)?.0);
    }
    if schema.get("additionalProperties").is_some() {
        return None;
    }
    let mut keys: BTreeSet<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        keys.extend(known_keys(doc, part)?);
    }
    Some(keys)
}

/// Calls the API and checks the answer against the document's schema for
/// the operation (`template` is the documented path) and the status.
struct Checker<'a> {
    app: &'a TestApp,
    doc: Value,
    errors: Vec<String>,
    checked: BTreeSet<String>,
}

impl Checker<'_> {
    async fn call(
        &mut self,
        method: &str,
        template: &str,
        path: &str,
        user: &TestUser,
        body: Value,
    ) -> (StatusCode, Value) {
        let (status, answer) = self.app.json(method, path, Some(&user.access), body).await;
        let op = format!("{method} {template} {}", status.as_u16());
        let response =
            &self.doc["paths"][template][method.to_lowercase()]["responses"][status.as_str()];
        if response.is_null() {
            self.errors.push(format!("{op}: not documented ({answer})"));
            return (status, answer);
        }
        match response["content"]["application/json"].get("schema") {
            Some(schema) => {
                self.errors
                    .extend(conforms(&self.doc, schema, &answer, &op, true));
            }
            None if answer.is_null() => {}
            None => self.errors.push(format!("{op}: a body the document lacks")),
        }
        self.checked.insert(op);
        (status, answer)
    }
}

#[tokio::test]
async fn answers_match_the_documented_schemas() {
    let app = app_with(TestOptions {
        ai: true,
        ..TestOptions::default()
    })
    .await;
    let doc = document(&app).await;
    let ann = app.user("ann@example.com").await;
    let bob = app.user("bob@example.com").await;
    let eve = app.user("eve@example.com").await;
    grant_role(
        app.state.store.as_ref(),
        &app.state.keys,
        "eve@example.com",
        Role::Moderator,
    )
    .await
    .expect("grant moderator");
    let id = sample_portfolio(&app, &ann).await;
    take_questionnaire(&app, &ann, 2).await;
    let mut c = Checker {
        app: &app,
        doc,
        errors: Vec::new(),
        checked: BTreeSet::new(),
    };
    let null = || Value::Null;

    // The account, risk, portfolios, goals and learning.
    c.call(
        "PATCH",
        "/api/v1/me",
        "/api/v1/me",
        &ann,
        json!({"share_performance": true}),
    )
    .await;
    let (_, me) = c
        .call("GET", "/api/v1/me", "/api/v1/me", &ann, null())
        .await;
    let ann_alias = me["alias"].as_str().unwrap().replace('-', "_");
    for path in [
        "/api/v1/risk/questionnaire",
        "/api/v1/risk/profile",
        "/api/v1/portfolios",
    ] {
        c.call("GET", path, path, &ann, null()).await;
    }
    let p = format!("/api/v1/portfolios/{id}");
    for (template, tail) in [
        ("/api/v1/portfolios/{id}", ""),
        ("/api/v1/portfolios/{id}/transactions", "/transactions"),
        ("/api/v1/portfolios/{id}/valuation", "/valuation"),
        ("/api/v1/portfolios/{id}/performance", "/performance"),
        ("/api/v1/portfolios/{id}/insights", "/insights"),
        ("/api/v1/portfolios/{id}/summary", "/summary"),
        // Again, from the day's cache.
        ("/api/v1/portfolios/{id}/summary", "/summary"),
    ] {
        c.call("GET", template, &format!("{p}{tail}"), &ann, null())
            .await;
    }
    c.call(
        "POST",
        "/api/v1/portfolios/{id}/refresh",
        &format!("{p}/refresh"),
        &ann,
        null(),
    )
    .await;
    let goal = json!({"name": "House", "target": "50000", "by": "2035-01-01",
        "monthly_contribution": "500", "expected_return": 0.04});
    c.call("POST", "/api/v1/goals", "/api/v1/goals", &ann, goal)
        .await;
    for path in ["/api/v1/goals", "/api/v1/badges", "/api/v1/checklist"] {
        c.call("GET", path, path, &ann, null()).await;
    }
    let (_, list) = c
        .call(
            "GET",
            "/api/v1/checklist",
            "/api/v1/checklist",
            &ann,
            null(),
        )
        .await;
    let item = list[0]["id"].as_str().unwrap().to_owned();
    c.call(
        "PUT",
        "/api/v1/checklist/{item}",
        &format!("/api/v1/checklist/{item}"),
        &ann,
        null(),
    )
    .await;
    for body in [
        json!({"question": "What is an expense ratio?"}),
        json!({"question": "How concentrated is my portfolio?", "portfolio_id": id}),
    ] {
        c.call("POST", "/api/v1/ask", "/api/v1/ask", &ann, body)
            .await;
    }

    // The community.
    let posts = "/api/v1/community/posts";
    let (_, post) = c
        .call(
            "POST",
            posts,
            posts,
            &ann,
            json!({"text": "$AAPL looks cheap", "sentiment": "bullish"}),
        )
        .await;
    let pid = post["id"].as_str().unwrap().to_owned();
    let one = format!("{posts}/{pid}");
    c.call(
        "PUT",
        "/api/v1/community/members/{alias}/follow",
        &format!("/api/v1/community/members/{ann_alias}/follow"),
        &bob,
        null(),
    )
    .await;
    c.call(
        "PUT",
        "/api/v1/community/posts/{id}/like",
        &format!("{one}/like"),
        &bob,
        null(),
    )
    .await;
    let (_, comment) = c
        .call(
            "POST",
            "/api/v1/community/posts/{id}/comments",
            &format!("{one}/comments"),
            &bob,
            json!({"text": "Why do you think so?"}),
        )
        .await;
    let cid = comment["id"].as_str().unwrap().to_owned();
    c.call(
        "PUT",
        "/api/v1/community/posts/{id}/helpful",
        &format!("{posts}/{cid}/helpful"),
        &ann,
        null(),
    )
    .await;
    c.call(
        "POST",
        "/api/v1/community/posts/{id}/flags",
        &format!("{one}/flags"),
        &eve,
        json!({"reason": "other", "note": "Looks like a pump"}),
    )
    .await;
    c.call(
        "POST",
        "/api/v1/community/performance",
        "/api/v1/community/performance",
        &ann,
        json!({"portfolio_id": id, "period": "2018-03"}),
    )
    .await;
    for (template, path, user) in [
        ("/api/v1/community/posts", posts.to_owned(), &ann),
        (
            "/api/v1/community/posts",
            format!("{posts}?sort=trending"),
            &bob,
        ),
        ("/api/v1/community/posts/{id}", one.clone(), &bob),
        (
            "/api/v1/community/posts/{id}/comments",
            format!("{one}/comments"),
            &ann,
        ),
        (
            "/api/v1/community/feed",
            "/api/v1/community/feed".to_owned(),
            &bob,
        ),
        (
            "/api/v1/community/symbols/{symbol}/posts",
            "/api/v1/community/symbols/AAPL/posts".to_owned(),
            &bob,
        ),
        (
            "/api/v1/community/trending/tickers",
            "/api/v1/community/trending/tickers".to_owned(),
            &bob,
        ),
        (
            "/api/v1/community/most-held",
            "/api/v1/community/most-held".to_owned(),
            &bob,
        ),
        (
            "/api/v1/community/leaderboards/performers",
            "/api/v1/community/leaderboards/performers?period=2018-03".to_owned(),
            &bob,
        ),
        (
            "/api/v1/community/leaderboards/contributors",
            "/api/v1/community/leaderboards/contributors".to_owned(),
            &bob,
        ),
        (
            "/api/v1/community/members/{alias}",
            format!("/api/v1/community/members/{ann_alias}"),
            &bob,
        ),
        (
            "/api/v1/community/members/{alias}",
            format!("/api/v1/community/members/{ann_alias}"),
            &ann,
        ),
        (
            "/api/v1/community/members/{alias}/posts",
            format!("/api/v1/community/members/{ann_alias}/posts"),
            &bob,
        ),
        (
            "/api/v1/community/notifications",
            "/api/v1/community/notifications".to_owned(),
            &ann,
        ),
        (
            "/api/v1/community/moderation/flags",
            "/api/v1/community/moderation/flags".to_owned(),
            &eve,
        ),
    ] {
        c.call("GET", template, &path, user, null()).await;
    }
    c.call(
        "POST",
        "/api/v1/community/moderation/posts/{id}/remove",
        &format!("/api/v1/community/moderation/posts/{pid}/remove"),
        &eve,
        json!({"reason": "Pump talk"}),
    )
    .await;
    c.call(
        "POST",
        "/api/v1/community/notifications/read",
        "/api/v1/community/notifications/read",
        &ann,
        json!({"all": true}),
    )
    .await;
    for path in ["/api/v1/me/export", "/api/v1/me/usage"] {
        c.call("GET", path, path, &ann, null()).await;
    }

    assert!(
        c.errors.is_empty(),
        "answers unlike their schemas:\n{}",
        c.errors.join("\n")
    );
    // Each call answered as the scenario meant (a refusal would check only
    // the error shape).
    let refused: Vec<&String> = c
        .checked
        .iter()
        .filter(|op| !(op.ends_with(" 200") || op.ends_with(" 201") || op.ends_with(" 204")))
        .collect();
    assert!(refused.is_empty(), "refused: {refused:?}");
}

#[tokio::test]
async fn the_profile_documents_its_theme() {
    let app = app().await;
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];
    for name in ["MeResponse", "MePatch"] {
        let theme = &schemas[name]["properties"]["theme"];
        assert_eq!(theme["pattern"], "^(light|dark|system)$", "{name}: {theme}");
        assert!(
            theme["description"]
                .as_str()
                .is_some_and(|d| d.contains("system")),
            "{name}: {theme}"
        );
    }
    let required = schemas["MeResponse"]["required"].as_array().unwrap();
    assert!(required.iter().any(|r| r == "theme"));
}
