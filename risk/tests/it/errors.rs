//! Every bad input gives a typed error naming the question or version.

use auravest_risk::{Answers, Error, Questionnaire};

use crate::support::{LONG_HORIZON, TOP_CAPACITY, TOP_TOLERANCE, answers};

fn valid() -> Answers {
    answers(TOP_TOLERANCE, LONG_HORIZON, TOP_CAPACITY)
}

#[test]
fn unknown_version_lists_known_versions() {
    let mut a = valid();
    a.version = "1999.1".to_owned();
    let err = auravest_risk::score(&a).unwrap_err();
    assert_eq!(
        err,
        Error::UnknownVersion {
            version: "1999.1".to_owned(),
            known: Questionnaire::versions(),
        }
    );
    assert_eq!(
        err.to_string(),
        "unknown questionnaire version `1999.1`; known versions: 2026.1"
    );
    assert_eq!(
        Questionnaire::by_version("").unwrap_err().to_string(),
        "unknown questionnaire version ``; known versions: 2026.1"
    );
}

#[test]
fn known_versions_resolve() {
    assert_eq!(Questionnaire::versions(), ["2026.1"]);
    for version in Questionnaire::versions() {
        let q = Questionnaire::by_version(version).unwrap();
        assert_eq!(q.version(), *version);
    }
    assert_eq!(Questionnaire::current().version(), "2026.1");
}

#[test]
fn scoring_against_another_version_is_a_mismatch() {
    let mut a = valid();
    a.version = "2025.1".to_owned();
    let err = Questionnaire::current().score(&a).unwrap_err();
    assert_eq!(
        err,
        Error::VersionMismatch {
            questionnaire: "2026.1".to_owned(),
            answers: "2025.1".to_owned(),
        }
    );
    assert!(err.to_string().contains("`2025.1`"), "{err}");
}

#[test]
fn unknown_question_id_is_named() {
    let a = valid().with("favourite_colour", 0);
    let err = auravest_risk::score(&a).unwrap_err();
    assert_eq!(
        err,
        Error::UnknownQuestion {
            version: "2026.1".to_owned(),
            id: "favourite_colour".to_owned(),
        }
    );
    assert_eq!(
        err.to_string(),
        "unknown question id `favourite_colour` in questionnaire version `2026.1`"
    );
}

#[test]
fn unknown_question_is_reported_before_missing_answers() {
    let a = Answers::new("2026.1").with("Risk_Attitude", 1);
    assert!(matches!(
        auravest_risk::score(&a),
        Err(Error::UnknownQuestion { id, .. }) if id == "Risk_Attitude"
    ));
}

#[test]
fn missing_answer_is_named() {
    let mut a = valid();
    a.answers.remove("emergency_fund");
    let err = auravest_risk::score(&a).unwrap_err();
    assert_eq!(
        err,
        Error::MissingAnswer {
            id: "emergency_fund".to_owned()
        }
    );
    assert_eq!(
        err.to_string(),
        "missing answer to question `emergency_fund`"
    );
}

#[test]
fn empty_answers_name_the_first_question() {
    let err = auravest_risk::score(&Answers::new("2026.1")).unwrap_err();
    assert_eq!(
        err,
        Error::MissingAnswer {
            id: "risk_attitude".to_owned()
        }
    );
}

#[test]
fn every_question_can_be_missing() {
    for q in Questionnaire::current().questions() {
        let mut a = valid();
        a.answers.remove(q.id());
        assert_eq!(
            auravest_risk::score(&a).unwrap_err(),
            Error::MissingAnswer {
                id: q.id().to_owned()
            }
        );
    }
}

#[test]
fn out_of_range_option_names_the_valid_range() {
    let a = valid().with("investing_knowledge", 3);
    let err = auravest_risk::score(&a).unwrap_err();
    assert_eq!(
        err,
        Error::OptionOutOfRange {
            id: "investing_knowledge".to_owned(),
            index: 3,
            max_index: 2,
        }
    );
    assert_eq!(
        err.to_string(),
        "option 3 for question `investing_knowledge` is out of range; valid options are 0 to 2"
    );
}

