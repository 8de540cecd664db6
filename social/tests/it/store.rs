//! The store conformance suite, run against the in-memory store, and the
//! promise async callers rely on: the community's futures are `Send`.

use auravest_social::{
    CommentOrder, Community, Draft, FlagReason, PageRequest, PostId, Role, UserId, seeded_rng,
};

use crate::support::t;

mod memory_store {
    auravest_social::store_conformance_tests!(
        #[tokio::test]
        auravest_social::MemoryStore::new
    );
}

fn send<T: Send>(_: T) {}

/// A server runs community calls on any thread of a work-stealing runtime,
/// which needs every future `Send`. A future that holds a borrowing closure
/// across an await loses that (the compiler cannot prove it for every
/// lifetime), so this builds the futures of the public calls, unpolled, and
/// fails to compile if one is not `Send`.
#[test]
fn community_futures_are_send() {
    let mut c = Community::in_memory();
    let (me, post) = (UserId::new(1), PostId::new(1));
    let req = PageRequest::first(10);
    let symbol = auravest_social::Symbol::new("AAPL").unwrap();
    send(c.public_feed(Some(me), &req, t(0)));
    send(c.following_feed(me, &req, t(0)));
    send(c.symbol_feed(&symbol, Some(me), &req, t(0)));
    send(c.author_feed(me, Some(me), &req, t(0)));
    send(c.trending_feed(Some(me), &req, t(0)));
    send(c.comments(post, CommentOrder::Best, Some(me), &req, t(0)));
    send(c.view_post(Some(me), post));
    send(c.profile(Some(me), me));
    send(c.profile_by_alias(Some(me), "Ann_A"));
    send(c.notifications(me, false));
    send(c.digests(me));
    send(c.trending_tickers(t(0)));
    send(c.most_held(10));
    send(c.top_contributors(t(0), t(1), 10));
    send(c.following(me));
    send(c.followers(me));
    send(c.export_member(me));
    send(c.review_queue(me, t(0)));
    send(c.audit_log(me, t(0)));
    send(c.register(t(0), &mut seeded_rng(1)));
    send(c.register_with_role(Role::Moderator, t(0), &mut seeded_rng(1)));
    send(c.post(me, Draft::new("Holding $AAPL"), t(0)));
    send(c.comment(me, post, Draft::new("Same"), t(0)));
    send(c.like(me, post, t(0)));
    send(c.follow(me, UserId::new(2), t(0)));
    send(c.flag(me, post, FlagReason::Spam, t(0)));
    send(c.delete_post(me, post));
    send(c.mark_all_read(me));
}
