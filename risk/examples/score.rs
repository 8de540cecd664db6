//! Scores a filled-in risk questionnaire: `cargo run -p auravest-risk --example score`.

use auravest_risk::{Answers, Questionnaire};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let questionnaire = Questionnaire::current();
    println!("questionnaire {}:", questionnaire.version());
    // Answer every question with its middle option.
    let mut answers = std::collections::BTreeMap::new();
    for q in questionnaire.questions() {
        println!("  {} ({} options)", q.text(), q.options().len());
        answers.insert(q.id().to_owned(), q.options().len() / 2);
    }
    let answers: Answers = serde_json::from_value(serde_json::json!({
        "version": questionnaire.version(),
        "answers": answers,
    }))?;
    let profile = auravest_risk::score(&answers)?;
    println!(
        "\ncategory {} (tolerance {}, capacity {}): {}",
        profile.category.label(),
        profile.score,
        profile.capacity_score,
        profile.allocation
    );
    println!("{}", profile.rationale);
    Ok(())
}
