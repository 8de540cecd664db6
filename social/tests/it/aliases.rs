//! Aliases: the random default, the change rules and their bad inputs.

use auravest_social::{
    Alias, AliasPolicy, AliasProblem, Community, Config, DEFAULT_ALIAS_PREFIX, Error, MemoryStore,
    ModAction, Role, seeded_rng,
};
use chrono::TimeDelta;
use proptest::prelude::*;

use crate::support::{community, staff, t};

fn problem(result: Result<Alias, Error>) -> AliasProblem {
    match result {
        Err(Error::InvalidAlias { reason }) => reason,
        other => panic!("expected an alias problem, got {other:?}"),
    }
}

#[tokio::test]
async fn default_aliases_look_like_investor_and_four_digits_and_are_unique() {
    let (community, users) = community(300).await;
    let mut seen = std::collections::HashSet::new();
    for user in users {
        let alias = community.profile(None, user).await.unwrap().member.alias;
        let digits = alias.strip_prefix(DEFAULT_ALIAS_PREFIX).expect("prefix");
        assert!(
            digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()),
            "{alias}"
        );
        assert!(seen.insert(alias.to_lowercase()), "duplicate {alias}");
    }
}

#[tokio::test]
async fn default_alias_draws_widen_until_the_space_is_exhausted() {
    // A generator stuck on one value forces every fallback tier in turn.
    let mut community = Community::in_memory();
    let mut stuck = || 0u64;
    let mut aliases = Vec::new();
    for _ in 0..7 {
        let id = community.register(t(0), &mut stuck).await.unwrap();
        aliases.push(community.profile(None, id).await.unwrap().member.alias);
    }
    assert_eq!(
        aliases,
        [
            "Investor1000",
            "Investor10000",
            "Investor100000",
            "InvestorA100000",
            "InvestorAA100000",
            "InvestorAAA100000",
            "InvestorAAAA100000"
        ]
    );
    assert_eq!(
        community.register(t(0), &mut stuck).await,
        Err(Error::AliasSpaceExhausted)
    );
}

#[test]
fn good_aliases_are_accepted_as_written() {
    let policy = AliasPolicy::default();
    for good in [
        "Ann",
        "Dividend_Dan",
        "value_investor_2024",
        "Q3Earnings",
        "x_y",
        "Bogleheads_Fan_1",
    ] {
        assert_eq!(policy.check(good).unwrap().as_str(), good);
    }
}

#[test]
fn every_alias_rule_refuses_its_bad_inputs() {
    let policy = AliasPolicy::default();
    let cases: &[(&str, AliasProblem)] = &[
        ("Al", AliasProblem::TooShort { min: 3 }),
        ("", AliasProblem::TooShort { min: 3 }),
        (
            "A_very_long_alias_name_x",
            AliasProblem::TooLong { max: 20 },
        ),
        ("2Fast", AliasProblem::MustStartWithLetter),
        ("_under", AliasProblem::MustStartWithLetter),
        ("Ann Lee", AliasProblem::BadCharacter { found: ' ' }),
        ("Ann-Lee", AliasProblem::BadCharacter { found: '-' }),
        ("Renée", AliasProblem::BadCharacter { found: 'é' }),
        ("Ann<b>", AliasProblem::BadCharacter { found: '<' }),
        ("ann@example.com", AliasProblem::LooksLikeEmail),
        ("ann@", AliasProblem::LooksLikeEmail),
        ("ann_gmail", AliasProblem::LooksLikeEmail),
        ("HotmailUser", AliasProblem::LooksLikeEmail),
        ("bob_at_mail_dot_com", AliasProblem::LooksLikeEmail),
        ("5551234567", AliasProblem::LooksLikePhoneNumber),
        ("call_555_123_4567", AliasProblem::LooksLikePhoneNumber),
        ("+44 20 7946 0958", AliasProblem::LooksLikePhoneNumber),
        ("Tel0207946095", AliasProblem::LooksLikePhoneNumber),
        ("Investor1234567", AliasProblem::LooksLikePhoneNumber),
        ("https://x.org", AliasProblem::LooksLikeLink),
        ("http_deals", AliasProblem::LooksLikeLink),
        ("www_stocks", AliasProblem::LooksLikeLink),
        ("stocks.io", AliasProblem::LooksLikeLink),
        ("bestpicks_com", AliasProblem::LooksLikeLink),
        ("picksdotcom", AliasProblem::LooksLikeLink),
        (
            "TheAdmin",
            AliasProblem::BlockedWord {
                word: "admin".to_owned(),
            },
        ),
        (
            "x_4dm1n",
            AliasProblem::BlockedWord {
                word: "admin".to_owned(),
            },
        ),
        (
            "Mod3rat0r",
            AliasProblem::BlockedWord {
                word: "moderator".to_owned(),
            },
        ),
        (
            "AuraVest_Team",
            AliasProblem::BlockedWord {
                word: "auravest".to_owned(),
            },
        ),
        (
            "m_o_r_o_n",
            AliasProblem::BlockedWord {
                word: "moron".to_owned(),
            },
        ),
        ("anonymous", AliasProblem::Reserved),
        ("Anon", AliasProblem::Reserved),
        ("SYSTEM", AliasProblem::Reserved),
        ("Sy5tem", AliasProblem::Reserved),
    ];
    for (alias, expected) in cases {
        assert_eq!(&problem(policy.check(alias)), expected, "{alias:?}");
    }
    // Messages name the rule.
    let err = policy.check("ann@example.com").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid alias: must not contain an e-mail address"
    );
    assert_eq!(err.field(), Some("alias"));
}

