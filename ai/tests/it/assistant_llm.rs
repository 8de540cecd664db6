//! The assistant with a drafting model: every draft is checked against the
//! sources before it is shown, failures fall back to the extractive answer,
//! and the answer says which happened. The model here is scripted so that
//! each outcome is produced on purpose.

use std::sync::{Arc, Mutex};

use auravest_ai::guard::{DISCLAIMER, Verdict};
use auravest_ai::llm::verify::DraftOutcome;
use auravest_ai::llm::{
    BoxFuture, CancelToken, FinishReason, GenerateRequest, Generation, LanguageModel, TokenSink,
};
use auravest_ai::{Error, ToolContext};
use chrono::Utc;

use crate::support::{hash_assistant, market, portfolio};

/// What the scripted model writes, given the numbered sources of the prompt.
type Script = dyn Fn(&[String]) -> Result<String, String> + Send + Sync;

struct Scripted {
    script: Box<Script>,
    prompts: Mutex<Vec<GenerateRequest>>,
}

impl Scripted {
    fn new(f: impl Fn(&[String]) -> Result<String, String> + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            script: Box::new(f),
            prompts: Mutex::new(Vec::new()),
        })
    }

    fn calls(&self) -> usize {
        self.prompts.lock().unwrap().len()
    }
}

/// The texts of the real sources in a prompt (after the worked example):
/// lines `[n] label: text` following the last `Sources:` line.
fn sources_of(prompt: &str) -> Vec<String> {
    let last = prompt.rfind("Sources:\n").unwrap();
    prompt[last..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with('['))
        .map(|l| l.split_once(": ").unwrap().1.to_owned())
        .collect()
}

fn first_sentence(s: &str) -> String {
    let end = s.find(". ").map_or(s.len(), |i| i + 1);
    s[..end].trim_end_matches('.').to_owned()
}

impl LanguageModel for Scripted {
    fn id(&self) -> String {
        "scripted".to_owned()
    }

    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
        _cancel: &'a CancelToken,
        on_text: &'a mut TokenSink<'_>,
    ) -> BoxFuture<'a, auravest_ai::Result<Generation>> {
        Box::pin(async move {
            self.prompts.lock().unwrap().push(request.clone());
            let text =
                (self.script)(&sources_of(&request.prompt)).map_err(|reason| Error::Backend {
                    backend: "scripted".to_owned(),
                    reason,
                    retryable: false,
                })?;
            // Stream it word by word.
            for (i, w) in text.split(' ').enumerate() {
                if i > 0 {
                    on_text(" ");
                }
                on_text(w);
            }
            Ok(Generation {
                text,
                finish: FinishReason::Stop,
                prompt_tokens: 100,
                generated_tokens: 20,
            })
        })
    }
}

/// Tools over the sample prices at the evaluation date, with `portfolio`.
fn tools<'a>(
    m: &'a auravest_market::Market,
    kb: &'a auravest_ai::KnowledgeBase,
    portfolio: Option<&'a auravest_ai::PortfolioContext>,
) -> ToolContext<'a> {
    ToolContext {
        market: Some(m),
        news: None,
        portfolio,
        kb,
        as_of: Some("2018-04-11".parse().unwrap()),
    }
}

const QUESTION: &str = "Why does diversification reduce risk?";

#[tokio::test]
async fn a_faithful_cited_draft_is_shown_as_written() {
    let model = Scripted::new(|s| Ok(format!("{} [1].", first_sentence(&s[0]))));
    let a = hash_assistant().with_model(model.clone());
    let m = market();
    let mut streamed = String::new();
    let ans = a
        .ask_streaming(
            "u",
            QUESTION,
            &tools(&m, a.kb(), None),
            Utc::now(),
            &CancelToken::new(),
            &mut |p| streamed.push_str(p),
        )
        .await
        .unwrap();
    assert_eq!(model.calls(), 1);
    assert_eq!(ans.draft, Some(DraftOutcome::Accepted), "{ans:#?}");
    assert_eq!(ans.model, "scripted");
    let draft = streamed.clone();
    assert!(ans.answer.starts_with(&draft), "{}", ans.answer);
    assert!(ans.answer.ends_with(DISCLAIMER));
    let json = serde_json::to_value(&ans).unwrap();
    assert_eq!(json["draft"], "accepted");
    assert_eq!(json["model"], "scripted");
    // The prompt is completion-style: the sources, the question, "Answer:".
    let req = model.prompts.lock().unwrap()[0].clone();
    assert!(
        req.prompt
            .ends_with(&format!("Question: {QUESTION}\nAnswer:"))
    );
    assert!(req.stop.contains(&"\n".to_owned()));
}

