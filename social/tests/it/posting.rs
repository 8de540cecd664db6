//! Posts and comments: limits, entities, threads, anonymity, likes, follows, deletion.

use auravest_social::{
    Author, CommentOrder, Config, Draft, Entity, Error, GUIDELINES, PageRequest, PostStatus,
    Sentiment, Symbol, WELCOME_MESSAGE, guideline, welcome,
};

use crate::support::{community, community_with, relaxed, t};

#[tokio::test]
async fn length_limits_count_characters() {
    let (mut c, u) = community(2).await;
    assert!(
        c.post(u[0], Draft::new("é".repeat(1000)), t(0))
            .await
            .is_ok()
    );
    assert_eq!(
        c.post(u[0], Draft::new("b".repeat(1001)), t(1)).await,
        Err(Error::TooLong {
            max: 1000,
            got: 1001
        })
    );
    let root = c.post(u[1], Draft::new("root"), t(2)).await.unwrap();
    assert!(
        c.comment(u[0], root, Draft::new("c".repeat(500)), t(3))
            .await
            .is_ok()
    );
    assert_eq!(
        c.comment(u[0], root, Draft::new("d".repeat(501)), t(4))
            .await,
        Err(Error::TooLong { max: 500, got: 501 })
    );
    let small = Config {
        max_post_chars: 10,
        ..relaxed()
    };
    let (mut c, u) = community_with(small, &[], 1).await;
    assert_eq!(
        c.post(u[0], Draft::new("eleven char"), t(0)).await,
        Err(Error::TooLong { max: 10, got: 11 })
    );
    assert_eq!(
        Error::TooLong { max: 10, got: 11 }.to_string(),
        "text is too long: 11 characters, at most 10 allowed"
    );
}

#[tokio::test]
async fn blank_text_is_refused() {
    let (mut c, u) = community(1).await;
    for text in ["", "   ", "\n\t "] {
        assert_eq!(
            c.post(u[0], Draft::new(text), t(0)).await,
            Err(Error::Empty { field: "text" })
        );
    }
}

#[tokio::test]
async fn posts_keep_text_and_extract_entities() {
    let (mut c, u) = community_with(relaxed(), &["Ann_A", "Bob_B"], 2).await;
    let text =
        "Watching $BRK.B and $vod.l, not $5 stuff. cc @bob_b @Nobody_Here https://sec.gov/x <b>";
    let id = c
        .post(u[0], Draft::new(text).bearish().confirm_amounts(), t(0))
        .await
        .unwrap();
    let stored = auravest_social::Store::post(c.store(), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.text, text, "stored as written");
    assert_eq!(
        stored.cashtags,
        [Symbol::new("BRK.B").unwrap(), Symbol::new("VOD.L").unwrap()]
    );
    assert_eq!(stored.mentions, [u[1]], "unknown aliases are not mentions");
    assert_eq!(stored.links, ["https://sec.gov/x"]);
    assert_eq!(stored.sentiment, Some(Sentiment::Bearish));
    let view = c.view_post(None, id).await.unwrap();
    assert_eq!(view.sentiment, Some(Sentiment::Bearish));
    assert!(view.html.ends_with("&lt;b&gt;</p>"), "{}", view.html);
    assert_eq!(
        view.author,
        Author::Member {
            id: u[0],
            alias: "Ann_A".to_owned()
        }
    );
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["sentiment"], "bearish");
    assert_eq!(json["author"]["kind"], "member");
}

