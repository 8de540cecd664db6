//! `auravest risk`: the questionnaire and its scoring.

use std::path::PathBuf;

use auravest_risk::{Answers, Error as RiskError, Questionnaire};
use clap::{Args, Subcommand};

use crate::error::CliError;
use crate::table::{pct, render};
use crate::{Format, input, print_json};

#[derive(Debug, Subcommand)]
pub(crate) enum RiskCommand {
    /// Print the current risk questionnaire.
    Questions(QuestionsArgs),
    /// Score answers to the questionnaire and print the risk profile.
    Score(ScoreArgs),
}

#[derive(Debug, Args)]
pub(crate) struct QuestionsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Debug, Args)]
pub(crate) struct ScoreArgs {
    /// Answers JSON `{"version": "...", "answers": {"<question id>": <option index>}}`, or `-` for stdin.
    #[arg(long, value_name = "FILE|-")]
    answers: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub(crate) fn run(cmd: RiskCommand) -> Result<String, CliError> {
    match cmd {
        RiskCommand::Questions(a) => questions(a.format),
        RiskCommand::Score(a) => score(&a),
    }
}

fn questions(format: Format) -> Result<String, CliError> {
    let q = Questionnaire::current();
    if format == Format::Json {
        return print_json(q);
    }
    let mut out = format!("AuraVest risk questionnaire, version {}\n", q.version());
    for (i, question) in q.questions().iter().enumerate() {
        out.push_str(&format!(
            "\n{}. {}  [{}]\n",
            i + 1,
            question.text(),
            question.id()
        ));
        for (j, option) in question.options().iter().enumerate() {
            out.push_str(&format!("   {j}) {}\n", option.text()));
        }
    }
    Ok(out)
}

fn score(args: &ScoreArgs) -> Result<String, CliError> {
    let file = args.answers.display().to_string();
    let bytes = input::read(&args.answers)?;
    let answers: Answers = serde_json::from_slice(&bytes).map_err(|e| {
        CliError::invalid(format!(
            "{file}:{}: answers: expected {{\"version\": \"...\", \"answers\": {{\"<question id>\": <option index>}}}}: {e}",
            e.line()
        ))
    })?;
    let profile = auravest_risk::score(&answers).map_err(|e| {
        let field = match &e {
            RiskError::UnknownQuestion { id, .. }
            | RiskError::MissingAnswer { id }
            | RiskError::OptionOutOfRange { id, .. } => format!("answers.{id}"),
            _ => "version".to_owned(),
        };
        CliError::invalid(format!("{file}: {field}: {e}"))
    })?;
    if args.format == Format::Json {
        return print_json(&profile);
    }
    let capped = if profile.capped_by.is_empty() {
        "-".to_owned()
    } else {
        profile
            .capped_by
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rows = vec![
        vec!["score (tolerance)".to_owned(), profile.score.to_string()],
        vec![
            "capacity score".to_owned(),
            profile.capacity_score.to_string(),
        ],
        vec!["capped by".to_owned(), capped],
        vec!["category".to_owned(), profile.category.to_string()],
        vec!["stocks".to_owned(), pct(profile.allocation.stocks)],
        vec!["bonds".to_owned(), pct(profile.allocation.bonds)],
        vec!["cash".to_owned(), pct(profile.allocation.cash)],
    ];
    Ok(format!(
        "{}\n{}\n",
        render(&["risk profile", ""], &rows),
        profile.rationale
    ))
}