#[tokio::test]
async fn sentences_with_invented_figures_are_dropped() {
    let model = Scripted::new(|s| {
        Ok(format!(
            "{} [1]. Spreading money over 37 funds cuts risk by 84% [1].",
            first_sentence(&s[0])
        ))
    });
    let a = hash_assistant().with_model(model);
    let m = market();
    let ans = a
        .ask("u", QUESTION, &tools(&m, a.kb(), None))
        .await
        .unwrap();
    assert_eq!(ans.draft, Some(DraftOutcome::Repaired));
    assert!(!ans.answer.contains("84"), "{}", ans.answer);
    assert!(!ans.answer.contains("37"));
    assert!(ans.guardrails.contains(&Verdict::DraftSentencesDropped(1)));
    assert!(auravest_ai::eval::invented_numbers(&ans).is_empty());
}

#[tokio::test]
async fn an_unsupported_draft_or_a_failing_model_gives_the_extractive_answer() {
    let plain = hash_assistant();
    let m = market();
    let extractive = plain
        .ask("u", QUESTION, &tools(&m, plain.kb(), None))
        .await
        .unwrap();
    assert_eq!(extractive.draft, None);
    assert_eq!(extractive.model, "none");

    let off =
        Scripted::new(|_| Ok("Bananas ripen faster next to apples in a paper bag.".to_owned()));
    let a = hash_assistant().with_model(off);
    let ans = a
        .ask("u", QUESTION, &tools(&m, a.kb(), None))
        .await
        .unwrap();
    assert_eq!(ans.draft, Some(DraftOutcome::Replaced));
    assert_eq!(ans.answer, extractive.answer);
    assert_eq!(ans.model, "scripted");

    let advice = Scripted::new(|s| {
        Ok(format!(
            "You should buy index funds now. {} [1].",
            first_sentence(&s[0])
        ))
    });
    let a = hash_assistant().with_model(advice);
    let ans = a
        .ask("u", QUESTION, &tools(&m, a.kb(), None))
        .await
        .unwrap();
    assert!(
        ans.guardrails.contains(&Verdict::DraftAdviceDropped),
        "{:?}",
        ans.guardrails
    );
    assert!(!ans.answer.contains("You should buy"));

    let failing = Scripted::new(|_| Err("connection refused".to_owned()));
    let a = hash_assistant().with_model(failing);
    let ans = a
        .ask("u", QUESTION, &tools(&m, a.kb(), None))
        .await
        .unwrap();
    assert_eq!(ans.draft, Some(DraftOutcome::Replaced));
    assert_eq!(ans.answer, extractive.answer);
    assert!(
        ans.guardrails
            .iter()
            .any(|v| matches!(v, Verdict::ModelFailed(r) if r.contains("connection refused")))
    );
}

#[tokio::test]
async fn declined_questions_never_reach_the_model() {
    let model = Scripted::new(|_| Ok("Anything at all.".to_owned()));
    let a = hash_assistant().with_model(model.clone());
    let m = market();
    for q in [
        "What exactly should I buy with $10k?",
        "What is the best recipe for banana bread?",
    ] {
        let ans = a.ask("u", q, &tools(&m, a.kb(), None)).await.unwrap();
        assert!(ans.refused, "{q}");
        assert_eq!(ans.draft, None);
        assert_eq!(ans.model, "none");
    }
    assert_eq!(model.calls(), 0);
}