#[tokio::test]
async fn comments_and_replies_form_threads() {
    let (mut c, u) = community(3).await;
    let root = c
        .post(u[0], Draft::new("What do you think of index funds?"), t(0))
        .await
        .unwrap();
    let first = c
        .comment(u[1], root, Draft::new("Low cost, broad"), t(1))
        .await
        .unwrap();
    let reply = c
        .comment(u[2], first, Draft::new("Agreed"), t(2))
        .await
        .unwrap();
    let r = c.view_post(None, reply).await.unwrap();
    assert_eq!((r.thread, r.reply_to), (Some(root), Some(first)));
    let f = c.view_post(None, first).await.unwrap();
    assert_eq!((f.thread, f.reply_to), (Some(root), None));
    assert_eq!(c.view_post(None, root).await.unwrap().comments, 2);
    let page = c
        .comments(
            root,
            CommentOrder::Oldest,
            None,
            &PageRequest::first(10),
            t(3),
        )
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|v| v.id).collect::<Vec<_>>(),
        [first, reply]
    );
    // Comments are not a thread of their own.
    assert!(matches!(
        c.comments(
            first,
            CommentOrder::Oldest,
            None,
            &PageRequest::first(10),
            t(3)
        )
        .await,
        Err(Error::NotFound { .. })
    ));
    // Nothing can be added to a missing, deleted or hidden post.
    let missing = auravest_social::PostId::new(999);
    assert_eq!(
        c.comment(u[1], missing, Draft::new("hello"), t(4)).await,
        Err(Error::NotFound {
            entity: Entity::Post,
            id: "p999".to_owned()
        })
    );
    c.delete_post(u[0], root).await.unwrap();
    assert!(matches!(
        c.comment(u[1], root, Draft::new("late"), t(5)).await,
        Err(Error::NotFound { .. })
    ));
    assert!(
        matches!(
            c.comment(u[1], first, Draft::new("late reply"), t(5)).await,
            Err(Error::NotFound { .. })
        ),
        "the thread is gone"
    );
}

#[tokio::test]
async fn your_own_anonymous_thread_stays_anonymous() {
    let (mut c, u) = community_with(relaxed(), &["Ann_A", "Bob_B"], 2).await;
    let root = c
        .post(
            u[0],
            Draft::new("Nervous about my first trade").anonymous(),
            t(0),
        )
        .await
        .unwrap();
    let answer = c
        .comment(u[1], root, Draft::new("Start small"), t(1))
        .await
        .unwrap();
    let own = c
        .comment(u[0], root, Draft::new("Thanks, will do"), t(2))
        .await
        .unwrap();
    let own_reply = c
        .comment(u[0], answer, Draft::new("Good point"), t(3))
        .await
        .unwrap();
    for id in [own, own_reply] {
        assert_eq!(
            c.view_post(Some(u[1]), id).await.unwrap().author,
            Author::Anonymous
        );
        assert!(c.view_post(Some(u[0]), id).await.unwrap().mine);
    }
    assert_eq!(
        c.view_post(Some(u[1]), answer).await.unwrap().author,
        Author::Member {
            id: u[1],
            alias: "Bob_B".to_owned()
        }
    );
    // An anonymous comment of yours keeps replies to it anonymous too.
    let other = c
        .post(u[1], Draft::new("Open question"), t(4))
        .await
        .unwrap();
    let anon_comment = c
        .comment(u[0], other, Draft::new("A quiet thought").anonymous(), t(5))
        .await
        .unwrap();
    let bob_reply = c
        .comment(u[1], anon_comment, Draft::new("Say more?"), t(6))
        .await
        .unwrap();
    let ann_again = c
        .comment(u[0], bob_reply, Draft::new("Later"), t(7))
        .await
        .unwrap();
    assert_eq!(
        c.view_post(Some(u[1]), ann_again).await.unwrap().author,
        Author::Member {
            id: u[0],
            alias: "Ann_A".to_owned()
        },
        "a reply to someone else's comment is under the alias unless asked"
    );
    let ann_reply = c
        .comment(u[0], anon_comment, Draft::new("Following up"), t(8))
        .await
        .unwrap();
    assert_eq!(
        c.view_post(Some(u[1]), ann_reply).await.unwrap().author,
        Author::Anonymous
    );
}

