//! Post queries built at run time: SQL text with numbered arguments.

use auravest_social::{Order, PostQuery, Scope};

use super::rows::*;

/// A bound value of a query built at run time.
pub(super) enum Arg {
    Int(i64),
    Bool(bool),
    Text(String),
}

/// SQL text with its arguments, numbered as they are pushed.
#[derive(Default)]
pub(super) struct Sql {
    pub(super) text: String,
    pub(super) args: Vec<Arg>,
}

impl Sql {
    /// Adds an argument; its placeholder.
    pub(super) fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// `$a, $b, ...` for integer arguments.
    pub(super) fn ints(&mut self, values: impl IntoIterator<Item = i64>) -> String {
        values
            .into_iter()
            .map(|v| self.arg(Arg::Int(v)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The SQL of a post query, or `None` when it selects nothing.
pub(super) fn post_query(query: &PostQuery) -> Option<Sql> {
    if query.limit == Some(0) {
        return None;
    }
    let mut sql = Sql::default();
    let mut filters: Vec<String> = Vec::new();
    match &query.scope {
        Scope::All => {}
        Scope::Authors(ids) => {
            if ids.is_empty() {
                return None;
            }
            let list = sql.ints(ids.iter().map(|id| sql_id(id.get())));
            filters.push(format!("author_id IN ({list})"));
        }
        Scope::Symbol(symbol) => {
            let s = sql.arg(Arg::Text(symbol.as_str().to_owned()));
            filters.push(format!(
                "id IN (SELECT post_id FROM social_post_cashtags WHERE symbol = {s})"
            ));
        }
        Scope::Thread(thread) => {
            let t = sql.arg(Arg::Int(sql_id(thread.get())));
            filters.push(format!("thread_id = {t}"));
        }
    }
    match query.level {
        auravest_social::Level::TopLevel => filters.push("thread_id IS NULL".to_owned()),
        auravest_social::Level::Comments => filters.push("thread_id IS NOT NULL".to_owned()),
        auravest_social::Level::Any => {}
    }
    if query.visible_only {
        let v = sql.arg(Arg::Text("visible".to_owned()));
        filters.push(format!("status = {v}"));
    }
    if !query.include_anonymous {
        let f = sql.arg(Arg::Bool(false));
        filters.push(format!("anonymous = {f}"));
    }
    if let Some(max) = query.max_id {
        let m = sql.arg(Arg::Int(sql_id(max.get())));
        filters.push(format!("id <= {m}"));
    }
    if let Some(since) = query.since {
        let s = sql.arg(Arg::Int(nanos(since)));
        filters.push(format!("created_ns >= {s}"));
    }
    if let Some(until) = query.until {
        let u = sql.arg(Arg::Int(nanos(until)));
        filters.push(format!("created_ns <= {u}"));
    }
    let (cmp, dir) = match query.order {
        Order::NewestFirst => ("<", "DESC"),
        Order::OldestFirst => (">", "ASC"),
    };
    if let Some((at, id)) = query.after {
        let t = sql.arg(Arg::Int(nanos(at)));
        let i = sql.arg(Arg::Int(sql_id(id.get())));
        filters.push(format!(
            "(created_ns {cmp} {t} OR (created_ns = {t} AND id {cmp} {i}))"
        ));
    }
    let filter = if filters.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", filters.join(" AND "))
    };
    let limit = match query.limit {
        Some(n) => {
            let l = sql.arg(Arg::Int(i64::try_from(n).unwrap_or(i64::MAX)));
            format!(" LIMIT {l}")
        }
        None => String::new(),
    };
    sql.text = format!(
        "SELECT {POST_COLUMNS} FROM social_posts{filter} \
         ORDER BY created_ns {dir}, id {dir}{limit}"
    );
    Some(sql)
}