#[test]
fn every_question_rejects_the_first_index_past_its_options() {
    for q in Questionnaire::current().questions() {
        for index in [q.options().len(), usize::MAX] {
            let a = valid().with(q.id(), index);
            assert_eq!(
                auravest_risk::score(&a).unwrap_err(),
                Error::OptionOutOfRange {
                    id: q.id().to_owned(),
                    index,
                    max_index: q.options().len() - 1,
                }
            );
        }
    }
}

#[test]
fn negative_or_non_integer_indices_do_not_parse() {
    for json in [
        r#"{"version": "2026.1", "answers": {"risk_attitude": -1}}"#,
        r#"{"version": "2026.1", "answers": {"risk_attitude": 1.5}}"#,
        r#"{"version": "2026.1", "answers": {"risk_attitude": "1"}}"#,
        r#"{"answers": {}}"#,
    ] {
        assert!(serde_json::from_str::<Answers>(json).is_err(), "{json}");
    }
}

// ---------------------------------------------------------------------------
// Hostile input: unknown fields, sizes, echoed text
// ---------------------------------------------------------------------------

#[test]
fn unknown_fields_are_refused() {
    let json = r#"{"version": "2026.1", "answers": {}, "admin": true}"#;
    let err = serde_json::from_str::<Answers>(json).unwrap_err();
    assert!(err.to_string().contains("unknown field"), "{err}");
}

fn answers_json(n: usize, id_len: usize) -> String {
    let entries: Vec<String> = (0..n)
        .map(|i| format!("\"{}{i:04}\": 0", "q".repeat(id_len.saturating_sub(4))))
        .collect();
    format!(
        r#"{{"version": "2026.1", "answers": {{{}}}}}"#,
        entries.join(", ")
    )
}

#[test]
fn sizes_are_bounded_when_read() {
    assert!(serde_json::from_str::<Answers>(&answers_json(64, 64)).is_ok());
    let err = serde_json::from_str::<Answers>(&answers_json(65, 10)).unwrap_err();
    assert!(
        err.to_string()
            .contains("answers: the number of answers may be at most 64, got 65"),
        "{err}"
    );
    let err = serde_json::from_str::<Answers>(&answers_json(1, 65)).unwrap_err();
    assert!(err.to_string().contains("a question id's length"), "{err}");
    let long = format!(r#"{{"version": "{}", "answers": {{}}}}"#, "9".repeat(33));
    let err = serde_json::from_str::<Answers>(&long).unwrap_err();
    assert!(err.to_string().contains("version: its length"), "{err}");
    // Reading stops at the first answer too many: a million are never stored.
    let huge = answers_json(100_000, 10);
    assert!(serde_json::from_str::<Answers>(&huge).is_err());
}

#[test]
fn sizes_are_bounded_when_scored() {
    let mut many = valid();
    for i in 0..64 {
        many = many.with(format!("extra_{i}"), 0);
    }
    let err = auravest_risk::score(&many).unwrap_err();
    assert_eq!(
        err,
        Error::TooLarge {
            field: "answers",
            what: "the number of answers",
            limit: auravest_risk::MAX_ANSWERS,
            got: many.answers.len(),
        }
    );
    assert_eq!(err.field(), Some("answers"));
    let err = auravest_risk::score(&valid().with("x".repeat(65), 0)).unwrap_err();
    assert_eq!(err.field(), Some("answers"));
    let mut long = valid();
    long.version = "v".repeat(100_000);
    for err in [
        auravest_risk::score(&long).unwrap_err(),
        Questionnaire::current().score(&long).unwrap_err(),
    ] {
        assert_eq!(err.field(), Some("version"));
        assert!(err.to_string().len() < 200, "{}", err.to_string().len());
    }
}

#[test]
fn wrong_versions_are_repeated_shortened() {
    let huge = "9".repeat(100_000);
    let err = Questionnaire::by_version(&huge).unwrap_err();
    assert!(err.to_string().len() < 200, "{}", err.to_string().len());
    assert_eq!(err.field(), Some("version"));
    let mut a = valid();
    a.version = "2025.1".to_owned();
    assert_eq!(
        Questionnaire::current().score(&a).unwrap_err().field(),
        Some("version")
    );
}
