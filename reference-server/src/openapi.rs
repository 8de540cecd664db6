//! The OpenAPI 3 document, generated from the handlers' annotations and
//! served at `/api/v1/openapi.json`.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{ai, community, goals, legal, market, me, portfolios, risk};

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
        portfolios::delete_transaction, portfolios::import, portfolios::valuation,
        portfolios::performance, portfolios::insights, portfolios::refresh,
        goals::list, goals::create, goals::get_one, goals::update, goals::delete, goals::badges,
        market::quotes, market::history,
        ai::ask, ai::summary, ai::feedback, ai::checklist, ai::check_item, ai::uncheck_item,
        community::create_post, community::get_post, community::delete_post,
        community::create_comment, community::list_comments, community::like, community::unlike,
        community::flag, community::feed, community::symbol_posts, community::trending_tickers,
        community::profile, community::follow, community::unfollow, community::notifications,
        community::mark_read, community::moderation_queue, community::remove_post,
        community::restore_post, community::share_performance, community::top_performers,
        community::top_contributors, community::list_posts, community::mark_helpful,
        community::unmark_helpful, community::member_posts, community::most_held,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail, crate::error::ErrorCode)),
    modifiers(&Bearer),
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
        (name = "community", description = "Posts, cashtags, feeds, follows, performance shares, leaderboards, notifications and moderation"),
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

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
