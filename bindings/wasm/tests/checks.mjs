// The package's checks, written once for Node (node.test.mjs) and the
// browser: each takes the loaded module and the fixtures and throws on a
// failure. No Node API here.

const CATEGORIES = ["conservative", "moderately_conservative", "moderate", "growth", "aggressive"];
const DECIMAL = /^-?\d+(\.\d+)?$/;

function expect(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

function expectEqual(got, want, what) {
  if (got !== want) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

/** Runs `f`, which must throw an AuraError of `kind`; returns the error. */
export function expectAuraError(f, kind) {
  let thrown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown !== undefined, `expected an AuraError ${kind}, nothing was thrown`);
  expect(thrown instanceof Error, `an Error, got ${thrown}`);
  expectEqual(thrown.name, "AuraError", "name");
  expectEqual(thrown.kind, kind, `kind (${thrown.message})`);
  expect(typeof thrown.message === "string" && thrown.message.length > 0, "a message");
  return thrown;
}

function samplePortfolio(av, fx) {
  const p = new av.Portfolio("2018-04-11", "USD");
  const skipped = p.importCsv(fx.transactionsCsv);
  expectEqual(skipped.length, 0, "rows skipped");
  return p;
}

/** Values of the wrong JavaScript type for a required argument. */
const WRONG = [5, {}, null, undefined];
/** ... and for an optional one, where `null` and `undefined` mean absent. */
const WRONG_OPTIONAL = [5, {}];

/**
 * Calls each `[field, call, wrong]` with every wrong value: each must throw
 * an AuraError `invalid_argument` naming `field`, never trap the module.
 */
function expectNoTraps(cases) {
  for (const [field, call, wrong] of cases) {
    for (const x of wrong) {
      const e = expectAuraError(() => call(x), "invalid_argument");
      expect(e.field === field || e.field.startsWith(`${field}.`), `field of ${field}(${JSON.stringify(x)}): ${e.field}`);
    }
  }
}

/** [name, check(av, fixtures)] pairs for the full entry. */
export const fullChecks = [
  ["questionnaire: the questions, a score, the category live as answers change", (av, fx) => {
    const q = av.riskQuestionnaire();
    expect(q.questions.length >= 5, "questions");
    expectEqual(q.version, fx.answers.version, "current version");
    for (const question of q.questions) expect(question.options.length >= 2, `options of ${question.id}`);
    const profile = av.riskScore(fx.answers.answers, fx.answers.version);
    expect(CATEGORIES.includes(profile.category), `category ${profile.category}`);
    expect(profile.score >= 0 && profile.score <= 100, "score in 0..100");
    expect(Math.abs(profile.allocation.stocks + profile.allocation.bonds + profile.allocation.cash - 1) < 1e-9, "allocation sums to 1");
    expect(profile.rationale.length > 0, "rationale");
    // The most willing answers never give a more cautious category.
    const bold = { ...fx.answers.answers };
    for (const question of q.questions) bold[question.id] = question.options.length - 1;
    const boldProfile = av.riskScore(bold);
    expect(CATEGORIES.indexOf(boldProfile.category) >= CATEGORIES.indexOf(profile.category), "monotone");
    expectEqual(av.riskCategories().map((c) => c.category).join(), CATEGORIES.join(), "categories");
    const partial = { ...fx.answers.answers };
    delete partial[q.questions[0].id];
    const e = expectAuraError(() => av.riskScore(partial), "missing_answer");
    expectEqual(e.field, "answers", "field");
  }],
  ["valuation: a portfolio from CSV valued at the prices, money as decimal strings", (av, fx) => {
    const prices = av.PriceTable.fromCsv(fx.pricesCsv);
    const p = samplePortfolio(av, fx);
    expect(p.transactionCount > 0, "transactions");
    const v = p.valuation(prices, "2018-04-10");
    expectEqual(v.asOf, "2018-04-10", "asOf");
    expectEqual(v.baseCurrency, "USD", "currency");
    expect(DECIMAL.test(v.value) && DECIMAL.test(v.cash), `decimals ${v.value} ${v.cash}`);
    expect(v.positions.length > 0, "positions");
    const weights = v.positions.reduce((s, x) => s + x.weight, 0) + Number(v.cash) / Number(v.value);
    expect(Math.abs(weights - 1) < 1e-6, `weights and cash sum to 1 (${weights})`);
    for (const x of v.positions) expect(DECIMAL.test(x.quantity) && DECIMAL.test(x.unrealizedPnl), `decimals of ${x.symbol}`);
    const sum = v.positions.reduce((s, x) => s + Number(x.value), 0) + Number(v.cash);
    expect(Math.abs(sum - Number(v.value)) < 0.01, "value = positions + cash");
  }],
  ["statistics: performance with a benchmark", (av, fx) => {
    const prices = av.PriceTable.fromCsv(fx.pricesCsv);
    const p = samplePortfolio(av, fx);
    const r = p.performance(prices, { benchmark: "SPY", riskFreeRate: 0.02 });
    const s = r.stats;
    expect(s.volatility > 0 && s.volatility < 1, `volatility ${s.volatility}`);
    expect(s.maxDrawdown <= 0 && s.maxDrawdown > -1, `max drawdown ${s.maxDrawdown}`);
    expect(s.cvar95 <= s.var95, "CVaR is at or below VaR");
    expect(typeof s.sharpe === "number" && typeof s.beta === "number", "sharpe and beta");
    expect(typeof r.benchmarkReturn === "number", "benchmark return");
    expect(r.start < r.end, "period");
    const e = expectAuraError(() => p.performance(prices, { start: "2018-13-01" }), "invalid_field");
    expectEqual(e.field, "start", "field");
  }],
  ["optimiser: max Sharpe matches PyPortfolioOpt within 1e-6", (av, fx) => {
    const want = fx.anchors.mean_variance["max_sharpe_rf_0.02"].weights;
    const prices = av.PriceTable.fromCsv(fx.stockPricesCsv);
    const got = av.optimize(prices, { objective: { kind: "maxSharpe" }, riskFreeRate: 0.02, compat: "pyPortfolioOpt" });
    expectEqual(got.weights.map((w) => w.symbol).sort().join(), Object.keys(want).sort().join(), "tickers");
    const worst = Math.max(...got.weights.map((w) => Math.abs(w.weight - want[w.symbol])));
    expect(worst <= 1e-6, `largest weight difference ${worst}`);
    const ms = fx.anchors.mean_variance["max_sharpe_rf_0.02"]["performance_rf_0.02"];
    expect(Math.abs(got.performance.sharpe - ms.sharpe) <= 1e-6, `sharpe ${got.performance.sharpe}`);
  }],
  ["optimiser: a risk target and a per-holding cap, the frontier", (av, fx) => {
    const prices = av.PriceTable.fromCsv(fx.pricesCsv);
    const capped = av.optimize(prices, { objective: { kind: "efficientRisk", targetVolatility: 0.2 }, bounds: { low: 0, high: 0.3 } });
    const sum = capped.weights.reduce((s, w) => s + w.weight, 0);
    expect(Math.abs(sum - 1) < 1e-6, `weights sum to ${sum}`);
    expect(capped.weights.every((w) => w.weight <= 0.3 + 1e-9), "cap holds");
    expect(capped.performance.volatility <= 0.2 + 1e-6, `volatility ${capped.performance.volatility}`);
    const f = av.frontier(prices, { objective: { kind: "maxSharpe" } }, 5);
    expectEqual(f.length, 5, "frontier points");
    for (let i = 1; i < f.length; i++) expect(f[i - 1].performance.volatility <= f[i].performance.volatility + 1e-9, "frontier order");
  }],
  ["nudges: an analysis with a profile and a goal", (av, fx) => {
    const prices = av.PriceTable.fromCsv(fx.pricesCsv);
    const p = samplePortfolio(av, fx);
    const profile = av.riskScore(fx.answers.answers);
    const a = av.analyzePortfolio(p, prices, {
      profile,
      benchmark: "SPY",
      goals: [{ name: "House", target: "100000", by: "2030-06-30", monthlyContribution: "500" }],
    });
    expect(a.findings.length > 0, "findings");
    expect(a.nudges.length <= a.findings.length, "nudges are the findings after throttling");
    const n = a.findings[0];
    expect(["info", "warning", "critical"].includes(n.severity), n.severity);
    expect(n.title.length > 0 && n.action.length > 0 && Object.keys(n.evidence).length > 0, "a nudge with evidence");
    expectEqual(a.goals.map((g) => g.name).join(), "House", "goals");
    expect(DECIMAL.test(a.goals[0].current), "goal's current value");
    const e = expectAuraError(() => av.analyzePortfolio(p, prices, {
      goals: [{ name: "Ok", target: "1000" }, { name: "Bad", target: "lots" }],
    }), "invalid_goal");
    expectEqual(e.field, "target", "field");
    expectEqual(e.line, 2, "position");
    // A non-finite expected return is refused by the SDK, not replaced by its default.
    for (const r of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const g = expectAuraError(() => av.analyzePortfolio(p, prices, {
        goals: [{ name: "Ok", target: "1000" }, { name: "Bad", target: "1000", expectedReturn: r }],
      }), "invalid_goal");
      expectEqual(g.field, "expected_return", `field for ${r}`);
      expectEqual(g.line, 2, `position for ${r}`);
    }
  }],
  ["typed errors: bad input says what and where, never a trap", (av, fx) => {
    let e = expectAuraError(() => av.riskScore({ time_horizon: "soon" }), "invalid_argument");
    expectEqual(e.field, "answers.time_horizon", "field");
    e = expectAuraError(() => av.riskScore(fx.answers.answers, "1999.9"), "unknown_version");
    expectEqual(e.field, "version", "field");
    const prices = av.PriceTable.fromCsv(fx.pricesCsv);
    e = expectAuraError(() => av.optimize(prices, { objective: { kind: "maxSharpe" }, bounds: { low: 0, high: 0.05 } }), "infeasible_bounds");
    e = expectAuraError(() => av.optimize(prices, { objective: { kind: "maxSharpe" }, riskFreeRate: Number.NaN }), "invalid_parameter");
    expectEqual(e.field, "risk_free_rate", "field");
    e = expectAuraError(() => av.optimize(prices, { objective: { kind: "maxSharpe" }, bounds: { low: 0, high: "lots" } }), "invalid_argument");
    expectEqual(e.field, "options.bounds.high", "field");
    e = expectAuraError(() => av.frontier(prices, { objective: { kind: "maxSharpe" } }, 0), "invalid_parameter");
    expectEqual(e.field, "points", "field");
    e = expectAuraError(() => av.optimize(prices, { objective: { kind: "sharpest" } }), "invalid_argument");
    expect(e.field.startsWith("options"), e.field);
    e = expectAuraError(() => new av.PriceTable(["2024-01-02", "2024-02-30"], [{ symbol: "A", closes: [1, 2] }]), "invalid_field");
    expectEqual(e.field, "date", "field");
    expectEqual(e.line, 2, "the date's position");
    e = expectAuraError(() => new av.PriceTable(["2024-01-02", "2024-01-03"], [{ symbol: "A", closes: [1, -2] }]), "invalid_prices");
    e = expectAuraError(() => new av.Portfolio("2024-01-01", "DOLLARS"), "invalid_currency");
    const p = new av.Portfolio("2024-01-31", "USD");
    e = expectAuraError(() => p.importRecords([
      { date: "2024-01-02", type: "deposit", price: "1000", currency: "USD" },
      { date: "2024-01-03", type: "sell", symbol: "ACME", quantity: "5", price: "10", currency: "USD" },
    ]), "import");
    expectEqual(e.line, 2, "the record at fault");
    expectEqual(e.field, "quantity", "field");
    expectEqual(p.transactionCount, 0, "a refused import changes nothing");
    e = expectAuraError(() => p.importCsv("date,type,symbol,quantity,price,fee,currency\n2024-01-02,buy,ACME,ten,1,0,USD\n"), "import");
    expectEqual(e.line, 2, "line");
    expectEqual(e.field, "quantity", "field");
    // After every refusal the module still answers.
    expectEqual(av.riskScore(fx.answers.answers).version, fx.answers.version, "still alive");
  }],
  ["wrong JS types never trap: every string, list and option argument of the full entry", (av, fx) => {
    const prices = av.PriceTable.fromCsv(fx.pricesCsv);
    const p = samplePortfolio(av, fx);
    const maxSharpe = { objective: { kind: "maxSharpe" } };
    expectNoTraps([
      ["today", (x) => new av.Portfolio(x, "USD"), WRONG],
      ["today", () => new av.Portfolio(), [undefined]],
      ["baseCurrency", (x) => new av.Portfolio("2024-01-01", x), WRONG_OPTIONAL],
      ["csv", (x) => p.importCsv(x), WRONG],
      ["records", (x) => p.importRecords(x), WRONG],
      ["asOf", (x) => p.valuation(prices, x), WRONG_OPTIONAL],
      ["request", (x) => p.performance(prices, x), [5, "soon"]],
      ["text", (x) => av.PriceTable.fromCsv(x), WRONG],
      ["dates", (x) => new av.PriceTable(x, []), WRONG],
      ["columns", (x) => new av.PriceTable([], x), WRONG],
      ["symbol", (x) => prices.column(x), WRONG],
      ["options", (x) => av.optimize(prices, x), WRONG],
      ["options", (x) => av.frontier(prices, x, 3), WRONG],
      ["points", (x) => av.frontier(prices, maxSharpe, x), [2.9, -1, 2 ** 53, "5", {}, null, undefined]],
      ["options", (x) => av.analyzePortfolio(p, prices, x), [5, "all"]],
      ["weights", (x) => av.mixConcentration(x), WRONG],
    ]);
    // A key the option types do not declare is refused, its path named.
    const prices2 = prices;
    for (const [field, call] of [
      ["options.bound", () => av.optimize(prices2, { ...maxSharpe, bound: { low: 0, high: 0.3 } })],
      ["options.riskfreeRate", () => av.optimize(prices2, { ...maxSharpe, riskfreeRate: 0.02 })],
      ["options.objective.foo", () => av.optimize(prices2, { objective: { kind: "maxSharpe", foo: 1 } })],
      ["options.bounds.hi", () => av.frontier(prices2, { ...maxSharpe, bounds: { low: 0, hi: 0.3 } }, 3)],
      ["options.goal", () => av.analyzePortfolio(p, prices2, { goal: [] })],
      ["options.goals[0].expectedReturns", () => av.analyzePortfolio(p, prices2, { goals: [{ name: "A", target: "1", expectedReturns: 0.1 }] })],
      ["request.riskfree", () => p.performance(prices2, { riskfree: 0.02 })],
    ]) {
      const u = expectAuraError(call, "invalid_argument");
      expectEqual(u.field, field, "the unknown key's path");
    }
    // NaN still reaches the SDK, which refuses it by name.
    expectEqual(expectAuraError(() => av.optimize(prices2, { ...maxSharpe, riskFreeRate: Number.NaN }), "invalid_parameter").field, "risk_free_rate", "field");
    const e = expectAuraError(() => new av.PriceTable(["2024-01-02", 20240103], [{ symbol: "A", closes: [1, 2] }]), "invalid_argument");
    expectEqual(e.field, "dates", "field");
    expectEqual(e.line, 2, "the date's position");
    // The module still answers.
    expectEqual(p.valuation(prices, "2018-04-10").asOf, "2018-04-10", "still alive");
    expectEqual(av.frontier(prices, maxSharpe, 3).length, 3, "still alive");
  }],
];

fullChecks.push(["a proposed mix gets the concentration nudges its portfolio would", (av, fx) => {
  expectEqual(av.concentrationLimits().singleHolding, 0.1, "the single-holding limit");
  const two = av.mixConcentration([{ symbol: "AAPL", weight: 0.52 }, { symbol: "MSFT", weight: 0.48 }]);
  const aapl = two.find((n) => n.subject === "AAPL");
  expect(aapl !== undefined && aapl.severity === "critical", "52% in AAPL is a single point of failure");
  expect(/AAPL is 52(\.0+)?% of your portfolio/.test(aapl.title), aapl.title);
  // The valued sample portfolio's weights, as a mix: the same findings,
  // word for word, as the analysis of the portfolio itself.
  const prices = av.PriceTable.fromCsv(fx.pricesCsv);
  const p = samplePortfolio(av, fx);
  const a = av.analyzePortfolio(p, prices);
  const mix = a.valuation.positions.map((x) => ({ symbol: x.symbol, weight: x.weight }));
  const fromMix = av.mixConcentration(mix).map((n) => n.title).sort();
  const fromAnalysis = a.findings.filter((n) => n.kind === "concentration").map((n) => n.title).sort();
  expect(fromAnalysis.length > 0, "the sample portfolio has concentration findings");
  expectEqual(fromMix.join(" | "), fromAnalysis.join(" | "), "titles");
  let e = expectAuraError(() => av.mixConcentration([{ symbol: "AAPL", weight: 1.5 }]), "invalid_target");
  expectEqual(e.field, "weights", "field");
  e = expectAuraError(() => av.mixConcentration([{ symbol: "AAPL", weight: 0.2 }, { symbol: "AA PL", weight: 0.2 }]), "invalid_symbol");
  expectEqual(e.line, 2, "line");
  e = expectAuraError(() => av.mixConcentration([{ symbol: "AAPL", weight: 0.2, cap: 1 }]), "invalid_argument");
  expect(e.field.startsWith("weights"), e.field);
  prices.free();
  p.free();
}]);

/** [name, check(av, fixtures)] pairs that hold for both entries. */
export const socialChecks = [
  ["social: money amounts while typing, entities, HTML, aliases", (av) => {
    const text = "Caf\u00e9 \u{1F680} I put $250,000 into $AAPL";
    const w = av.wealthWarnings(text);
    expectEqual(w.length, 1, "one amount");
    expectEqual(w[0].value, "250000", "value");
    expectEqual(w[0].currency, "USD", "currency");
    expectEqual(w[0].cue, "currency_sign", "cue");
    expectEqual(text.slice(w[0].span.start, w[0].span.end), w[0].text, "the span is a JS string slice");
    expect(w[0].message.includes(w[0].text), "message");
    expectEqual(av.wealthWarnings("up 12% this year on $AAPL").length, 0, "a percentage is fine");
    expectEqual(av.wealthWarnings("made 40 grand on it")[0].cue, "slang", "slang");
    const entities = av.textEntities(text);
    expect(entities.some((x) => x.kind === "cashtag" && x.value === "AAPL"), "cashtag");
    const html = av.renderHtml("<script>x</script> **hi**");
    expect(!html.includes("<script>") && html.includes("<strong>hi</strong>"), html);
    expect(!av.renderHtml("**hi**", "plain_text").includes("<strong>"), "plain text");
    expectAuraError(() => av.renderHtml("x", "rich"), "invalid_argument");
    expectEqual(av.checkAlias("quiet_heron"), "quiet_heron", "alias");
    const e = expectAuraError(() => av.checkAlias("a"), "invalid_alias");
    expectEqual(e.field, "alias", "field");
  }],
  ["wrong JS types never trap: every string argument of the social and risk calls", (av, fx) => {
    expectNoTraps([
      ["text", (x) => av.wealthWarnings(x), WRONG],
      ["text", () => av.wealthWarnings(), [undefined]],
      ["text", (x) => av.textEntities(x), WRONG],
      ["text", (x) => av.renderHtml(x), WRONG],
      ["format", (x) => av.renderHtml("x", x), WRONG_OPTIONAL],
      ["alias", (x) => av.checkAlias(x), WRONG],
      ["answers", (x) => av.riskScore(x), [5, null, undefined]],
      ["version", (x) => av.riskScore(fx.answers.answers, x), WRONG_OPTIONAL],
      ["version", (x) => av.riskQuestionnaire(x), WRONG_OPTIONAL],
    ]);
    // The module still answers.
    expectEqual(av.wealthWarnings("I put $250,000 in").length, 1, "still alive");
    expectEqual(av.checkAlias("quiet_heron"), "quiet_heron", "still alive");
  }],
];

