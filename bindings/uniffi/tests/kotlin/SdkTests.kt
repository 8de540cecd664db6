// The optimiser, the nudges and the community's rules through the binding.

import java.io.File
import java.math.BigDecimal
import kotlin.math.abs
import org.auravest.*

fun optimizeTests(paths: Paths) {
    check("optimize: every objective gives weights summing to 1") {
        samplePrices(paths).use { prices ->
            val objectives = listOf(Objective.MaxSharpe, Objective.MinVolatility,
                Objective.EfficientRisk(0.2), Objective.EfficientReturn(0.1), Objective.MaxUtility(1.0),
                Objective.Hrp, Objective.RiskParity, Objective.InverseVolatility, Objective.EqualWeight,
                Objective.MinCvar(null), Objective.MinCdar(null))
            for (o in objectives) {
                val out = optimize(prices, OptimizeOptions(objective = o))
                val sum = out.weights.sumOf { it.weight }
                expect(abs(sum - 1.0) < 1e-6) { "$o: weights sum to $sum" }
                expect(out.method.isNotBlank()) { "$o: no method" }
            }
            val lw = optimize(prices, OptimizeOptions(objective = Objective.MinVolatility, riskModel = "ledoit-wolf",
                bounds = WeightBounds(0.0, 0.3), clean = true))
            expect(lw.weights.all { it.weight <= 0.3 + 1e-9 }) { "bounds: ${lw.weights}" }
            val cvar = optimize(prices, OptimizeOptions(objective = Objective.MinCvar(null)))
            expect(cvar.tailRisk != null) { "no CVaR" }
        }
    }
    check("optimize: the frontier and whole shares") {
        samplePrices(paths).use { prices ->
            val f = frontier(prices, OptimizeOptions(objective = Objective.MaxSharpe), 5u)
            expectEqual(f.size, 5, "points")
            expect(f.zipWithNext().all { (a, b) -> a.performance.volatility <= b.performance.volatility + 1e-9 }) { "order" }
            val w = optimize(prices, OptimizeOptions(objective = Objective.MaxSharpe)).weights
            val a = allocate(w, prices, "10000", AllocationMethod.GREEDY)
            expect(a.shares.isNotEmpty() && a.shares.all { it.shares >= 0 }) { "shares: ${a.shares}" }
            val left = BigDecimal(a.leftover)
            expect(left >= BigDecimal.ZERO && left < BigDecimal("10000")) { "leftover ${a.leftover}" }
            val exact = allocate(w, prices, "10000", AllocationMethod.EXACT)
            expect(BigDecimal(exact.leftover) >= BigDecimal.ZERO) { "exact leftover ${exact.leftover}" }
            val cash = expectThrows<AuraException.InvalidInput> { allocate(w, prices, "ten", AllocationMethod.GREEDY) }
            expectEqual(cash.detail.field, "cash", "field")
        }
    }
    check("optimize: Infeasible, DataUnavailable and InvalidInput") {
        samplePrices(paths).use { prices ->
            val tight = expectThrows<AuraException.Infeasible> {
                optimize(prices, OptimizeOptions(objective = Objective.MaxSharpe, bounds = WeightBounds(0.0, 0.05)))
            }
            expectEqual(tight.detail.kind, "infeasible_bounds", "kind")
            val model = expectThrows<AuraException.InvalidInput> {
                optimize(prices, OptimizeOptions(objective = Objective.MaxSharpe, riskModel = "bogus"))
            }
            expect(model.detail.reason.contains("bogus")) { model.detail.reason }
            val rf = expectThrows<AuraException.InvalidInput> {
                optimize(prices, OptimizeOptions(objective = Objective.MaxSharpe, riskFreeRate = Double.NaN))
            }
            expectEqual(rf.detail.field, "risk_free_rate", "field")
        }
        PriceTable(listOf("2024-01-02", "2024-01-03"),
            listOf(PriceColumn("A", listOf(1.0, 1.1)), PriceColumn("B", listOf(2.0, 2.1)))).use { short ->
            expectThrows<AuraException.DataUnavailable> {
                optimize(short, OptimizeOptions(objective = Objective.MinVolatility))
            }
        }
    }
    check("optimize: max Sharpe matches PyPortfolioOpt within 1e-6") {
        val anchors = File(paths.shared, "anchors/pypfopt_reference.json").readText()
        val want = anchorWeights(anchors, "max_sharpe_rf_0.02")
        PriceTable.fromCsv(File(paths.shared, "data/stock_prices.csv").readText()).use { prices ->
            val got = optimize(prices, OptimizeOptions(objective = Objective.MaxSharpe, riskFreeRate = 0.02,
                compat = CompatMode.PY_PORTFOLIO_OPT))
            expectEqual(got.weights.map { it.symbol }.toSet(), want.keys, "tickers")
            val worst = got.weights.maxOf { abs(it.weight - want.getValue(it.symbol)) }
            println("     max Sharpe: largest weight difference from PyPortfolioOpt $worst")
            expect(worst <= 1e-6) { "largest weight difference $worst" }
        }
    }
}

