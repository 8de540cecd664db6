//! `auravest ask`, `auravest eval` and `auravest kb build`: the grounded
//! assistant from the shell.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use auravest_ai::llm::LanguageModel;

use auravest_ai::setup::{Setup, SetupReport};
use auravest_ai::{Answer, Assistant, PortfolioContext, ToolContext};
use auravest_core::{Currency, NaiveDate};
use clap::{Args, Subcommand};

use crate::commands::market::{SourceArgs, block_on, market_with_fallback, progress_frame};
use crate::commands::portfolio::load;
use crate::error::CliError;
use crate::{Format, input, print_json};

/// Where the knowledge base and its index are.
#[derive(Debug, Args)]
pub(crate) struct KbArgs {
    /// A folder of knowledge-base articles (default: the built-in knowledge base).
    #[arg(long, value_name = "DIR")]
    kb: Option<PathBuf>,
    /// Where the vector index is saved (default: DIR/.index, or
    /// $AURAVEST_INDEX_DIR, or ~/.cache/auravest/index).
    #[arg(long, value_name = "DIR")]
    index_dir: Option<PathBuf>,
    /// Use the deterministic hashing embedder instead of MiniLM.
    #[arg(long)]
    hash_embedder: bool,
}

/// Which language model drafts answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ModelChoice {
    /// Gemma 3 270M on this machine's CPU (weights from `bash scripts/fetch-models.sh`).
    Local,
    /// An OpenAI-compatible server: AURAVEST_OPENAI_BASE_URL, AURAVEST_OPENAI_MODEL,
    /// AURAVEST_OPENAI_API_KEY (or OPENAI_API_KEY).
    Openai,
    /// No model: the extractive answer only.
    None,
}

/// Loads the chosen model; `None` for no model. Without a choice: the local
/// model when its weights are found, else none (with a note on stderr).
fn language_model(choice: Option<ModelChoice>) -> Result<Option<Arc<dyn LanguageModel>>, CliError> {
    use auravest_ai::setup::env::{self, ModelChoice as Choice};
    let choice = match choice {
        None => Choice::Auto,
        Some(ModelChoice::Local) => Choice::Local,
        Some(ModelChoice::Openai) => Choice::OpenAi,
        Some(ModelChoice::None) => Choice::None,
    };
    let (model, note) = env::language_model(choice).map_err(|e| match e {
        auravest_ai::Error::Model { .. } => CliError::Unavailable(e.to_string()),
        other => ai_error(&other),
    })?;
    if let Some(note) = note {
        eprintln!("note: {note}");
    }
    Ok(model)
}

#[derive(Debug, Args)]
pub(crate) struct AskArgs {
    /// The question.
    #[arg(value_name = "QUESTION")]
    question: String,
    /// Your transactions, for questions about your portfolio.
    #[arg(long, value_name = "FILE.csv", requires = "prices")]
    transactions: Option<PathBuf>,
    /// Daily closes of your holdings (also the offline price source).
    #[arg(long, value_name = "FILE.csv")]
    prices: Option<PathBuf>,
    /// Treat this date as today for price history (default: the last date of
    /// --prices, else today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    /// Base currency of the portfolio.
    #[arg(long, value_name = "CODE", default_value = "USD")]
    base_currency: String,
    #[command(flatten)]
    kb: KbArgs,
    #[command(flatten)]
    source: SourceArgs,
    /// The model that drafts the answer (default: local when its weights are
    /// installed, else none).
    #[arg(long, value_enum)]
    model: Option<ModelChoice>,
    /// Show the model's draft as it is written (on stderr with --format
    /// json); the checked answer follows.
    #[arg(long)]
    stream: bool,
    /// An RSS/Atom feed URL with `{symbol}` in it, for news questions
    /// (repeatable; `--news-feed default` is Yahoo Finance's per-symbol
    /// headline feed). Without one, news questions say no feed is set.
    #[arg(long = "news-feed", value_name = "URL")]
    news_feeds: Vec<String>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// The `get_news` tool over feeds fetched as the question is answered.
struct FeedNews(auravest_market::news::NewsClient);

impl auravest_ai::NewsFeed for FeedNews {
    fn recent<'a>(
        &'a self,
        symbol: &'a auravest_core::Symbol,
        days: u32,
        now: chrono::DateTime<chrono::Utc>,
    ) -> auravest_ai::tools::NewsFuture<'a> {
        Box::pin(async move {
            let items: Vec<auravest_ai::NewsItem> = self
                .0
                .headlines(symbol.as_str())
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|h| auravest_ai::NewsItem {
                    symbol: h.symbol,
                    title: h.title,
                    source: h.source,
                    link: h.link,
                    published: h.published,
                })
                .collect();
            Ok(auravest_ai::tools::within_window(&items, symbol, days, now))
        })
    }
}

