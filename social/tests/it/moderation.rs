//! Moderation: flags, roles and permissions, actions, audit, rate limits, spam rules.

use auravest_social::{
    AuditAction, Author, Config, Draft, Error, FlagOutcome, FlagReason, ModAction,
    ModerationOutcome, NotificationKind, PageRequest, Permission, PostStatus, Role, SpamRule,
    Symbol,
};
use chrono::TimeDelta;

use crate::support::{community, community_with, relaxed, staff, t};

#[test]
fn the_permission_table() {
    use Permission as P;
    let member = [P::Post, P::Like, P::Follow, P::Flag];
    let moderator = [
        P::ReviewFlags,
        P::RemovePost,
        P::RestorePost,
        P::WarnUser,
        P::SuspendUser,
        P::BanUser,
        P::ReinstateUser,
        P::RevealAuthor,
    ];
    let admin = [P::ReadAuditLog, P::AssignRole];
    for p in member {
        assert!(
            Role::User.can(p) && Role::Moderator.can(p) && Role::Admin.can(p),
            "{p:?}"
        );
    }
    for p in moderator {
        assert!(
            !Role::User.can(p) && Role::Moderator.can(p) && Role::Admin.can(p),
            "{p:?}"
        );
    }
    for p in admin {
        assert!(
            !Role::User.can(p) && !Role::Moderator.can(p) && Role::Admin.can(p),
            "{p:?}"
        );
    }
    assert!(Role::User < Role::Moderator && Role::Moderator < Role::Admin);
}

#[tokio::test]
async fn distinct_flags_hide_a_post_until_review() {
    let (mut c, u) = community(6).await;
    let moderator = staff(&mut c, Role::Moderator, 50).await;
    let id = c
        .post(u[0], Draft::new("Guaranteed 10x, trust me"), t(0))
        .await
        .unwrap();
    assert_eq!(
        c.flag(u[0], id, FlagReason::Spam, t(1)).await,
        Err(Error::SelfAction {
            action: "flag a post by"
        })
    );
    assert_eq!(
        c.flag(u[1], id, FlagReason::Spam, t(1)).await,
        Ok(FlagOutcome {
            recorded: true,
            hidden: false
        })
    );
    assert_eq!(
        c.flag(u[1], id, FlagReason::Manipulation, t(2)).await,
        Ok(FlagOutcome {
            recorded: false,
            hidden: false
        }),
        "one open flag per member"
    );
    assert_eq!(
        c.flag(u[2], id, FlagReason::Manipulation, t(3)).await,
        Ok(FlagOutcome {
            recorded: true,
            hidden: false
        })
    );
    assert_eq!(
        c.view_post(None, id).await.unwrap().status,
        PostStatus::Visible
    );
    assert_eq!(
        c.flag(
            u[3],
            id,
            FlagReason::Other {
                note: "  pump  ".to_owned()
            },
            t(4)
        )
        .await,
        Ok(FlagOutcome {
            recorded: true,
            hidden: true
        })
    );
    assert!(
        c.public_feed(None, &PageRequest::first(10), t(5))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let notes = c.notifications(u[0], true).await.unwrap();
    assert!(matches!(
        &notes[0].kind,
        NotificationKind::Moderation { outcome: ModerationOutcome::PostHidden { post }, reason } if *post == id && reason == "3 members reported it"
    ));
    // The queue shows it with its reasons; a hidden post takes no more flags.
    let queue = c.review_queue(moderator, t(6)).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].flags, 3);
    assert_eq!(queue[0].post.status, PostStatus::Hidden);
    assert_eq!(queue[0].reasons.iter().map(|r| r.count).sum::<usize>(), 3);
    assert!(queue[0].reasons.iter().any(|r| r.reason
        == FlagReason::Other {
            note: "pump".to_owned()
        }));
    assert!(matches!(
        c.flag(u[4], id, FlagReason::Spam, t(6)).await,
        Err(Error::NotFound { .. })
    ));
    // Restoring closes the flags; new flags count from zero.
    c.moderate(
        moderator,
        ModAction::RestorePost { post: id },
        "satire, not advice",
        t(7),
    )
    .await
    .unwrap();
    assert_eq!(
        c.view_post(None, id).await.unwrap().status,
        PostStatus::Visible
    );
    assert!(c.review_queue(moderator, t(8)).await.unwrap().is_empty());
    assert_eq!(
        c.flag(u[1], id, FlagReason::Spam, t(9)).await,
        Ok(FlagOutcome {
            recorded: true,
            hidden: false
        }),
        "flags reopen after review"
    );
    assert_eq!(
        c.flag(u[4], id, FlagReason::Spam, t(9)).await,
        Ok(FlagOutcome {
            recorded: true,
            hidden: false
        })
    );
    assert_eq!(
        c.flag(u[5], id, FlagReason::Spam, t(9)).await,
        Ok(FlagOutcome {
            recorded: true,
            hidden: true
        })
    );
}

