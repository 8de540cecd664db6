// A TypeScript consumer of the package, compiled with `tsc --noEmit --strict`
// (scripts/ci.sh): the declarations must describe every call precisely
// enough that the mistakes marked @ts-expect-error are caught.
import init, {
  PriceTable,
  Portfolio,
  analyzePortfolio,
  concentrationLimits,
  mixConcentration,
  optimize,
  riskQuestionnaire,
  riskScore,
  wealthWarnings,
  type AuraError,
  type Optimized,
  type OptimizeOptions,
  type RiskCategory,
  type RiskProfile,
  type Valuation,
  type WealthWarning,
} from "@auravest/wasm";
import { riskScore as slimRiskScore, wealthWarnings as slimWarnings } from "@auravest/wasm/slim";

function isAuraError(e: unknown): e is AuraError {
  return e instanceof Error && e.name === "AuraError";
}

export async function demo(pricesCsv: string, transactionsCsv: string): Promise<string> {
  await init();
  const q = riskQuestionnaire();
  const answers: Record<string, number> = {};
  for (const question of q.questions) answers[question.id] = question.options.length - 1;
  const profile: RiskProfile = riskScore(answers);
  const category: RiskCategory = profile.category;
  const stocks: number = profile.allocation.stocks;

  const prices = PriceTable.fromCsv(pricesCsv);
  const portfolio = new Portfolio("2018-04-11", "USD");
  portfolio.importCsv(transactionsCsv);
  const valuation: Valuation = portfolio.valuation(prices);
  const value: string = valuation.value;

  const options: OptimizeOptions = {
    objective: { kind: "efficientRisk", targetVolatility: 0.15 },
    bounds: { low: 0, high: 0.25 },
  };
  const out: Optimized = optimize(prices, options);
  const top = out.weights.reduce((a, b) => (a.weight >= b.weight ? a : b));
  const sharpe: number | undefined = out.performance.sharpe;

  const analysis = analyzePortfolio(portfolio, prices, { profile, benchmark: "SPY" });
  const titles: string[] = analysis.nudges.map((n) => n.title);
  const limit: number = concentrationLimits().singleHolding;
  const flagged: string[] = mixConcentration(out.weights).map((n) => n.title);

  const warnings: WealthWarning[] = wealthWarnings("I put $10k into $AAPL");
  const spans = warnings.map((w) => w.span.end - w.span.start);
  const slimCategory: RiskCategory = slimRiskScore(answers).category;
  const slimCount: number = slimWarnings("40 grand").length;

  try {
    riskScore({});
  } catch (e) {
    if (isAuraError(e)) {
      const where: string | undefined = e.field;
      const kind: string = e.kind;
      return `${kind} ${where ?? ""}`;
    }
  }

  // @ts-expect-error: an objective the optimiser does not have
  optimize(prices, { objective: { kind: "maxReturn" } });
  // @ts-expect-error: the cap is a number
  optimize(prices, { objective: { kind: "maxSharpe" }, bounds: { low: 0, high: "0.2" } });
  // @ts-expect-error: money is a decimal string, not a number
  const wrong: number = valuation.cash;
  // @ts-expect-error: not a category
  const notCategory: RiskCategory = "reckless";
  // @ts-expect-error: not a transaction type
  portfolio.importRecords([{ date: "2018-01-02", type: "gift", currency: "USD" }]);
  // @ts-expect-error: a weight is a number
  mixConcentration([{ symbol: "AAPL", weight: "0.5" }]);

  prices.free();
  portfolio.free();
  return [category, stocks, value, top.symbol, sharpe, titles.length, limit, flagged, spans, slimCategory, slimCount, wrong, notCategory].join();
}
