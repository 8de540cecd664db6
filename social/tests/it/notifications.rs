//! Notifications: each event, read state, digests, milestones and price alerts.

use auravest_social::{
    AlertCondition, Config, Decimal, Draft, Error, Member, NotificationKind, NotificationType,
    PriceAlert, Symbol,
};

use crate::support::{community_with, relaxed, t};

async fn kinds(
    c: &auravest_social::Community,
    user: auravest_social::UserId,
) -> Vec<NotificationKind> {
    c.notifications(user, false)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.kind)
        .collect()
}

#[tokio::test]
async fn each_event_becomes_one_notification() {
    let (mut c, u) = community_with(relaxed(), &["Ann_A", "Bob_B", "Cy_C"], 3).await;
    let post = c
        .post(u[0], Draft::new("Thoughts on bonds? cc @Cy_C"), t(0))
        .await
        .unwrap();
    assert_eq!(kinds(&c, u[2]).await, [NotificationKind::Mention { post }]);
    let comment = c
        .comment(u[1], post, Draft::new("Ladder them"), t(1))
        .await
        .unwrap();
    assert_eq!(
        kinds(&c, u[0]).await,
        [NotificationKind::Comment { post, comment }]
    );
    let reply = c
        .comment(
            u[2],
            comment,
            Draft::new("Agree with @Bob_B and @Ann_A"),
            t(2),
        )
        .await
        .unwrap();
    // Bob gets a reply (not also a mention); Ann gets a comment (not also a mention).
    assert_eq!(
        kinds(&c, u[1]).await[0],
        NotificationKind::Reply {
            thread: post,
            to: comment,
            reply
        }
    );
    assert_eq!(kinds(&c, u[1]).await.len(), 1);
    assert_eq!(
        kinds(&c, u[0]).await[0],
        NotificationKind::Comment {
            post,
            comment: reply
        }
    );
    assert_eq!(kinds(&c, u[0]).await.len(), 2);
    // Replying to your own comment or mentioning yourself notifies nobody.
    c.comment(u[2], reply, Draft::new("Also, me: @Cy_C"), t(3))
        .await
        .unwrap();
    assert_eq!(kinds(&c, u[2]).await.len(), 1);
    c.follow(u[1], u[0], t(4)).await.unwrap();
    c.follow(u[1], u[0], t(5)).await.unwrap();
    assert_eq!(kinds(&c, u[0]).await[0], NotificationKind::NewFollower);
    assert_eq!(
        kinds(&c, u[0]).await.len(),
        4,
        "a repeated follow is not news"
    );
    let views = c.notifications(u[0], false).await.unwrap();
    assert_eq!(views[0].text, "Bob_B started following you");
    assert_eq!(
        views[0].actor,
        Some(Member {
            id: u[1],
            alias: "Bob_B".to_owned()
        })
    );
    assert_eq!(views[1].text, "Cy_C commented on your post");
}

#[tokio::test]
async fn anonymous_actors_are_never_named() {
    let (mut c, u) = community_with(relaxed(), &["Ann_A", "Bob_B"], 2).await;
    let post = c
        .post(
            u[0],
            Draft::new("Ask me anything, @Bob_B").anonymous(),
            t(0),
        )
        .await
        .unwrap();
    let note = &c.notifications(u[1], false).await.unwrap()[0];
    assert_eq!(note.kind, NotificationKind::Mention { post });
    assert_eq!(note.actor, None);
    assert_eq!(note.text, "Someone mentioned you");
    // The store itself holds no actor for it.
    let stored = auravest_social::Store::notifications(c.store(), u[1], false)
        .await
        .unwrap();
    assert_eq!(stored[0].actor, None);
}

