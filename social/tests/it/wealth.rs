//! Wealth privacy: money amounts with spans, and percentage-only performance shares.

use std::str::FromStr;

use auravest_social::{
    AmountCue, Decimal, Draft, Error, PerformanceShare, Period, PrivacySettings, RiskCategory,
    compound_percent, wealth_warnings,
};

use crate::support::{community, t};

fn found(text: &str) -> Vec<&str> {
    wealth_warnings(text)
        .iter()
        .map(|w| w.span.slice(text))
        .collect()
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

#[test]
fn the_issue_examples_are_found_with_their_spans() {
    let cases: &[(&str, &str, Option<&str>, &str, AmountCue)] = &[
        (
            "I put $12,500 into it",
            "$12,500",
            Some("USD"),
            "12500",
            AmountCue::CurrencySign,
        ),
        (
            "about 12.5k USD so far",
            "12.5k USD",
            Some("USD"),
            "12500",
            AmountCue::CurrencyCode,
        ),
        (
            "€3000 in my ETF",
            "€3000",
            Some("EUR"),
            "3000",
            AmountCue::CurrencySign,
        ),
        (
            "I have 40 grand in TSLA",
            "40 grand",
            None,
            "40000",
            AmountCue::Slang,
        ),
    ];
    for (text, matched, currency, value, cue) in cases {
        let warnings = wealth_warnings(text);
        assert_eq!(warnings.len(), 1, "{text:?}: {warnings:?}");
        let w = &warnings[0];
        assert_eq!(w.span.slice(text), *matched);
        assert_eq!(w.text, *matched);
        assert_eq!(
            w.currency.map(|c| c.to_string()).as_deref(),
            *currency,
            "{text:?}"
        );
        assert_eq!(w.value, Some(d(value)), "{text:?}");
        assert_eq!(w.cue, *cue, "{text:?}");
        assert!(w.message().contains(matched));
    }
}

#[test]
fn more_ways_of_writing_money() {
    assert_eq!(found("3000€ and 500 $ and £20"), ["3000€", "500 $", "£20"]);
    assert_eq!(
        found("US$5 or C$7 or HK$1,000.50"),
        ["US$5", "C$7", "HK$1,000.50"]
    );
    assert_eq!(
        found("EUR 400 and 10 bucks and 20 quid"),
        ["EUR 400", "10 bucks", "20 quid"]
    );
    assert_eq!(found("2 million dollars"), ["2 million dollars"]);
    assert_eq!(found("$1.2m portfolio, 3bn JPY"), ["$1.2m", "3bn JPY"]);
    assert_eq!(found("I put 10k into NVDA"), ["10k"]);
    assert_eq!(found("made 2m last year"), ["2m"]);
    assert_eq!(found("I have 15k in savings"), ["15k"]);
    assert_eq!(found("$12.50 a share"), ["$12.50"]);
    assert_eq!(found("$5"), ["$5"]);
    assert_eq!(found("3.000,50 EUR"), ["3.000,50 EUR"]);
    let v = wealth_warnings("3.000,50 EUR");
    assert_eq!(v[0].value, Some(d("3000.50")));
    assert_eq!(
        wealth_warnings("I put 10k into NVDA")[0].cue,
        AmountCue::Context
    );
    assert_eq!(wealth_warnings("20 quid")[0].cue, AmountCue::CurrencyWord);
}

#[test]
fn near_misses_are_not_money() {
    for text in [
        "$AAPL",
        "$BRK.B and $VOD.L",
        "up 12%",
        "up 12 %",
        "down 3 percent",
        "a 7.5% yield",
        "the 10-K filing",
        "Q3 2024 results",
        "5x leverage",
        "10k steps a day",
        "I have 100k followers",
        "1st and 2nd",
        "at 3pm",
        "I hold 40 shares",
        "since 2019",
        "3000 $AAPL shares",
        "rated A1 by all",
        "top 10 picks",
        "2 million users",
    ] {
        assert!(
            wealth_warnings(text).is_empty(),
            "{text:?}: {:?}",
            found(text)
        );
    }
}

#[test]
fn lower_case_codes_are_only_the_major_ones() {
    assert_eq!(found("500 usd"), ["500 usd"]);
    assert!(
        found("give all 500 all").is_empty(),
        "`all` is not read as the lek"
    );
    assert_eq!(found("500 ALL"), ["500 ALL"]);
}

#[tokio::test]
async fn drafts_with_amounts_need_confirmation() {
    let (mut c, u) = community(1).await;
    match c
        .post(
            u[0],
            Draft::new("I have 40 grand in $TSLA and €3000 cash"),
            t(0),
        )
        .await
    {
        Err(Error::WealthDisclosure { warnings }) => {
            let spans: Vec<(usize, usize)> = warnings
                .iter()
                .map(|w| (w.span.start, w.span.end))
                .collect();
            assert_eq!(spans, [(7, 15), (29, 36)]);
        }
        other => panic!("{other:?}"),
    }
    let err = c.post(u[0], Draft::new("$12,500"), t(0)).await.unwrap_err();
    assert_eq!(err.field(), Some("text"));
    assert!(
        c.post(
            u[0],
            Draft::new("I have 40 grand in $TSLA").confirm_amounts(),
            t(0)
        )
        .await
        .is_ok()
    );
    assert!(
        c.post(
            u[0],
            Draft::new("Up 12% on the year, $AAPL is my largest position"),
            t(1)
        )
        .await
        .is_ok()
    );
}

#[test]
fn performance_shares_are_percentages_only() {
    let july = Period::Month {
        year: 2024,
        month: 7,
    };
    let share = PerformanceShare::new(july, d("3.24"), Some(RiskCategory::Moderate)).unwrap();
    assert_eq!(share.return_pct, d("3.2"));
    assert_eq!(
        share.text(),
        "+3.2% in July 2024 with a Moderate risk portfolio"
    );
    let share = PerformanceShare::new(
        Period::Year { year: 2023 },
        d("-12.05"),
        Some(RiskCategory::Aggressive),
    )
    .unwrap();
    assert_eq!(
        share.text(),
        "-12.1% in 2023 with an Aggressive risk portfolio"
    );
    let share = PerformanceShare::new(july, d("0"), None).unwrap();
    assert_eq!(share.text(), "+0.0% in July 2024");
    assert!(wealth_warnings(&share.text()).is_empty());
    // The JSON form has no field an amount could go in.
    let json = serde_json::to_value(
        PerformanceShare::new(july, d("3.2"), Some(RiskCategory::Growth)).unwrap(),
    )
    .unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["period", "return_pct", "risk"]);

    for (period, pct) in [
        (
            Period::Month {
                year: 2024,
                month: 13,
            },
            "1",
        ),
        (
            Period::Month {
                year: 2024,
                month: 0,
            },
            "1",
        ),
        (Period::Year { year: 1800 }, "1"),
        (july, "-100.1"),
        (july, "9900.1"),
    ] {
        assert!(
            matches!(
                PerformanceShare::new(period, d(pct), None),
                Err(Error::InvalidInput { .. })
            ),
            "{period:?} {pct}"
        );
    }
    assert!(PerformanceShare::new(july, d("-100"), None).is_ok());
}

