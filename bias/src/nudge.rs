//! What every detector returns: a [`Nudge`] with its kind, severity, teaching
//! text, suggested action and evidence.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The numbers that made a detector speak, as a JSON object.
pub type Evidence = Map<String, Value>;

/// How urgent a nudge is. Ordered `Info < Warning < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Severity {
    /// Worth knowing; no threshold crossed by much.
    #[default]
    Info,
    /// A documented threshold was crossed.
    Warning,
    /// A threshold was crossed by a wide margin, or a whole position is at stake.
    Critical,
}

impl Severity {
    /// The name used in JSON: `info`, `warning` or `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which detector produced a nudge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum NudgeKind {
    /// Too much in one holding, in holdings above 5%, in one sector or in alternatives.
    Concentration,
    /// A large sale soon after the holding or the market fell.
    PanicSelling,
    /// Selling winners more readily than losers.
    DispositionEffect,
    /// High annualised turnover and its cost.
    Overtrading,
    /// Buying after an extreme run-up or on an attention-grabbing day.
    PerformanceChasing,
    /// Far more domestic equity than the world market holds.
    HomeBias,
    /// More idle cash than the plan calls for.
    CashDrag,
    /// The asset mix has moved beyond its rebalancing band.
    AllocationDrift,
    /// The portfolio fell sharply since the last visit.
    DrawdownCheckin,
    /// No goal has been set.
    SetGoal,
}

impl NudgeKind {
    /// Every kind, in the order detectors run.
    pub const ALL: [Self; 10] = [
        Self::Concentration,
        Self::PanicSelling,
        Self::DispositionEffect,
        Self::Overtrading,
        Self::PerformanceChasing,
        Self::HomeBias,
        Self::CashDrag,
        Self::AllocationDrift,
        Self::DrawdownCheckin,
        Self::SetGoal,
    ];

    /// The name used in JSON, such as `panic_selling`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Concentration => "concentration",
            Self::PanicSelling => "panic_selling",
            Self::DispositionEffect => "disposition_effect",
            Self::Overtrading => "overtrading",
            Self::PerformanceChasing => "performance_chasing",
            Self::HomeBias => "home_bias",
            Self::CashDrag => "cash_drag",
            Self::AllocationDrift => "allocation_drift",
            Self::DrawdownCheckin => "drawdown_checkin",
            Self::SetGoal => "set_goal",
        }
    }
}

impl fmt::Display for NudgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding of a detector, ready to show.
///
/// JSON: `{"kind", "severity", "subject", "title", "explanation", "action", "evidence"}`.
/// `subject` names what the nudge is about (a symbol such as `"AAPL"`, a rule
/// such as `"5/10/40"`, or `null`); throttling treats the same kind and
/// subject as the same nudge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Nudge {
    /// The detector.
    pub kind: NudgeKind,
    /// How urgent it is.
    pub severity: Severity,
    /// What it is about, when more than one nudge of a kind can appear.
    pub subject: Option<String>,
    /// A short headline.
    pub title: String,
    /// What was found and the concept behind it, in plain words.
    pub explanation: String,
    /// What the investor could do about it.
    pub action: String,
    /// The numbers that triggered it, and the thresholds they were held against.
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, serde_json::Value>))]
    pub evidence: Evidence,
}

impl Nudge {
    /// A nudge with the given parts; `evidence` should be a JSON object (any
    /// other value is kept under the key `"value"`).
    pub fn new(
        kind: NudgeKind,
        severity: Severity,
        subject: Option<String>,
        title: impl Into<String>,
        explanation: impl Into<String>,
        action: impl Into<String>,
        evidence: Value,
    ) -> Self {
        Self {
            kind,
            severity,
            subject,
            title: title.into(),
            explanation: explanation.into(),
            action: action.into(),
            evidence: into_evidence(evidence),
        }
    }

    /// The key throttling uses: the kind and the subject.
    pub fn key(&self) -> (NudgeKind, Option<&str>) {
        (self.kind, self.subject.as_deref())
    }
}

/// A JSON value as an evidence object.
pub(crate) fn into_evidence(value: Value) -> Evidence {
    match value {
        Value::Object(map) => map,
        other => {
            let mut map = Map::new();
            map.insert("value".to_owned(), other);
            map
        }
    }
}

/// Orders nudges most severe first, keeping detector order among equals.
pub(crate) fn sort_by_severity(nudges: &mut [Nudge]) {
    nudges.sort_by_key(|n| std::cmp::Reverse(n.severity));
}

/// Formats a fraction as a whole-ish percentage for prose: `0.1234` → `12.3%`.
pub(crate) fn pct(x: f64) -> String {
    let p = x * 100.0;
    if (p - p.round()).abs() < 0.05 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// Rounds a statistic for evidence so JSON stays readable (6 decimals).
pub(crate) fn r6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_orders_and_names() {
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Critical);
        assert_eq!(
            serde_json::to_value(Severity::Critical).unwrap(),
            "critical"
        );
        for kind in NudgeKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }

    #[test]
    fn percentages_read_naturally() {
        assert_eq!(pct(0.1), "10%");
        assert_eq!(pct(0.1234), "12.3%");
        assert_eq!(pct(0.5), "50%");
    }

    #[test]
    fn non_object_evidence_is_wrapped() {
        let n = Nudge::new(
            NudgeKind::SetGoal,
            Severity::Info,
            None,
            "t",
            "e",
            "a",
            Value::from(3),
        );
        assert_eq!(n.evidence["value"], 3);
    }
}