fn news_feed(templates: &[String]) -> Result<Option<FeedNews>, CliError> {
    if templates.is_empty() {
        return Ok(None);
    }
    let feeds = templates
        .iter()
        .map(|t| {
            if t == "default" {
                auravest_market::news::DEFAULT_NEWS_FEED.to_owned()
            } else {
                t.clone()
            }
        })
        .collect();
    let config = auravest_market::HttpConfig::from_env()
        .map_err(|e| crate::commands::market::market_error(&e))?;
    auravest_market::news::NewsClient::new(&config, feeds)
        .map(|c| Some(FeedNews(c)))
        .map_err(|e| crate::commands::market::market_error(&e))
}

#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    /// The question set (default: the one shipped with the ai crate).
    #[arg(long, value_name = "FILE.json")]
    set: Option<PathBuf>,
    /// The folder the set's data paths are relative to (the workspace root).
    #[arg(long, value_name = "DIR", default_value = ".")]
    root: PathBuf,
    /// Exit with code 1 when a target is missed (recall@3 >= 0.9, tool and
    /// refusal accuracy >= 0.95, no invented numbers).
    #[arg(long)]
    check: bool,
    /// The model that drafts the answers (default: none).
    #[arg(long, value_enum, default_value = "none")]
    model: ModelChoice,
    /// Run only this many cases, spread evenly over the set (0: all).
    #[arg(long, value_name = "N", default_value_t = 0)]
    limit: usize,
    #[command(flatten)]
    kb: KbArgs,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KbCommand {
    /// Re-embed the knowledge base and save its vector index.
    Build(KbArgs),
}

fn setup(kb: &KbArgs, rebuild: bool) -> Result<(Assistant, SetupReport), CliError> {
    let s = Setup {
        kb_dir: kb.kb.clone(),
        index_dir: kb.index_dir.clone(),
        hash_embedder: kb.hash_embedder,
        rebuild,
        ..Setup::default()
    };
    let show = std::io::stderr().is_terminal();
    // Embedding the knowledge base takes about a minute the first time
    // (the index is saved and reused after that): say so before it starts,
    // with a bar on a terminal and a start and end line elsewhere.
    let started: std::cell::Cell<Option<std::time::Instant>> = std::cell::Cell::new(None);
    let (a, report) = s
        .build(&|done, total| {
            if started.get().is_none() && total > 0 {
                started.set(Some(std::time::Instant::now()));
                eprintln!(
                    "building the assistant's index: embedding {total} passages (about a minute the first time; saved for next time)"
                );
            }
            if show {
                eprint!("{}", progress_frame(done, total));
            }
        })
        .map_err(|e| ai_error(&e))?;
    if let Some(t) = started.get() {
        eprintln!(
            "index built in {:.0} s ({} chunks)",
            t.elapsed().as_secs_f64(),
            report.chunks
        );
    }
    if let Some(note) = &report.embedder_note {
        eprintln!("note: using the {} embedder: {note}", report.embedder);
    }
    Ok((a, report))
}

fn ai_error(e: &auravest_ai::Error) -> CliError {
    match e {
        auravest_ai::Error::Invalid { .. }
        | auravest_ai::Error::Article { .. }
        | auravest_ai::Error::Eval(_) => CliError::invalid(e.to_string()),
        auravest_ai::Error::LimitReached { .. } => CliError::Unavailable(e.to_string()),
        _ => CliError::Internal(e.to_string()),
    }
}