fun biasTests(paths: Paths) {
    check("bias: nudges, goals, badges and the checklist") {
        samplePortfolio(paths).use { p ->
            samplePrices(paths).use { prices ->
                val profile = riskScore(sampleAnswers(paths))
                val a = analyzePortfolio(p, prices, AnalysisOptions(profile = profile,
                    goals = listOf(GoalInput("House", "100000", "2030-06-30", "500", null)), benchmark = "SPY"))
                expect(a.findings.isNotEmpty()) { "no findings" }
                expect(a.nudges.size <= a.findings.size) { "more nudges than findings" }
                val n = a.findings.first()
                expect(n.title.isNotBlank() && n.action.isNotBlank() && n.evidence.isNotEmpty()) { "nudge: $n" }
                expect(n.severity in setOf("info", "warning", "critical")) { n.severity }
                expectEqual(a.goals.map { it.name }, listOf("House"), "goals")
                expect(a.badges.isNotEmpty() && a.checklist.isNotEmpty()) { "badges or checklist" }
                BigDecimal(a.valuation.value)
            }
        }
    }
    check("bias: a bad goal names its position and field") {
        samplePortfolio(paths).use { p ->
            samplePrices(paths).use { prices ->
                val e = expectThrows<AuraException.InvalidInput> {
                    analyzePortfolio(p, prices, AnalysisOptions(goals = listOf(
                        GoalInput("Ok", "1000", null, null, null), GoalInput("Bad", "lots", null, null, null))))
                }
                expectEqual(e.detail.kind, "invalid_goal", "kind")
                expectEqual(e.detail.field, "target", "field")
                expectEqual(e.detail.line, 2u, "position")
                val date = expectThrows<AuraException.InvalidInput> {
                    analyzePortfolio(p, prices, AnalysisOptions(goals = listOf(
                        GoalInput("Car", "1000", "2030-02-30", null, null))))
                }
                expectEqual(Triple(date.detail.kind, date.detail.field, date.detail.line),
                    Triple("invalid_goal", "by", 1u), "a bad date")
                val monthly = expectThrows<AuraException.InvalidInput> {
                    analyzePortfolio(p, prices, AnalysisOptions(goals = listOf(
                        GoalInput("Car", "1000", null, "-5", null))))
                }
                expectEqual(Pair(monthly.detail.field, monthly.detail.line), Pair("monthly_contribution", 1u),
                    "a negative contribution (the SDK's rule)")
            }
        }
    }
}

fun socialTests() {
    check("social: aliases, wealth warnings, entities, HTML, shares, guidelines") {
        CommunityRules().use { rules ->
            expectEqual(rules.checkAlias("quiet_heron"), "quiet_heron", "alias")
            expectEqual(rules.checkAlias("quiet_heron", true), "quiet_heron", "a generated alias")
            val alias = expectThrows<AuraException.InvalidInput> { rules.checkAlias("a") }
            expect(alias.detail.reason.isNotBlank()) { "no reason" }
            val text = "I put \$250,000 into \$AAPL"
            val w = rules.wealthWarnings(text)
            expectEqual(w.size, 1, "warnings")
            val bytes = text.toByteArray(Charsets.UTF_8)
            expectEqual(String(bytes, w[0].span.start.toInt(), (w[0].span.end - w[0].span.start).toInt()), w[0].text, "span")
            val e = rules.entities("\$AAPL looks fine, @quiet_heron https://example.com/x")
            expectEqual(e.map { it.kind }, listOf(EntityKind.CASHTAG, EntityKind.MENTION, EntityKind.LINK), "kinds")
            expectEqual(e[0].value, "AAPL", "cashtag")
            val html = rules.renderHtml("<script>x</script> **bold**", TextFormat.MARKDOWN)
            expect(!html.contains("<script>") && html.contains("<strong>")) { html }
            expect(!rules.renderHtml("<b>", TextFormat.PLAIN_TEXT).contains("<b>")) { "plain text escaped" }
            val share = rules.performanceShare(SharePeriod.Month(2024, 3u), "4.5", Category.GROWTH)
            expectEqual(BigDecimal(share.returnPct).compareTo(BigDecimal("4.5")), 0, "percent")
            val month = expectThrows<AuraException.InvalidInput> { rules.performanceShare(SharePeriod.Month(2024, 13u), "1") }
            expect(month.detail.reason.isNotBlank()) { "no reason" }
            val compound = rules.compoundPercent(listOf("10", "10"))
            expectEqual(BigDecimal(compound).compareTo(BigDecimal("21")), 0, "compounded")
            val entry = expectThrows<AuraException.InvalidInput> { rules.compoundPercent(listOf("10", "ten")) }
            expectEqual(Triple(entry.detail.kind, entry.detail.field, entry.detail.line),
                Triple("invalid_entry", "returns_pct", 2u), "the bad entry")
            expect(entry.detail.reason.contains("[1]") && entry.detail.reason.contains("\"ten\"")) { entry.detail.reason }
            expect(rules.guidelines().isNotEmpty()) { "no guidelines" }
            val pct = expectThrows<AuraException.InvalidInput> { rules.performanceShare(SharePeriod.Month(2024, 3u), "ten") }
            expectEqual(pct.detail.field, "return_pct", "the decimal's field")
        }
    }
    check("objects: close() frees at once, and a closed object refuses further calls") {
        val rules = CommunityRules()
        expectEqual(rules.checkAlias("quiet_heron"), "quiet_heron", "alias before close")
        rules.close()
        expectThrows<IllegalStateException> { rules.checkAlias("quiet_heron") }
        rules.close() // a second close is harmless
    }
}