#[tokio::test]
async fn an_anonymous_post_cannot_sign_itself() {
    let (mut c, u) = community_with(relaxed(), &["Ann_A", "Bob_B"], 2).await;
    for text in ["It's me, Ann_A", "ping @ann_a", "ANN_A here"] {
        assert!(
            matches!(
                c.post(u[0], Draft::new(text).anonymous(), t(0)).await,
                Err(Error::InvalidInput { field: "text", .. })
            ),
            "{text}"
        );
    }
    assert!(
        c.post(u[0], Draft::new("Ann_Arbor is a city").anonymous(), t(0))
            .await
            .is_ok(),
        "only the whole alias counts"
    );
    assert!(
        c.post(u[0], Draft::new("Ask @Bob_B").anonymous(), t(1))
            .await
            .is_ok()
    );
    assert!(
        c.post(u[0], Draft::new("I am Ann_A"), t(2)).await.is_ok(),
        "signing is fine under the alias"
    );
}

#[tokio::test]
async fn deleting_is_for_the_author_only() {
    let (mut c, u) = community(2).await;
    let id = c.post(u[0], Draft::new("temporary"), t(0)).await.unwrap();
    let not_found = Err(Error::NotFound {
        entity: Entity::Post,
        id: id.to_string(),
    });
    assert_eq!(c.delete_post(u[1], id).await, not_found);
    c.delete_post(u[0], id).await.unwrap();
    assert_eq!(c.delete_post(u[0], id).await, not_found);
    assert!(c.view_post(Some(u[0]), id).await.is_err());
    assert!(
        c.public_feed(None, &PageRequest::first(10), t(1))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        c.like(u[1], id, t(1)).await,
        Err(Error::NotFound {
            entity: Entity::Post,
            id: id.to_string()
        })
    );
}

#[tokio::test]
async fn helpful_marks_belong_to_the_thread_author() {
    let (mut c, u) = community(3).await;
    let root = c
        .post(u[0], Draft::new("How do I rebalance?"), t(0))
        .await
        .unwrap();
    let answer = c
        .comment(
            u[1],
            root,
            Draft::new("Sell winners, buy laggards, once a year"),
            t(1),
        )
        .await
        .unwrap();
    let mine = c
        .comment(u[0], root, Draft::new("Thanks!"), t(2))
        .await
        .unwrap();
    assert!(matches!(
        c.mark_helpful(u[2], answer, true, t(3)).await,
        Err(Error::InvalidInput {
            field: "comment",
            ..
        })
    ));
    assert!(matches!(
        c.mark_helpful(u[0], root, true, t(3)).await,
        Err(Error::InvalidInput {
            field: "comment",
            ..
        })
    ));
    assert_eq!(
        c.mark_helpful(u[0], mine, true, t(3)).await,
        Err(Error::SelfAction {
            action: "mark as helpful a comment by"
        })
    );
    c.mark_helpful(u[0], answer, true, t(3)).await.unwrap();
    assert!(c.view_post(None, answer).await.unwrap().helpful);
    c.mark_helpful(u[0], answer, false, t(4)).await.unwrap();
    assert!(!c.view_post(None, answer).await.unwrap().helpful);
}

#[tokio::test]
async fn likes_are_idempotent_and_not_for_your_own_posts() {
    let (mut c, u) = community(3).await;
    let id = c.post(u[0], Draft::new("idea"), t(0)).await.unwrap();
    assert_eq!(c.like(u[1], id, t(1)).await, Ok(true));
    assert_eq!(c.like(u[1], id, t(2)).await, Ok(false));
    assert_eq!(c.like(u[2], id, t(3)).await, Ok(true));
    assert_eq!(c.view_post(None, id).await.unwrap().likes, 2);
    assert!(c.view_post(Some(u[1]), id).await.unwrap().liked);
    assert!(!c.view_post(Some(u[0]), id).await.unwrap().liked);
    assert_eq!(
        c.like(u[0], id, t(4)).await,
        Err(Error::SelfAction {
            action: "like a post by"
        })
    );
    assert_eq!(
        Error::SelfAction {
            action: "like a post by"
        }
        .to_string(),
        "cannot like a post by yourself"
    );
    assert_eq!(c.unlike(u[1], id, t(5)).await, Ok(true));
    assert_eq!(c.unlike(u[1], id, t(6)).await, Ok(false));
    assert_eq!(c.view_post(None, id).await.unwrap().likes, 1);
    assert_eq!(
        c.like(u[1], id, t(7)).await,
        Ok(true),
        "a like can be given again"
    );
    assert!(matches!(
        c.like(u[1], auravest_social::PostId::new(77), t(8)).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        c.like(auravest_social::UserId::new(77), id, t(8)).await,
        Err(Error::NotFound {
            entity: Entity::User,
            ..
        })
    ));
}

