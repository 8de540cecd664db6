//! Concentration: each rule fires on its crafted case and stays silent on
//! its near-miss twin.

use auravest_bias::config::ConcentrationConfig;
use auravest_bias::{NudgeKind, Severity, concentration};
use auravest_core::InstrumentTable;

use crate::support::{book, close, num, subjects, table, tech, with_subject};

fn run(
    positions: &[(&str, u32)],
    cash: u32,
    instruments: &InstrumentTable,
) -> Vec<auravest_bias::Nudge> {
    let (_, _, v) = book(positions, cash);
    concentration(&v, instruments, &ConcentrationConfig::default()).unwrap()
}

#[test]
fn a_holding_above_ten_percent_fires_and_just_below_is_silent() {
    let t = tech(&["AAPL"]);
    let fired = run(&[("AAPL", 1010)], 8990, &t);
    assert_eq!(subjects(&fired), ["AAPL"]);
    let n = &fired[0];
    assert_eq!(
        (n.kind, n.severity),
        (NudgeKind::Concentration, Severity::Warning)
    );
    assert!(close(num(n, "weight"), 0.101, 1e-9));
    assert!(close(num(n, "limit"), 0.10, 1e-12));
    assert!(!n.title.contains("Single point of failure"));
    assert!(!n.explanation.is_empty() && !n.action.is_empty());

    assert!(run(&[("AAPL", 990)], 9010, &t).is_empty());
}

#[test]
fn half_the_portfolio_in_one_name_is_a_single_point_of_failure() {
    let t = tech(&["AAPL"]);
    let at = run(&[("AAPL", 5000)], 5000, &t);
    let n = with_subject(&at, "AAPL");
    assert_eq!(n.severity, Severity::Critical);
    assert!(
        n.title.starts_with("Single point of failure"),
        "{}",
        n.title
    );
    assert!(n.explanation.contains("single point of failure"));

    let below = run(&[("AAPL", 4900)], 5100, &t);
    let n = with_subject(&below, "AAPL");
    assert_eq!(n.severity, Severity::Warning);
    assert!(!n.title.contains("Single point of failure"));
}

#[test]
fn holdings_above_five_percent_summing_past_forty_break_5_10_40() {
    let names = ["AA", "BB", "CC", "DD", "EE"];
    let t = tech(&names);
    // Five holdings of 9% (each within the 10% limit) add up to 45%.
    let five: Vec<(&str, u32)> = names.iter().map(|s| (*s, 900)).collect();
    let fired = run(&five, 5500, &t);
    assert_eq!(subjects(&fired), ["5/10/40", "sector:Technology"]);
    let n = with_subject(&fired, "5/10/40");
    assert_eq!(n.severity, Severity::Warning);
    assert!(close(num(n, "total"), 0.45, 1e-9));
    assert_eq!(n.evidence["holdings"].as_array().unwrap().len(), 5);

    // Four of them add up to 36%: silent (the sector is still 36% > 30%).
    let four: Vec<(&str, u32)> = names[..4].iter().map(|s| (*s, 900)).collect();
    let quiet = run(&four, 6400, &t);
    assert_eq!(subjects(&quiet), ["sector:Technology"]);
}

#[test]
fn few_effective_holdings_fire_and_even_equal_ones_do_not() {
    let names = [
        "AA", "BB", "CC", "DD", "EE", "FF", "GG", "HH", "II", "JJ", "KK", "LL",
    ];
    let rows: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{s},equity,Sector{i},US"))
        .collect();
    let t = table(&rows.iter().map(String::as_str).collect::<Vec<_>>());
    let three: Vec<(&str, u32)> = names[..3].iter().map(|s| (*s, 1000)).collect();
    let fired = run(&three, 0, &t);
    let n = with_subject(&fired, "effective_holdings");
    assert!(close(num(n, "effective_holdings"), 3.0, 1e-9));
    assert!(close(num(n, "hhi"), 1.0 / 3.0, 1e-6));
    assert_eq!(n.severity, Severity::Warning, "3 is below half of 10");

    let seven: Vec<(&str, u32)> = names[..7].iter().map(|s| (*s, 1000)).collect();
    let info = run(&seven, 0, &t);
    assert_eq!(
        with_subject(&info, "effective_holdings").severity,
        Severity::Info
    );

    let even: Vec<(&str, u32)> = names.iter().map(|s| (*s, 1000)).collect();
    let quiet = run(&even, 0, &t);
    assert!(!subjects(&quiet).contains(&"effective_holdings".to_owned()));
}

#[test]
fn a_sector_above_thirty_percent_fires_and_names_its_holdings() {
    let t = table(&[
        "AAPL,equity,Technology,US",
        "MSFT,equity,Technology,US",
        "XOM,equity,Energy,US",
    ]);
    let quiet_sector = run(&[("AAPL", 1400), ("MSFT", 1500)], 7100, &t);
    assert!(
        !subjects(&quiet_sector)
            .iter()
            .any(|s| s.starts_with("sector:")),
        "29% in one sector is within the limit"
    );
    let loud = run(&[("AAPL", 1500), ("MSFT", 1700), ("XOM", 900)], 5900, &t);
    let n = with_subject(&loud, "sector:Technology");
    assert!(close(num(n, "weight"), 0.32, 1e-9));
    assert_eq!(n.evidence["holdings"].as_array().unwrap().len(), 2);
    assert!(n.explanation.contains("AAPL and MSFT"));
}

#[test]
fn commodities_and_crypto_above_ten_percent_fire() {
    // GLD is a commodity fund in the shipped table.
    let t = InstrumentTable::shipped();
    let fired = run(&[("GLD", 1100)], 8900, &t);
    let n = with_subject(&fired, "alternatives");
    assert!(close(num(n, "weight"), 0.11, 1e-9));
    let quiet = run(&[("GLD", 900)], 9100, &t);
    assert!(quiet.is_empty(), "{:?}", subjects(&quiet));
}

