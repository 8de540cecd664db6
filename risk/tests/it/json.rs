//! The JSON shapes apps, the CLI and the server rely on.

use std::collections::BTreeSet;

use auravest_risk::{Answers, Cap, Questionnaire, RiskCategory, RiskProfile};
use serde_json::{Value, json};

use crate::support::{TOP_CAPACITY, TOP_TOLERANCE, profile};

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn questionnaire_json_has_exactly_the_rendering_keys() {
    let value = serde_json::to_value(Questionnaire::current()).unwrap();
    assert_eq!(keys(&value), BTreeSet::from(["version", "questions"]));
    assert_eq!(value["version"], "2026.1");
    let questions = value["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 10);
    for (question, q) in questions.iter().zip(Questionnaire::current().questions()) {
        assert_eq!(keys(question), BTreeSet::from(["id", "text", "options"]));
        assert_eq!(question["id"], q.id());
        assert_eq!(question["text"], q.text());
        let options = question["options"].as_array().unwrap();
        assert_eq!(options.len(), q.options().len());
        for (option, o) in options.iter().zip(q.options()) {
            assert_eq!(option, &json!({ "text": o.text() }));
        }
    }
}

#[test]
fn question_ids_are_stable() {
    let ids: Vec<&str> = Questionnaire::current()
        .questions()
        .iter()
        .map(|q| q.id())
        .collect();
    assert_eq!(
        ids,
        [
            "risk_attitude",
            "outcome_choice",
            "market_drop_reaction",
            "tolerable_loss",
            "investing_experience",
            "investing_knowledge",
            "time_horizon",
            "income_stability",
            "emergency_fund",
            "net_worth_share",
        ]
    );
    let q = Questionnaire::current();
    assert_eq!(
        q.question("time_horizon").unwrap().options()[0].text(),
        "Within 3 years"
    );
    assert!(q.question("nope").is_none());
}

#[test]
fn answers_json_round_trips() {
    let json = r#"{"version":"2026.1","answers":{"risk_attitude":2,"time_horizon":0}}"#;
    let answers: Answers = serde_json::from_str(json).unwrap();
    assert_eq!(
        answers,
        Answers::new("2026.1")
            .with("time_horizon", 0)
            .with("risk_attitude", 2)
    );
    assert_eq!(serde_json::to_string(&answers).unwrap(), json);
}

#[test]
fn risk_profile_json_shape() {
    let p = profile(TOP_TOLERANCE, 0, [1, 1, 0]);
    let value = serde_json::to_value(&p).unwrap();
    assert_eq!(
        keys(&value),
        BTreeSet::from([
            "version",
            "score",
            "capacity_score",
            "capped_by",
            "category",
            "allocation",
            "rationale",
        ])
    );
    assert_eq!(value["version"], "2026.1");
    assert_eq!(value["score"], 100);
    assert_eq!(value["capacity_score"], 20);
    assert_eq!(value["capped_by"], json!(["capacity", "horizon"]));
    assert_eq!(value["category"], "moderately_conservative");
    assert_eq!(
        value["allocation"],
        json!({"stocks": 0.4, "bonds": 0.55, "cash": 0.05})
    );
    assert!(value["rationale"].as_str().unwrap().len() > 50);

    let uncapped = serde_json::to_value(profile(TOP_TOLERANCE, 3, TOP_CAPACITY)).unwrap();
    assert_eq!(uncapped["capped_by"], json!([]));
    assert_eq!(uncapped["category"], "aggressive");
}

#[test]
fn risk_profile_round_trips_through_json() {
    for horizon in 0..4 {
        let p = profile([2, 1, 2, 3, 0, 1], horizon, [2, 1, 3]);
        let back: RiskProfile = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}

#[test]
fn enums_use_snake_case() {
    let names: Vec<Value> = RiskCategory::ALL
        .iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "conservative",
            "moderately_conservative",
            "moderate",
            "growth",
            "aggressive"
        ]
    );
    for c in RiskCategory::ALL {
        let back: RiskCategory = serde_json::from_value(serde_json::to_value(c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
    assert_eq!(serde_json::to_value(Cap::Capacity).unwrap(), "capacity");
    assert_eq!(serde_json::to_value(Cap::Horizon).unwrap(), "horizon");
    assert_eq!(
        serde_json::from_str::<Vec<Cap>>(r#"["capacity","horizon"]"#).unwrap(),
        [Cap::Capacity, Cap::Horizon]
    );
}