#[tokio::test]
async fn follows_are_idempotent() {
    let (mut c, u) = community(3).await;
    assert_eq!(c.follow(u[0], u[1], t(0)).await, Ok(true));
    assert_eq!(c.follow(u[0], u[1], t(1)).await, Ok(false));
    assert_eq!(c.follow(u[2], u[1], t(1)).await, Ok(true));
    assert_eq!(
        c.follow(u[0], u[0], t(1)).await,
        Err(Error::SelfAction { action: "follow" })
    );
    assert!(matches!(
        c.follow(u[0], auravest_social::UserId::new(99), t(1)).await,
        Err(Error::NotFound { .. })
    ));
    let profile = c.profile(Some(u[0]), u[1]).await.unwrap();
    assert_eq!(
        (
            profile.followers,
            profile.following,
            profile.followed_by_viewer
        ),
        (2, 0, true)
    );
    assert_eq!(
        c.followers(u[1])
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>(),
        [u[0], u[2]]
    );
    assert_eq!(
        c.following(u[0])
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>(),
        [u[1]]
    );
    assert_eq!(c.unfollow(u[0], u[1]).await, Ok(true));
    assert_eq!(c.unfollow(u[0], u[1]).await, Ok(false));
    assert!(
        !c.profile(Some(u[0]), u[1])
            .await
            .unwrap()
            .followed_by_viewer
    );
}

#[tokio::test]
async fn hidden_posts_are_seen_only_by_their_author() {
    let (mut c, u) = community(5).await;
    let id = c.post(u[0], Draft::new("borderline"), t(0)).await.unwrap();
    for r in &u[1..4] {
        c.flag(*r, id, auravest_social::FlagReason::Spam, t(1))
            .await
            .unwrap();
    }
    assert_eq!(
        c.view_post(Some(u[0]), id).await.unwrap().status,
        PostStatus::Hidden
    );
    assert!(matches!(
        c.view_post(Some(u[4]), id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        c.view_post(None, id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        c.like(u[4], id, t(2)).await,
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn guidelines_and_the_welcome_message_are_data() {
    assert_eq!(
        WELCOME_MESSAGE,
        "All investors start somewhere. Be respectful and help each other grow."
    );
    let pinned = welcome();
    assert_eq!(pinned.text, WELCOME_MESSAGE);
    assert_eq!(pinned.guidelines, GUIDELINES);
    let ids: Vec<&str> = GUIDELINES.iter().map(|g| g.id).collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "guideline ids are unique");
    assert!(
        GUIDELINES
            .iter()
            .all(|g| !g.title.is_empty() && !g.text.is_empty())
    );
    // Each spam rule points at the guideline it enforces.
    for rule in [
        auravest_social::SpamRule::CashtagStuffing { count: 6, max: 5 },
        auravest_social::SpamRule::UnsharedGain {
            symbol: Symbol::new("XYZ").unwrap(),
        },
    ] {
        assert!(guideline(rule.guideline()).is_some(), "{rule:?}");
    }
    let json = serde_json::to_value(pinned).unwrap();
    assert_eq!(json["text"], WELCOME_MESSAGE);
    assert_eq!(json["guidelines"][0]["id"], "be-respectful");
}