#[test]
fn broad_funds_are_not_single_points_of_failure() {
    let t = InstrumentTable::shipped();
    assert!(run(&[("VTI", 6000), ("BND", 4000)], 0, &t).is_empty());
    let (_, _, v) = book(&[("VTI", 6000), ("BND", 4000)], 0);
    let strict = ConcentrationConfig {
        exempt_shipped_funds: false,
        ..ConcentrationConfig::default()
    };
    let fired = concentration(&v, &t, &strict).unwrap();
    assert_eq!(with_subject(&fired, "VTI").severity, Severity::Critical);
    // A symbol listed as a fund is exempt too.
    let mut listed = ConcentrationConfig::default();
    listed.funds.insert("MYFUND".parse().unwrap());
    let (_, _, v) = book(&[("MYFUND", 10_000)], 0);
    let out = concentration(&v, &tech(&["MYFUND"]), &listed).unwrap();
    assert!(out.is_empty(), "{:?}", subjects(&out));
}

#[test]
fn unclassified_holdings_are_named_never_guessed() {
    let empty = InstrumentTable::default();
    let out = run(&[("ZZZ", 500), ("YYY", 400)], 9100, &empty);
    let n = with_subject(&out, "unclassified");
    assert_eq!(n.severity, Severity::Info);
    let listed: Vec<&str> = n.evidence["unclassified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(listed, ["YYY", "ZZZ"]);
    assert!(close(num(n, "unclassified_weight"), 0.09, 1e-9));
    // Known, but without a sector.
    let no_sector = table(&["ZZZ,equity,,US", "YYY,equity,,US"]);
    let out = run(&[("ZZZ", 500), ("YYY", 400)], 9100, &no_sector);
    let n = with_subject(&out, "unclassified");
    assert_eq!(n.evidence["no_sector"].as_array().unwrap().len(), 2);
    // Fully classified: silent.
    let t = tech(&["ZZZ", "YYY"]);
    assert!(run(&[("ZZZ", 500), ("YYY", 400)], 9100, &t).is_empty());
}

/// A proposed mix gets the nudges a portfolio of the same weights gets,
/// word for word: what a what-if tool shows about its mix is what the
/// investor's nudges would say once it was bought.
#[test]
fn a_mix_is_judged_as_a_portfolio_with_the_same_weights() {
    use auravest_bias::mix_concentration;
    use auravest_core::Symbol;

    let names = ["AA", "BB", "CC", "DD", "EE"];
    let t = tech(&names);
    let positions = [
        ("AA", 5200),
        ("BB", 1500),
        ("CC", 900),
        ("DD", 700),
        ("EE", 200),
    ];
    let (_, _, v) = book(&positions, 1500);
    let as_portfolio = concentration(&v, &t, &ConcentrationConfig::default()).unwrap();
    let mix: Vec<(Symbol, f64)> = v
        .positions
        .iter()
        .map(|p| (p.symbol.clone(), p.weight))
        .collect();
    let as_mix = mix_concentration(&mix, &t, &ConcentrationConfig::default()).unwrap();
    assert_eq!(subjects(&as_mix), subjects(&as_portfolio));
    assert!(subjects(&as_mix).contains(&"AA".to_owned()));
    for (a, b) in as_mix.iter().zip(&as_portfolio) {
        assert_eq!(
            (a.severity, &a.title, &a.action),
            (b.severity, &b.title, &b.action)
        );
    }
    assert_eq!(with_subject(&as_mix, "AA").severity, Severity::Critical);

    // Zero weights are not holdings; an even mix of 25 unclassified names
    // only gets the note that sectors could not be checked.
    let even: Vec<(Symbol, f64)> = (0..25)
        .map(|i| (Symbol::new(&format!("S{i:02}")).unwrap(), 0.04))
        .chain([(Symbol::new("ZERO").unwrap(), 0.0)])
        .collect();
    let quiet = mix_concentration(
        &even,
        &InstrumentTable::shipped(),
        &ConcentrationConfig::default(),
    )
    .unwrap();
    assert!(
        quiet
            .iter()
            .all(|n| n.subject.as_deref() == Some("unclassified")),
        "{:?}",
        subjects(&quiet)
    );
    assert!(
        !quiet
            .iter()
            .any(|n| format!("{:?}", n.evidence).contains("ZERO"))
    );
}

#[test]
fn a_mix_outside_zero_one_or_above_a_whole_is_refused_by_name() {
    use auravest_bias::{Error, mix_concentration};
    use auravest_core::Symbol;

    let cfg = ConcentrationConfig::default();
    let t = InstrumentTable::shipped();
    let sym = |s: &str| Symbol::new(s).unwrap();
    for (mix, needle) in [
        (vec![(sym("AAPL"), 1.2)], "AAPL share 1.2"),
        (vec![(sym("AAPL"), -0.1)], "AAPL share -0.1"),
        (vec![(sym("AAPL"), f64::NAN)], "AAPL share NaN"),
        (vec![(sym("AAPL"), 0.7), (sym("MSFT"), 0.7)], "sum to 1.4"),
        (
            vec![(sym("AAPL"), 0.2), (sym("AAPL"), 0.2)],
            "AAPL appears more than once",
        ),
    ] {
        let err = mix_concentration(&mix, &t, &cfg).unwrap_err();
        assert!(matches!(err, Error::InvalidTarget { .. }), "{err:?}");
        assert!(err.to_string().contains(needle), "{err}");
    }
}