#[tokio::test]
async fn read_state_is_per_recipient() {
    let (mut c, u) = community_with(relaxed(), &[], 3).await;
    let post = c.post(u[0], Draft::new("hello"), t(0)).await.unwrap();
    c.like(u[1], post, t(1)).await.unwrap();
    c.like(u[2], post, t(2)).await.unwrap();
    c.follow(u[1], u[2], t(3)).await.unwrap();
    assert_eq!(c.unread_count(u[0]).await.unwrap(), 2);
    let ids: Vec<_> = c
        .notifications(u[0], true)
        .await
        .unwrap()
        .iter()
        .map(|n| n.id)
        .collect();
    let others: Vec<_> = c
        .notifications(u[2], true)
        .await
        .unwrap()
        .iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(
        c.mark_read(u[0], &others).await.unwrap(),
        0,
        "another member's notifications are untouched"
    );
    assert_eq!(c.unread_count(u[2]).await.unwrap(), 1);
    assert_eq!(c.mark_read(u[0], &ids[..1]).await.unwrap(), 1);
    assert_eq!(c.unread_count(u[0]).await.unwrap(), 1);
    assert!(c.notifications(u[0], false).await.unwrap()[0].read);
    assert_eq!(c.mark_all_read(u[0]).await.unwrap(), 1);
    assert_eq!(c.unread_count(u[0]).await.unwrap(), 0);
    assert!(c.notifications(u[0], true).await.unwrap().is_empty());
    assert_eq!(c.notifications(u[0], false).await.unwrap().len(), 2);
    assert!(matches!(
        c.unread_count(auravest_social::UserId::new(99)).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn digests_group_by_type_and_post() {
    let config = Config {
        like_milestones: vec![3],
        ..relaxed()
    };
    let (mut c, u) = community_with(config, &["Ann_A", "Bob_B", "Cy_C", "Di_D"], 4).await;
    let first = c.post(u[0], Draft::new("first"), t(0)).await.unwrap();
    let second = c.post(u[0], Draft::new("second"), t(1)).await.unwrap();
    c.like(u[1], first, t(2)).await.unwrap();
    c.like(u[2], first, t(3)).await.unwrap();
    c.like(u[3], first, t(4)).await.unwrap();
    c.like(u[1], second, t(5)).await.unwrap();
    c.like(u[2], second, t(6)).await.unwrap();
    c.unlike(u[1], second, t(7)).await.unwrap();
    c.like(u[1], second, t(8)).await.unwrap();
    c.follow(u[3], u[0], t(9)).await.unwrap();
    let digests = c.digests(u[0]).await.unwrap();
    let texts: Vec<(NotificationType, &str)> = digests
        .iter()
        .map(|d| (d.kind_type, d.text.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            (NotificationType::NewFollower, "Di_D started following you"),
            (NotificationType::Like, "Bob_B and Cy_C liked your post"),
            (NotificationType::LikeMilestone, "Your post reached 3 likes"),
            (NotificationType::Like, "3 people liked your post"),
        ]
    );
    let likes_on_second = &digests[1];
    assert_eq!(
        (likes_on_second.post, likes_on_second.people),
        (Some(second), 2)
    );
    assert_eq!(
        likes_on_second.notifications.len(),
        3,
        "a like given again notifies again, but counts one person"
    );
    // Reading a digest's notifications clears it.
    c.mark_read(u[0], &digests[3].notifications).await.unwrap();
    assert_eq!(c.digests(u[0]).await.unwrap().len(), 3);
}

#[tokio::test]
async fn like_milestones_fire_once() {
    let config = Config {
        like_milestones: vec![2],
        ..relaxed()
    };
    let (mut c, u) = community_with(config, &[], 4).await;
    let post = c.post(u[0], Draft::new("milestone"), t(0)).await.unwrap();
    c.like(u[1], post, t(1)).await.unwrap();
    c.like(u[2], post, t(2)).await.unwrap();
    c.unlike(u[2], post, t(3)).await.unwrap();
    c.like(u[3], post, t(4)).await.unwrap();
    let milestones = kinds(&c, u[0])
        .await
        .into_iter()
        .filter(|k| matches!(k, NotificationKind::LikeMilestone { .. }))
        .count();
    assert_eq!(milestones, 1);
    assert!(
        kinds(&c, u[0])
            .await
            .contains(&NotificationKind::LikeMilestone { post, likes: 2 })
    );
}

#[tokio::test]
async fn price_alerts_are_a_notification_type() {
    let (mut c, u) = community_with(relaxed(), &[], 1).await;
    let aapl = Symbol::new("AAPL").unwrap();
    let alerts = [
        (
            AlertCondition::Above {
                threshold: Decimal::from(200),
            },
            "$AAPL rose above 200 (now 201.5)",
        ),
        (
            AlertCondition::Below {
                threshold: Decimal::from(150),
            },
            "$AAPL fell below 150 (now 201.5)",
        ),
        (
            AlertCondition::Moved {
                percent: Decimal::new(-52, 1),
            },
            "$AAPL moved -5.2% today (now 201.5)",
        ),
        (
            AlertCondition::Moved {
                percent: Decimal::new(31, 1),
            },
            "$AAPL moved +3.1% today (now 201.5)",
        ),
    ];
    for (i, (condition, _)) in alerts.iter().enumerate() {
        let alert = PriceAlert {
            symbol: aapl.clone(),
            condition: *condition,
            price: Decimal::new(2015, 1),
            source: None,
            as_of: None,
            age_seconds: None,
        };
        c.notify_price_alert(u[0], alert, t(i64::try_from(i).unwrap()))
            .await
            .unwrap();
    }
    let texts: Vec<String> = c
        .notifications(u[0], false)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .map(|n| n.text)
        .collect();
    assert_eq!(
        texts,
        alerts
            .iter()
            .map(|(_, s)| (*s).to_owned())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        c.digests(u[0]).await.unwrap().len(),
        4,
        "alerts do not group"
    );
    let json = serde_json::to_value(&c.notifications(u[0], false).await.unwrap()[0].kind).unwrap();
    assert_eq!(json["type"], "price_alert");
    assert_eq!(json["alert"]["condition"]["condition"], "moved");
    let err = c
        .notify_price_alert(
            auravest_social::UserId::new(9),
            PriceAlert {
                symbol: aapl,
                condition: alerts[0].0,
                price: Decimal::ONE,
                source: None,
                as_of: None,
                age_seconds: None,
            },
            t(9),
        )
        .await;
    assert!(matches!(err, Err(Error::NotFound { .. })));
}