#[tokio::test]
async fn tool_figures_stay_exact_beside_the_draft() {
    let model = Scripted::new(|s| Ok(format!("{} [1].", first_sentence(&s[0]))));
    let a = hash_assistant().with_model(model);
    let m = market();
    let ans = a
        .ask(
            "u",
            "What was the closing price of AAPL?",
            &tools(&m, a.kb(), None),
        )
        .await
        .unwrap();
    assert_eq!(ans.tools.len(), 1);
    assert!(ans.draft.is_some());
    // The tool's own fact line comes first, unchanged.
    let fact = &ans.citations[0].snippet;
    assert!(ans.answer.starts_with(fact.as_str()), "{}", ans.answer);
    assert!(auravest_ai::eval::invented_numbers(&ans).is_empty());
}

#[tokio::test]
async fn the_portfolio_summary_is_drafted_and_checked_or_extractive() {
    let ctx = portfolio();
    let m = market();
    let plain = hash_assistant();
    let t = tools(&m, plain.kb(), Some(&ctx));
    let s = plain.summary(&t).await.unwrap();
    assert_eq!(s.draft, None);
    assert_eq!(s.model, "none");
    assert_eq!(s.sources.len(), 5);
    assert!(s.text.contains("[5]") && s.text.ends_with(DISCLAIMER));

    let model = Scripted::new(|s| Ok(format!("{} [1].", first_sentence(&s[0]))));
    let a = hash_assistant().with_model(model);
    let t = tools(&m, a.kb(), Some(&ctx));
    let s = a.summary(&t).await.unwrap();
    assert!(
        matches!(
            s.draft,
            Some(DraftOutcome::Accepted | DraftOutcome::Repaired)
        ),
        "{s:#?}"
    );
    assert_eq!(s.model, "scripted");
    assert!(!s.text.contains("[5]"));
}

/// A ticker the draft brings up (and the question did not) goes through the
/// bias crate's advice guard, like a ticker in a question.
#[tokio::test]
async fn tickers_in_a_draft_pass_through_the_advice_guard() {
    let ctx = portfolio();
    let m = market();
    let plain = hash_assistant();
    let t = tools(&m, plain.kb(), Some(&ctx));
    // The holdings for which buying more raises a conflict.
    let mut flagged = None;
    for sym in ctx.prices.columns() {
        let q = format!("Should I buy more {sym}?");
        let a = plain.ask("u", &q, &t).await.unwrap();
        let lines: Vec<String> = a
            .guardrails
            .iter()
            .filter_map(|v| match v {
                Verdict::AdviceGuard(l) => Some(l.clone()),
                _ => None,
            })
            .collect();
        if !lines.is_empty() {
            flagged = Some((sym.to_string(), lines));
            break;
        }
    }
    let (sym, lines) = flagged.expect("the sample portfolio has a holding the guard flags");
    let s2 = sym.clone();
    let model = Scripted::new(move |s| Ok(format!("{} like {s2} [1].", first_sentence(&s[0]))));
    let a = hash_assistant().with_model(model);
    let t = tools(&m, a.kb(), Some(&ctx));
    let ans = a.ask("u", QUESTION, &t).await.unwrap();
    assert!(ans.answer.contains(&sym), "{}", ans.answer);
    for l in &lines {
        assert!(
            ans.guardrails.contains(&Verdict::AdviceGuard(l.clone())),
            "{l}"
        );
        assert!(ans.answer.contains(l.as_str()));
    }
}