#[tokio::test]
async fn look_alike_gaps_are_closed() {
    let policy = AliasPolicy::default();
    let blocked = |word: &str| AliasProblem::BlockedWord {
        word: word.to_owned(),
    };
    let cases: &[(&str, AliasProblem)] = &[
        // `1` read as `l`, not only as `i`.
        ("He1pdesk", blocked("helpdesk")),
        ("Officia1", blocked("official")),
        ("The_0ffic1a1_News", blocked("official")),
        // `l` and `I` confused either way.
        ("AdmlN", blocked("admin")),
        ("The_ADMlN", blocked("admin")),
        ("HeIpdesk", blocked("helpdesk")),
        // `rn` read as `m`.
        ("Adrnin", blocked("admin")),
        ("Adrn1n_Bot", blocked("admin")),
        // `mod` as a word, not only as the whole alias.
        ("Mod_Team", AliasProblem::Reserved),
        ("TheMods", AliasProblem::Reserved),
        ("M0d_Squad", AliasProblem::Reserved),
        ("Chief_Mod2", AliasProblem::Reserved),
    ];
    for (alias, expected) in cases {
        assert_eq!(&problem(policy.check(alias)), expected, "{alias:?}");
        assert_eq!(&problem(policy.check_choice(alias)), expected, "{alias:?}");
    }
    // Shaped like a default alias: handed out, never chosen.
    for alias in [
        "Investor4821",
        "InvestorQK4821",
        "investor_1234",
        "Investor_Jane",
        "Inve5tor9999",
        "lnvestor482",
    ] {
        assert_eq!(
            problem(policy.check_choice(alias)),
            AliasProblem::LooksLikeDefault,
            "{alias:?}"
        );
    }
    let (mut c, u) = community(1).await;
    assert!(matches!(
        c.change_alias(u[0], "Investor4821", t(0)).await,
        Err(Error::InvalidAlias {
            reason: AliasProblem::LooksLikeDefault
        })
    ));
    // Ordinary aliases with the same letters stay free.
    for good in [
        "Modern_Investor",
        "Commodity_Carl",
        "Model_Portfolio",
        "InvestorJane",
        "Investors_Club",
        "Value_Investor_2024",
        "Lilly_Bell",
        "Ill_Wind",
        "Turnip_Trader",
        "Admiral_Pete",
    ] {
        assert!(
            policy.check(good).is_ok(),
            "{good}: {:?}",
            policy.check(good)
        );
    }
}