#[tokio::test]
async fn flag_notes_are_checked() {
    let (mut c, u) = community(2).await;
    let id = c.post(u[0], Draft::new("hello"), t(0)).await.unwrap();
    assert_eq!(
        c.flag(
            u[1],
            id,
            FlagReason::Other {
                note: "   ".to_owned()
            },
            t(1)
        )
        .await,
        Err(Error::Empty { field: "note" })
    );
    assert_eq!(
        c.flag(
            u[1],
            id,
            FlagReason::Other {
                note: "x".repeat(501)
            },
            t(1)
        )
        .await,
        Err(Error::TooLong { max: 500, got: 501 })
    );
}

#[tokio::test]
async fn members_cannot_moderate() {
    let (mut c, u) = community(2).await;
    let id = c.post(u[0], Draft::new("hello"), t(0)).await.unwrap();
    assert_eq!(
        c.moderate(u[1], ModAction::RemovePost { post: id }, "no", t(1))
            .await,
        Err(Error::Forbidden {
            action: Permission::RemovePost,
            role: Role::User
        })
    );
    assert_eq!(
        Error::Forbidden {
            action: Permission::RemovePost,
            role: Role::User
        }
        .to_string(),
        "a user may not remove posts"
    );
    assert!(matches!(
        c.review_queue(u[1], t(1)).await,
        Err(Error::Forbidden {
            action: Permission::ReviewFlags,
            ..
        })
    ));
    assert!(matches!(
        c.reveal_author(u[1], id, "curious", t(1)).await,
        Err(Error::Forbidden {
            action: Permission::RevealAuthor,
            ..
        })
    ));
    assert!(matches!(
        c.audit_log(u[1], t(1)).await,
        Err(Error::Forbidden {
            action: Permission::ReadAuditLog,
            ..
        })
    ));
    assert!(matches!(
        c.assign_role(u[1], u[0], Role::Admin, "please", t(1)).await,
        Err(Error::Forbidden {
            action: Permission::AssignRole,
            ..
        })
    ));
}

#[tokio::test]
async fn moderators_act_only_on_lower_roles() {
    let (mut c, u) = community(1).await;
    let admin = staff(&mut c, Role::Admin, 60).await;
    let moderator = staff(&mut c, Role::Moderator, 61).await;
    let other_mod = staff(&mut c, Role::Moderator, 62).await;
    assert_eq!(
        c.moderate(moderator, ModAction::Ban { user: other_mod }, "rogue", t(0))
            .await,
        Err(Error::Forbidden {
            action: Permission::BanUser,
            role: Role::Moderator
        })
    );
    assert!(matches!(
        c.moderate(moderator, ModAction::Warn { user: admin }, "x", t(0))
            .await,
        Err(Error::Forbidden { .. })
    ));
    assert!(matches!(
        c.moderate(moderator, ModAction::Warn { user: moderator }, "x", t(0))
            .await,
        Err(Error::Forbidden { .. })
    ));
    assert!(
        c.moderate(
            admin,
            ModAction::Suspend {
                user: other_mod,
                until: t(100)
            },
            "rogue",
            t(0)
        )
        .await
        .is_ok()
    );
    assert!(matches!(
        c.assign_role(moderator, u[0], Role::Moderator, "x", t(0))
            .await,
        Err(Error::Forbidden { .. })
    ));
    assert_eq!(
        c.assign_role(admin, admin, Role::User, "x", t(0)).await,
        Err(Error::SelfAction {
            action: "change the role of"
        })
    );
    c.assign_role(admin, u[0], Role::Moderator, "trusted member", t(0))
        .await
        .unwrap();
    assert_eq!(c.profile(None, u[0]).await.unwrap().role, Role::Moderator);
    assert!(c.review_queue(u[0], t(1)).await.is_ok());
}