/// Model tokens are metered with the question, and the audit record names
/// the model.
#[tokio::test]
async fn model_tokens_are_metered_and_the_model_audited() {
    use auravest_ai::setup::memory_retriever;
    use auravest_ai::store::{MemoryAudit, MemoryFeedback, MemoryUsage};
    use auravest_ai::{Assistant, AssistantConfig, HashEmbedder};

    let kb = crate::support::kb();
    let r = memory_retriever(&kb, Box::new(HashEmbedder::default())).unwrap();
    let usage = Arc::new(MemoryUsage::default());
    let audit = Arc::new(MemoryAudit::default());
    let a = Assistant::with_stores(
        kb,
        r,
        AssistantConfig::default(),
        usage.clone(),
        audit.clone(),
        Arc::new(MemoryFeedback::default()),
    )
    .unwrap()
    .with_model(Scripted::new(|s| {
        Ok(format!("{} [1].", first_sentence(&s[0])))
    }));
    let m = market();
    let ans = a
        .ask("u", QUESTION, &tools(&m, a.kb(), None))
        .await
        .unwrap();
    let rec = auravest_ai::store::AuditLog::get(audit.as_ref(), &ans.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.model, "scripted");
    // The scripted model reports 100 prompt and 20 generated tokens.
    assert_eq!(rec.tokens, 120);
    assert_eq!(audit.records().len(), 1);
    // A declined question uses no model tokens.
    a.ask(
        "u",
        "What is the best recipe for banana bread?",
        &tools(&m, a.kb(), None),
    )
    .await
    .unwrap();
    assert_eq!(audit.records()[1].tokens, 0);
    assert_eq!(
        auravest_ai::store::UsageMeter::count(
            usage.as_ref(),
            "u",
            auravest_ai::store::UsageKind::AiQuestion,
            Utc::now().date_naive()
        )
        .await
        .unwrap(),
        2
    );
}

/// A model that never finishes (a stuck backend).
struct Stuck;

impl LanguageModel for Stuck {
    fn id(&self) -> String {
        "stuck".to_owned()
    }

    fn generate<'a>(
        &'a self,
        _request: &'a GenerateRequest,
        _cancel: &'a CancelToken,
        _on_text: &'a mut TokenSink<'_>,
    ) -> BoxFuture<'a, auravest_ai::Result<Generation>> {
        Box::pin(std::future::pending())
    }
}

/// A call dropped mid-answer (a request timeout, a client gone) gives its
/// question back: only answered questions count against the daily limit.
#[tokio::test]
async fn a_question_dropped_mid_answer_is_refunded() {
    let usage = Arc::new(auravest_ai::store::MemoryUsage::default());
    let a = hash_assistant()
        .with_model(Arc::new(Stuck))
        .with_usage(usage.clone())
        .with_daily_question_limit(Some(2));
    let m = market();
    let now = Utc::now();
    let asked = tokio::time::timeout(
        std::time::Duration::from_millis(200),
        a.ask_at("u", QUESTION, &tools(&m, a.kb(), None), now),
    )
    .await;
    assert!(asked.is_err(), "the stuck model never answers");
    // The refund runs as a task on this runtime: give it a turn.
    for _ in 0..50 {
        if a.questions_left("u", now).await.unwrap() == Some(2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(a.questions_left("u", now).await.unwrap(), Some(2));
}

#[tokio::test]
async fn a_limit_given_per_call_replaces_the_configured_one() {
    let a = hash_assistant().with_daily_question_limit(Some(5));
    let m = market();
    let t = tools(&m, a.kb(), None);
    let now = Utc::now();
    a.ask_streaming_within(
        "plan-user",
        QUESTION,
        &t,
        now,
        Some(1),
        &CancelToken::new(),
        &mut |_| {},
    )
    .await
    .unwrap();
    let e = a
        .ask_streaming_within(
            "plan-user",
            QUESTION,
            &t,
            now,
            Some(1),
            &CancelToken::new(),
            &mut |_| {},
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::LimitReached {
                limit: 1,
                used: 1,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        a.questions_left_within("plan-user", now, Some(3))
            .await
            .unwrap(),
        Some(2)
    );
    assert_eq!(
        a.questions_left("plan-user", now).await.unwrap(),
        Some(4),
        "the configured limit"
    );
    assert_eq!(
        a.questions_left_within("plan-user", now, None)
            .await
            .unwrap(),
        None
    );
    // Without a limit for the call, the configured one does not apply.
    for _ in 0..6 {
        a.ask_streaming_within(
            "free-for-all",
            QUESTION,
            &t,
            now,
            None,
            &CancelToken::new(),
            &mut |_| {},
        )
        .await
        .unwrap();
    }
}