#[test]
fn monthly_returns_compound_into_the_year() {
    let months: Vec<Decimal> = ["1", "2", "-1"].iter().map(|s| d(s)).collect();
    // 1.01 × 1.02 × 0.99 = 1.019898
    assert_eq!(compound_percent(&months), Some(d("1.9898")));
    assert_eq!(compound_percent(&[d("-100"), d("50")]), Some(d("-100")));
    assert_eq!(
        compound_percent(&vec![d("9900"); 40]),
        None,
        "overflow is reported, not a panic"
    );
}

#[tokio::test]
async fn performance_posts_under_the_alias_need_the_setting() {
    let (mut c, u) = community(2).await;
    let july = Period::Month {
        year: 2024,
        month: 7,
    };
    let share = PerformanceShare::new(july, d("3.2"), Some(RiskCategory::Moderate)).unwrap();
    assert!(
        !c.settings(u[0]).await.unwrap().share_performance,
        "off by default"
    );
    assert_eq!(
        c.share_performance(u[0], &share, false, t(0)).await,
        Err(Error::PerformanceSharingOff)
    );
    // Anonymous shares reveal nobody, so they need no setting.
    let id = c.share_performance(u[0], &share, true, t(0)).await.unwrap();
    let view = c.view_post(Some(u[1]), id).await.unwrap();
    assert_eq!(
        view.text,
        "+3.2% in July 2024 with a Moderate risk portfolio"
    );
    assert_eq!(view.author, auravest_social::Author::Anonymous);
    assert_eq!(view.performance, Some(share.clone()));
    // With the figure on the public profile, an anonymous share would point at its author.
    c.update_settings(
        u[0],
        PrivacySettings {
            share_performance: true,
            ..PrivacySettings::default()
        },
    )
    .await
    .unwrap();
    c.record_return(u[0], july, d("3.2")).await.unwrap();
    let august = PerformanceShare::new(
        Period::Month {
            year: 2024,
            month: 8,
        },
        d("3.2"),
        None,
    )
    .unwrap();
    assert!(
        c.share_performance(u[0], &august, true, t(100))
            .await
            .is_ok(),
        "another period is fine"
    );
    assert!(matches!(
        c.share_performance(u[0], &share, true, t(200)).await,
        Err(Error::InvalidInput {
            field: "anonymous",
            ..
        })
    ));
    let signed = c
        .share_performance(u[0], &share, false, t(90_000))
        .await
        .unwrap();
    assert!(matches!(
        c.view_post(None, signed).await.unwrap().author,
        auravest_social::Author::Member { .. }
    ));
}