#[test]
fn account_aliases_follow_the_same_rules() {
    let policy = AliasPolicy::default();
    for ok in ["ana", "ana_b-2", "dividend-dan", &"a".repeat(30)] {
        assert!(policy.check_account_alias(ok).is_ok(), "{ok}");
    }
    let bad: &[(&str, AliasProblem)] = &[
        ("an", AliasProblem::TooShort { min: 3 }),
        (&"a".repeat(31), AliasProblem::TooLong { max: 30 }),
        ("2ana", AliasProblem::MustStartWithLetter),
        ("_ana", AliasProblem::MustStartWithLetter),
        ("Ana", AliasProblem::NotLowerCase),
        ("ana b", AliasProblem::BadCharacter { found: ' ' }),
        ("anä", AliasProblem::BadCharacter { found: 'ä' }),
        ("bob-gmail", AliasProblem::LooksLikeEmail),
        ("picks-com", AliasProblem::LooksLikeLink),
        ("call-555-123-4567", AliasProblem::LooksLikePhoneNumber),
        ("anonymous", AliasProblem::Reserved),
        ("mod-team", AliasProblem::Reserved),
        ("investor-abc123", AliasProblem::LooksLikeDefault),
        ("investor-abcdef", AliasProblem::LooksLikeDefault),
        (
            "he1p-desk",
            AliasProblem::BlockedWord {
                word: "helpdesk".to_owned(),
            },
        ),
        (
            "adrnin",
            AliasProblem::BlockedWord {
                word: "admin".to_owned(),
            },
        ),
    ];
    for (alias, expected) in bad {
        match policy.check_account_alias(alias) {
            Err(Error::InvalidAlias { reason }) => assert_eq!(&reason, expected, "{alias:?}"),
            other => panic!("{alias:?}: expected {expected:?}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_word_lists_are_configurable() {
    let mut policy = AliasPolicy::default();
    assert!(policy.check("BearMarket").is_ok());
    policy.blocked_words.push("bear".to_owned());
    policy.reserved.push("bull".to_owned());
    assert_eq!(
        problem(policy.check("BearMarket")),
        AliasProblem::BlockedWord {
            word: "bear".to_owned()
        }
    );
    assert_eq!(problem(policy.check("BULL")), AliasProblem::Reserved);
    assert!(
        policy.check("Bullish_Ben").is_ok(),
        "reserved names are whole aliases only"
    );
    let config = Config {
        alias: policy.clone(),
        ..Config::default()
    };
    policy.blocked_words.clear();
    assert!(policy.check("TheAdmin").is_ok());

    let mut community = Community::new(MemoryStore::new(), config);
    let id = community.register(t(0), &mut seeded_rng(1)).await.unwrap();
    assert!(matches!(
        community.change_alias(id, "BearMarket", t(0)).await,
        Err(Error::InvalidAlias { .. })
    ));
}

#[tokio::test]
async fn alias_changes_are_unique_without_case_and_rate_limited() {
    let (mut c, u) = community(2).await;
    let alias = c.change_alias(u[0], "Dividend_Ann", t(0)).await.unwrap();
    assert_eq!(alias.as_str(), "Dividend_Ann");
    assert_eq!(
        c.profile_by_alias(None, "dividend_ann")
            .await
            .unwrap()
            .member
            .id,
        u[0]
    );
    assert_eq!(
        c.change_alias(u[1], "DIVIDEND_ANN", t(0)).await,
        Err(Error::AliasTaken {
            alias: "DIVIDEND_ANN".to_owned()
        })
    );
    // The cooldown: 30 days after the last change.
    let soon = t(0) + TimeDelta::days(29);
    match c.change_alias(u[0], "Dividend_Annie", soon).await {
        Err(Error::RateLimited {
            retry_after,
            limit: 1,
            window: "alias change",
        }) => {
            assert_eq!(retry_after, TimeDelta::days(1));
        }
        other => panic!("{other:?}"),
    }
    let later = t(0) + TimeDelta::days(30);
    c.change_alias(u[0], "DIVIDEND_ANN", later)
        .await
        .expect("a change of case is allowed");
    assert_eq!(
        c.profile(None, u[0]).await.unwrap().member.alias,
        "DIVIDEND_ANN"
    );
    // The old alias is free for others once changed.
    c.change_alias(u[1], "Growth_Gus", t(0)).await.unwrap();
    assert!(c.profile_by_alias(None, "Dividend_Ann").await.is_ok());
    assert!(matches!(
        c.profile_by_alias(None, "Nobody_Else").await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn suspended_members_cannot_change_alias() {
    let (mut c, u) = community(1).await;
    let moderator = staff(&mut c, Role::Moderator, 99).await;
    c.moderate(
        moderator,
        ModAction::Suspend {
            user: u[0],
            until: t(3600),
        },
        "spam wave",
        t(0),
    )
    .await
    .unwrap();
    assert_eq!(
        c.change_alias(u[0], "Fresh_Start", t(10)).await,
        Err(Error::AccountRestricted {
            until: Some(t(3600))
        })
    );
    assert!(
        c.change_alias(u[0], "Fresh_Start", t(3600)).await.is_ok(),
        "the suspension has ended"
    );
}

#[test]
fn stored_aliases_are_checked_when_read_back() {
    let ok: Alias = serde_json::from_str("\"Dividend_Dan\"").unwrap();
    assert_eq!(ok.as_str(), "Dividend_Dan");
    for bad in ["\"ann@example.com\"", "\"5551234567\"", "\"a b\"", "\"x\""] {
        assert!(serde_json::from_str::<Alias>(bad).is_err(), "{bad}");
    }
}

/// An independent reading of "contains an e-mail address or phone number".
fn has_contact(alias: &str) -> bool {
    let digits = alias.chars().filter(char::is_ascii_digit).count();
    alias.contains('@') || digits >= 7 || alias.contains("://") || alias.contains('.')
}

fn email() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}@[a-z]{1,8}\\.(com|org|net|io)",
        "[a-z]{1,6}(_at_|at)(gmail|yahoo|hotmail|outlook)(_dot_|dot)?(com)?",
        "[a-z]{1,6}_at_[a-z]{2,6}_dot_[a-z]{2,3}",
    ]
}

fn phone() -> impl Strategy<Value = String> {
    (
        prop::option::of(Just("+")),
        prop::collection::vec("[0-9]{2,4}", 3..5),
        "[ ._-]?",
    )
        .prop_map(|(plus, groups, sep)| format!("{}{}", plus.unwrap_or(""), groups.join(&sep)))
        .prop_filter("a phone number has at least 7 digits", |p| {
            p.chars().filter(char::is_ascii_digit).count() >= 7
        })
}

proptest! {
    #[test]
    fn an_accepted_alias_never_holds_an_email_or_phone_number(candidate in "[A-Za-z0-9_@.+ -]{0,24}") {
        if let Ok(alias) = AliasPolicy::default().check(&candidate) {
            prop_assert!(!has_contact(alias.as_str()), "{alias}");
        }
    }

    #[test]
    fn aliases_with_an_email_or_phone_number_are_refused(
        prefix in "[A-Za-z]{0,5}",
        contact in prop_oneof![email(), phone()],
        suffix in "[A-Za-z_]{0,4}",
    ) {
        let candidate = format!("{prefix}{contact}{suffix}");
        prop_assert!(AliasPolicy::default().check(&candidate).is_err(), "{candidate}");
    }

    #[test]
    fn default_aliases_always_pass_the_rules_but_cannot_be_chosen(seed in any::<u64>(), digits in 4u32..=6, letters in 0u32..=4) {
        let policy = AliasPolicy::default();
        let mut rng = seeded_rng(seed);
        if let Ok(alias) = policy.random_default(&mut rng, digits, letters) {
            prop_assert!(!has_contact(alias.as_str()));
            prop_assert!(policy.check(alias.as_str()).is_ok());
            // Stored, it reads back; chosen, it is refused.
            let json = serde_json::to_string(&alias).unwrap();
            prop_assert_eq!(&serde_json::from_str::<Alias>(&json).unwrap(), &alias);
            prop_assert_eq!(problem(policy.check_choice(alias.as_str())), AliasProblem::LooksLikeDefault);
            let account = alias.as_str().to_ascii_lowercase();
            prop_assert!(policy.check_account_alias(&account).is_err());
        }
    }

    #[test]
    fn a_blocked_word_is_refused_however_its_letters_are_disguised(
        word in prop::sample::select(vec!["admin", "helpdesk", "official", "support", "moderator"]),
        swaps in prop::collection::vec(any::<bool>(), 12),
        prefix in "[A-Z][a-z]{0,3}",
    ) {
        // Each ambiguous letter written either way, in either case.
        let disguised: String = word
            .chars()
            .zip(swaps.iter().cycle())
            .map(|(c, swap)| match (c, swap) {
                ('l', true) => '1',
                ('i', true) => 'l',
                ('o', true) => '0',
                ('m', true) => 'M',
                (c, true) => c.to_ascii_uppercase(),
                (c, false) => c,
            })
            .collect();
        let candidate = format!("{prefix}_{disguised}");
        // Refused as a blocked word, for a staff word it happens to hold
        // (`modErator`), or, when the prefix makes it read as a web
        // address (`Www_admin`), as a link.
        let refused = AliasPolicy::default().check(&candidate);
        prop_assert!(
            matches!(
                refused,
                Err(Error::InvalidAlias {
                    reason: AliasProblem::BlockedWord { .. }
                        | AliasProblem::Reserved
                        | AliasProblem::LooksLikeLink
                })
            ),
            "{} gave {:?}", candidate, refused
        );
    }
}
