//! Completion-style prompts for a base (not instruction-tuned) model.
//!
//! A base model continues text; it does not follow chat turns. So the prompt
//! is a document the answer naturally completes: a one-line rule, one worked
//! example in the same layout (numbered sources, a question, a one-sentence
//! answer citing `[n]`), then the real sources and question, ending at
//! `Answer:`. Generation stops at the end of the line. Chat backends get the
//! rule as the system message and the rest as the user message, which suits
//! them as well.

use super::GenerateRequest;

/// One numbered source: `[n]` in the prompt is its 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Title shown before the text (article title and heading, or the tool).
    pub label: String,
    /// The text the model may use.
    pub text: String,
}

/// The standing rule.
pub const INSTRUCTIONS: &str = "AuraVest answers investing questions for retail investors. Each answer is one or two plain sentences that use only facts and figures from the numbered sources and cite them like [1]. It never tells anyone what to buy or sell.";

/// The worked example that shows the layout.
const EXAMPLE: &str = "Sources:
[1] Dividend yield - Overview: Dividend yield is the yearly dividend per share divided by the share price. A share priced at 40 that pays 2 a year yields 5%.
[2] Tool get_stock_price: KO closed at 45.10 on 2018-04-10.
Question: What does dividend yield tell me?
Answer: Dividend yield is the yearly dividend per share divided by the share price, so a share priced at 40 that pays 2 a year yields 5% [1].
";

/// Sources are cut to this many characters each, so that a prompt with
/// eight passages stays near 1,300 tokens.
pub const MAX_SOURCE_CHARS: usize = 900;

/// Generated answers stop at this many tokens.
pub const ANSWER_TOKENS: usize = 96;

/// Generated portfolio summaries stop at this many tokens.
pub const SUMMARY_TOKENS: usize = 128;

/// Where an answer ends.
pub fn stops() -> Vec<String> {
    vec![
        "\n".to_owned(),
        "Question:".to_owned(),
        "Sources:".to_owned(),
    ]
}

fn clip(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    // Cut at the last sentence end (or space) before the limit.
    let cut: String = one_line.chars().take(max).collect();
    let end = cut
        .rfind(". ")
        .map(|i| i + 1)
        .or_else(|| cut.rfind(' '))
        .unwrap_or(cut.len());
    cut[..end].to_owned()
}

fn sources_block(sources: &[Source]) -> String {
    let mut out = String::from("Sources:\n");
    for (i, s) in sources.iter().enumerate() {
        out.push_str(&format!(
            "[{}] {}: {}\n",
            i + 1,
            s.label.trim(),
            clip(&s.text, MAX_SOURCE_CHARS)
        ));
    }
    out
}

/// The request for a grounded answer to `question` from `sources`.
pub fn answer_request(question: &str, sources: &[Source]) -> GenerateRequest {
    let q = question.split_whitespace().collect::<Vec<_>>().join(" ");
    let prompt = format!(
        "{EXAMPLE}\n{}Question: {q}\nAnswer:",
        sources_block(sources)
    );
    GenerateRequest::new(INSTRUCTIONS, prompt, ANSWER_TOKENS).with_stop(stops())
}

/// The request for a short summary of a portfolio from the insight's
/// sections (allocation, concentration, performance, risk profile, nudges).
pub fn summary_request(sources: &[Source]) -> GenerateRequest {
    let prompt = format!(
        "{EXAMPLE}\n{}Question: In two sentences, how does my portfolio look?\nAnswer:",
        sources_block(sources)
    );
    GenerateRequest::new(INSTRUCTIONS, prompt, SUMMARY_TOKENS).with_stop(stops())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_prompt_numbers_sources_and_ends_at_answer() {
        let r = answer_request(
            "  What is a\nP/E ratio? ",
            &[
                Source {
                    label: "P/E ratio - Overview".into(),
                    text: "The P/E ratio divides the share price\nby earnings per share.".into(),
                },
                Source {
                    label: "Tool get_fundamentals".into(),
                    text: "AAPL has a P/E of 17.2.".into(),
                },
            ],
        );
        assert!(
            r.prompt
                .ends_with("Question: What is a P/E ratio?\nAnswer:")
        );
        assert!(r.prompt.contains(
            "[1] P/E ratio - Overview: The P/E ratio divides the share price by earnings per share.\n[2] Tool get_fundamentals: AAPL has a P/E of 17.2.\n"
        ));
        // The example comes first, then the real sources.
        assert!(r.prompt.find("KO closed").unwrap() < r.prompt.find("AAPL").unwrap());
        assert_eq!(r.instructions, INSTRUCTIONS);
        assert!(r.stop.contains(&"\n".to_owned()));
        assert_eq!(r.max_tokens, ANSWER_TOKENS);
    }

    #[test]
    fn long_sources_are_cut_at_a_sentence_end() {
        let text = "One sentence here. ".repeat(100);
        let c = clip(&text, 100);
        assert!(c.len() <= 100);
        assert!(c.ends_with("here."), "{c}");
        assert_eq!(clip("short", 100), "short");
    }

    #[test]
    fn summary_prompt_asks_for_the_portfolio() {
        let r = summary_request(&[Source {
            label: "Allocation".into(),
            text: "Value 1000 USD.".into(),
        }]);
        assert!(r.prompt.contains("[1] Allocation: Value 1000 USD."));
        assert!(r.prompt.ends_with("how does my portfolio look?\nAnswer:"));
    }
}