pub(crate) fn run_ask(args: &AskArgs) -> Result<String, CliError> {
    if args.question.trim().is_empty() {
        return Err(CliError::invalid("QUESTION: is empty".to_owned()));
    }
    let portfolio = match (&args.transactions, &args.prices) {
        (Some(t), Some(p)) => {
            let base = Currency::new(&args.base_currency)
                .map_err(|e| CliError::invalid(format!("--base-currency: {e}")))?;
            Some(PortfolioContext {
                portfolio: load(t, base, false)?,
                prices: input::prices(p)?,
                risk_profile: None,
                prices_source: format!("file:{}", p.display()),
            })
        }
        _ => None,
    };
    let as_of = match (&args.as_of, &args.prices) {
        (Some(d), _) => Some(*d),
        (None, Some(p)) => input::prices(p)?.dates().last().copied(),
        _ => None,
    };
    let market = market_with_fallback(&args.source, args.prices.as_deref())?;
    let (assistant, _) = setup(&args.kb, false)?;
    let assistant = match language_model(args.model)? {
        Some(m) => assistant.with_model(m),
        None => assistant,
    };
    let news = news_feed(&args.news_feeds)?;
    let tools = ToolContext {
        market: Some(&market),
        news: news.as_ref().map(|n| n as &dyn auravest_ai::NewsFeed),
        portfolio: portfolio.as_ref(),
        kb: assistant.kb(),
        as_of,
    };
    let json = args.format == Format::Json;
    let stream = args.stream;
    let mut streamed = false;
    let mut sink = |piece: &str| {
        if !stream {
            return;
        }
        streamed = true;
        if json {
            eprint!("{piece}");
            let _ = std::io::stderr().flush();
        } else {
            print!("{piece}");
            let _ = std::io::stdout().flush();
        }
    };
    let answer = block_on(assistant.ask_streaming(
        "cli",
        &args.question,
        &tools,
        chrono::Utc::now(),
        &auravest_ai::llm::CancelToken::new(),
        &mut sink,
    ))?
    .map_err(|e| ai_error(&e))?;
    if streamed {
        let note = format!(
            "\n--- draft {}; the checked answer follows ---\n",
            answer.draft.map_or("not used", |d| d.as_str())
        );
        if json {
            eprint!("{note}");
        } else {
            print!("{note}");
        }
    }
    if json {
        return print_json(&answer);
    }
    Ok(render(&answer))
}

fn render(a: &Answer) -> String {
    let mut out = format!("{}\n", a.answer);
    if !a.citations.is_empty() {
        out.push_str("\nSources:\n");
        for (i, c) in a.citations.iter().enumerate() {
            out.push_str(&format!("[{}] {} — {}\n", i + 1, c.title, c.heading));
        }
    }
    out
}

pub(crate) fn run_eval(args: &EvalArgs) -> Result<String, CliError> {
    let (assistant, _) = setup(&args.kb, false)?;
    let assistant = match language_model(Some(args.model))? {
        Some(m) => assistant.with_model(m),
        None => assistant,
    };
    let json = match &args.set {
        Some(p) => String::from_utf8(input::read(p)?)
            .map_err(|_| CliError::invalid(format!("{}: not UTF-8", p.display())))?,
        None => auravest_ai::eval::BUILTIN_SET.to_owned(),
    };
    let set = auravest_ai::eval::EvalSet::parse(&json, assistant.kb())
        .map_err(|e| ai_error(&e))?
        .sample(args.limit);
    let report = block_on(auravest_ai::eval::run(&set, &assistant, &args.root))?
        .map_err(|e| ai_error(&e))?;
    let missed = report.recall_at_3 < 0.9
        || report.tool_accuracy < 0.95
        || report.refusal_accuracy < 0.95
        || report.invented_numbers > 0
        || report.off_subject_sentences > 0;
    let out = if args.format == Format::Json {
        print_json(&report)?
    } else {
        let mut s = format!(
            "cases {}  embedder {}  model {}\nrecall@3 {:.3}  MRR {:.3}  tools {:.3}  refusals {:.3}  figures {:.3}  invented numbers {}  off-subject sentences {}  write-tool calls {}\nquestions sharing no word with their article's title: {:.1}%\n",
            report.cases,
            report.embedder,
            report.model,
            report.recall_at_3,
            report.mrr,
            report.tool_accuracy,
            report.refusal_accuracy,
            report.figure_accuracy,
            report.invented_numbers,
            report.off_subject_sentences,
            report.write_tool_calls,
            report.no_shared_title_word_share * 100.0
        );
        if report.drafts.drafted > 0 {
            s.push_str(&format!(
                "drafts {}: accepted {:.1}%  repaired {:.1}%  replaced {:.1}%\n",
                report.drafts.drafted,
                report.drafts.accepted * 100.0,
                report.drafts.repaired * 100.0,
                report.drafts.replaced * 100.0
            ));
        }
        for f in &report.failures {
            s.push_str(&format!("FAIL {f}\n"));
        }
        s
    };
    if args.check && missed {
        print!("{out}");
        return Err(CliError::invalid(
            "eval: a target was missed (see above)".to_owned(),
        ));
    }
    Ok(out)
}

pub(crate) fn run_kb(cmd: &KbCommand) -> Result<String, CliError> {
    match cmd {
        KbCommand::Build(args) => {
            let (_, report) = setup(args, true)?;
            Ok(format!(
                "embedded {} chunks with {}; index {}\nknowledge base {}\n",
                report.chunks,
                report.embedder,
                report.index_path.as_ref().map_or_else(
                    || "(kept in memory)".to_owned(),
                    |p| p.display().to_string()
                ),
                &report.kb_hash[..12.min(report.kb_hash.len())]
            ))
        }
    }
}