#[tokio::test]
async fn reasons_are_required_and_bounded() {
    let (mut c, u) = community(1).await;
    let moderator = staff(&mut c, Role::Moderator, 70).await;
    assert_eq!(
        c.moderate(moderator, ModAction::Warn { user: u[0] }, " ", t(0))
            .await,
        Err(Error::Empty { field: "reason" })
    );
    assert_eq!(
        c.moderate(
            moderator,
            ModAction::Warn { user: u[0] },
            &"r".repeat(501),
            t(0)
        )
        .await,
        Err(Error::TooLong { max: 500, got: 501 })
    );
    assert!(matches!(
        c.reveal_author(moderator, auravest_social::PostId::new(1), "", t(0))
            .await,
        Err(Error::Empty { field: "reason" })
    ));
    assert!(matches!(
        c.moderate(
            moderator,
            ModAction::Suspend {
                user: u[0],
                until: t(0)
            },
            "too short",
            t(0)
        )
        .await,
        Err(Error::InvalidInput { field: "until", .. })
    ));
    assert!(matches!(
        c.moderate(
            moderator,
            ModAction::RemovePost {
                post: auravest_social::PostId::new(5)
            },
            "gone",
            t(0)
        )
        .await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn actions_change_state_notify_and_are_audited() {
    let (mut c, u) = community(4).await;
    let admin = staff(&mut c, Role::Admin, 80).await;
    let moderator = staff(&mut c, Role::Moderator, 81).await;
    let id = c
        .post(u[0], Draft::new("$XYZ to the moon, buy now buy now"), t(0))
        .await
        .unwrap();
    c.flag(u[1], id, FlagReason::Manipulation, t(1))
        .await
        .unwrap();
    c.flag(u[2], id, FlagReason::Spam, t(1)).await.unwrap();

    let a1 = c
        .moderate(
            moderator,
            ModAction::RemovePost { post: id },
            "pump and dump",
            t(2),
        )
        .await
        .unwrap();
    assert_eq!(
        c.view_post(Some(u[0]), id).await.unwrap().status,
        PostStatus::Removed
    );
    assert!(matches!(
        c.view_post(Some(u[3]), id).await,
        Err(Error::NotFound { .. })
    ));
    let author_note = &c.notifications(u[0], true).await.unwrap()[0];
    assert_eq!(author_note.text, "Your post was removed: pump and dump");
    assert!(
        author_note.actor.is_none(),
        "moderators act as the community, not by name"
    );
    for reporter in [u[1], u[2]] {
        let note = &c.notifications(reporter, true).await.unwrap()[0];
        assert!(matches!(
            note.kind,
            NotificationKind::Moderation {
                outcome: ModerationOutcome::ReportResolved { removed: true, .. },
                ..
            }
        ));
        assert_eq!(
            note.text,
            "A post you reported was removed. Thank you: pump and dump"
        );
    }
    let a2 = c
        .moderate(
            moderator,
            ModAction::RestorePost { post: id },
            "appeal upheld",
            t(3),
        )
        .await
        .unwrap();
    assert_eq!(
        c.view_post(None, id).await.unwrap().status,
        PostStatus::Visible
    );

    c.moderate(moderator, ModAction::Warn { user: u[0] }, "be kind", t(4))
        .await
        .unwrap();
    assert_eq!(
        c.profile(Some(u[0]), u[0])
            .await
            .unwrap()
            .own
            .unwrap()
            .warnings,
        1
    );
    c.moderate(
        moderator,
        ModAction::Suspend {
            user: u[0],
            until: t(1000),
        },
        "cool off",
        t(5),
    )
    .await
    .unwrap();
    let restricted = Err(Error::AccountRestricted {
        until: Some(t(1000)),
    });
    assert_eq!(
        c.post(u[0], Draft::new("let me in"), t(6)).await,
        restricted
    );
    assert_eq!(
        c.like(u[0], id, t(6)).await,
        Err(Error::AccountRestricted {
            until: Some(t(1000))
        })
    );
    assert!(matches!(
        c.follow(u[0], u[1], t(6)).await,
        Err(Error::AccountRestricted { .. })
    ));
    assert!(matches!(
        c.flag(u[0], id, FlagReason::Spam, t(6)).await,
        Err(Error::AccountRestricted { .. })
    ));
    assert!(
        c.post(u[0], Draft::new("back again"), t(1000))
            .await
            .is_ok(),
        "suspensions end"
    );
    c.moderate(
        moderator,
        ModAction::Ban { user: u[0] },
        "repeat offender",
        t(1001),
    )
    .await
    .unwrap();
    assert_eq!(
        c.post(u[0], Draft::new("still here"), t(2000)).await,
        Err(Error::AccountRestricted { until: None })
    );
    assert_eq!(
        Error::AccountRestricted { until: None }.to_string(),
        "account is banned"
    );
    c.moderate(
        moderator,
        ModAction::Reinstate { user: u[0] },
        "appeal",
        t(2001),
    )
    .await
    .unwrap();
    assert!(c.post(u[0], Draft::new("thank you"), t(2002)).await.is_ok());

    let log = c.audit_log(admin, t(3000)).await.unwrap();
    assert_eq!(log.len(), 6);
    assert_eq!(log[0].id, a1);
    assert_eq!(log[1].id, a2);
    assert_eq!(log[0].actor, moderator);
    assert_eq!(log[0].reason, "pump and dump");
    assert_eq!(
        log[0].action,
        AuditAction::Moderation {
            action: ModAction::RemovePost { post: id }
        }
    );
    let outcomes: Vec<String> = c
        .notifications(u[0], false)
        .await
        .unwrap()
        .iter()
        .map(|n| n.text.clone())
        .collect();
    assert!(outcomes.contains(&"Your account was banned: repeat offender".to_owned()));
    assert!(outcomes.contains(&"Your account was reinstated: appeal".to_owned()));
    assert!(outcomes.contains(&"You received a warning: be kind".to_owned()));
}

#[tokio::test]
async fn revealing_an_author_is_audited_every_time() {
    let (mut c, u) = community_with(relaxed(), &["Ann_A"], 2).await;
    let admin = staff(&mut c, Role::Admin, 90).await;
    let moderator = staff(&mut c, Role::Moderator, 91).await;
    let id = c
        .post(u[0], Draft::new("anonymous question").anonymous(), t(0))
        .await
        .unwrap();
    c.flag(u[1], id, FlagReason::Harassment, t(1))
        .await
        .unwrap();
    let queue = c.review_queue(moderator, t(2)).await.unwrap();
    assert_eq!(
        queue[0].post.author,
        Author::Anonymous,
        "the queue keeps anonymity"
    );
    assert!(
        c.audit_log(admin, t(2)).await.unwrap().is_empty(),
        "looking at the queue reveals nothing"
    );
    for n in 0..2 {
        let revealed = c
            .reveal_author(moderator, id, "harassment report #12", t(3 + n))
            .await
            .unwrap();
        assert_eq!(revealed.author.id, u[0]);
        assert_eq!(revealed.author.alias, "Ann_A");
        assert!(revealed.anonymous);
        let log = c.audit_log(admin, t(10)).await.unwrap();
        assert_eq!(log.len(), usize::try_from(n).unwrap() + 1);
        let last = log.last().unwrap();
        assert_eq!(
            (last.id, last.actor, last.at),
            (revealed.audit, moderator, t(3 + n))
        );
        assert_eq!(last.action, AuditAction::RevealAuthor { post: id });
        assert_eq!(last.reason, "harassment report #12");
    }
}

#[tokio::test]
async fn rate_limits_per_minute_and_per_day() {
    let (mut c, u) = community_with(Config::default(), &[], 2).await;
    for i in 0..3 {
        c.post(u[0], Draft::new(format!("note number {i}")), t(i * 10))
            .await
            .unwrap();
    }
    assert_eq!(
        c.post(u[0], Draft::new("one too many"), t(30)).await,
        Err(Error::RateLimited {
            retry_after: TimeDelta::seconds(30),
            limit: 3,
            window: "minute"
        })
    );
    let root = c.post(u[1], Draft::new("root"), t(0)).await.unwrap();
    assert!(matches!(
        c.comment(u[0], root, Draft::new("comments count too"), t(40))
            .await,
        Err(Error::RateLimited {
            window: "minute",
            ..
        })
    ));
    assert!(
        c.post(u[0], Draft::new("one too many"), t(60))
            .await
            .is_ok(),
        "the first post left the minute"
    );
    // 50 a day: spread the rest over the day.
    let (mut c, u) = community_with(Config::default(), &[], 1).await;
    for i in 0..50 {
        c.post(u[0], Draft::new(format!("daily note {i}")), t(i * 120))
            .await
            .unwrap();
    }
    match c.post(u[0], Draft::new("fifty-first"), t(50 * 120)).await {
        Err(Error::RateLimited {
            retry_after,
            limit: 50,
            window: "day",
        }) => {
            assert_eq!(
                retry_after,
                TimeDelta::days(1) - TimeDelta::seconds(50 * 120)
            );
        }
        other => panic!("{other:?}"),
    }
    let err = Error::RateLimited {
        retry_after: TimeDelta::seconds(30),
        limit: 3,
        window: "minute",
    };
    assert_eq!(
        err.to_string(),
        "rate limit reached: 3 per minute; try again in 30s"
    );
}

#[tokio::test]
async fn repeated_text_is_spam_within_the_window() {
    let (mut c, u) = community(2).await;
    let first = c
        .post(u[0], Draft::new("Buy $XYZ now!"), t(0))
        .await
        .unwrap();
    assert_eq!(
        c.post(u[0], Draft::new("buy   $xyz... NOW"), t(3600)).await,
        Err(Error::Spam {
            rule: SpamRule::RepeatedText { previous: first }
        })
    );
    let root = c.post(u[1], Draft::new("thread"), t(0)).await.unwrap();
    assert!(matches!(
        c.comment(u[0], root, Draft::new("BUY $XYZ NOW"), t(3600))
            .await,
        Err(Error::Spam { .. })
    ));
    assert!(
        c.post(u[1], Draft::new("Buy $XYZ now!"), t(3600))
            .await
            .is_ok(),
        "another member may say the same"
    );
    assert!(
        c.post(u[0], Draft::new("Buy $XYZ now!"), t(86_401))
            .await
            .is_ok(),
        "after the window it is allowed"
    );
}

#[tokio::test]
async fn cashtag_stuffing_is_spam() {
    let (mut c, u) = community(1).await;
    assert!(
        c.post(u[0], Draft::new("$A $B $C $D $E"), t(0))
            .await
            .is_ok()
    );
    assert_eq!(
        c.post(u[0], Draft::new("$AA $BB $CC $DD $EE $FF"), t(1))
            .await,
        Err(Error::Spam {
            rule: SpamRule::CashtagStuffing { count: 6, max: 5 }
        })
    );
    assert!(
        c.post(u[0], Draft::new("$AA $AA $AA $AA $AA $AA"), t(2))
            .await
            .is_ok(),
        "distinct tickers are counted"
    );
}

#[tokio::test]
async fn gains_on_trades_not_shared_before_are_spam() {
    let (mut c, u) = community(2).await;
    let xyz = Symbol::new("XYZ").unwrap();
    assert_eq!(
        c.post(u[0], Draft::new("I'm up 40% on $XYZ, easy money"), t(100))
            .await,
        Err(Error::Spam {
            rule: SpamRule::UnsharedGain {
                symbol: xyz.clone()
            }
        })
    );
    assert!(
        c.post(u[0], Draft::new("$XYZ up 40% today on earnings"), t(101))
            .await
            .is_ok(),
        "news is not a claim"
    );
    // Shared beforehand (even anonymously): the result may be discussed.
    assert!(
        c.post(
            u[1],
            Draft::new("Buying $ABC, cheap vs peers").anonymous(),
            t(0)
        )
        .await
        .is_ok()
    );
    assert!(
        c.post(u[1], Draft::new("Made 300% on $ABC since my post"), t(200))
            .await
            .is_ok()
    );
    // A deleted or removed idea does not count as shared.
    let idea = c
        .post(u[1], Draft::new("Starter position in $DEF"), t(300))
        .await
        .unwrap();
    c.delete_post(u[1], idea).await.unwrap();
    assert!(matches!(
        c.post(u[1], Draft::new("banked +25% on $DEF"), t(400))
            .await,
        Err(Error::Spam { .. })
    ));
    // Every tagged ticker must have been shared.
    assert!(
        c.post(u[1], Draft::new("My $ABC and $GHI are both 3x"), t(500))
            .await
            .is_err()
    );
    assert!(
        Error::Spam {
            rule: SpamRule::UnsharedGain { symbol: xyz }
        }
        .to_string()
        .contains("did not share before")
    );
}
