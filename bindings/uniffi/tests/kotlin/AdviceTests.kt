// The recommendation for a risk category and the trades toward it,
// Black-Litterman, and the statistics of a standalone series.

import java.io.File
import java.math.BigDecimal
import kotlin.math.abs
import org.auravest.*

/** A number of the `case` block of the empyrical anchors (core's parity file). */
fun anchor(paths: Paths, case: String, key: String): Double? {
    val text = File(paths.root, "core/tests/anchors/empyrical_reference.json").readText()
    val start = text.indexOf("\"case\": \"$case\"")
    val end = text.indexOf("\"case\":", start + 1).let { if (it < 0) text.length else it }
    val m = Regex("\"$key\": (null|[-0-9.eE+]+)").find(text.substring(start, end)) ?: error("no $key in $case")
    return m.groupValues[1].toDoubleOrNull()
}

fun near(a: Double?, b: Double?): Boolean =
    if (a == null || b == null) a == null && b == null else abs(a - b) <= 1e-9 * maxOf(1.0, abs(b))

fun adviceTests(paths: Paths) {
    check("recommend: a category's portfolio from the SDK, and the trades toward it") {
        samplePrices(paths).use { prices ->
            recommend(Category.MODERATE, prices, RecommendOptions()).use { r ->
                expectEqual(r.category(), Category.MODERATE, "category")
                val sum = r.weights().sumOf { it.weight }
                expect(abs(sum - 1.0) < 1e-6) { "weights sum to $sum: ${r.weights()}" }
                val a = r.allocation()
                expect(abs(a.stocks + a.bonds + a.cash - 1.0) < 1e-9) { "allocation $a" }
                // No bond series among the sample prices: the SDK says so.
                expect(r.gaps().any { it.kind == "bonds" && it.text.isNotBlank() }) { "gaps: ${r.gaps()}" }
                val (low, high) = r.expectedReturnRange()
                expect(low <= r.performance().expectedReturn && r.performance().expectedReturn <= high) { "range $low..$high" }
                expect(r.basis().isNotBlank() && r.reasoning().isNotEmpty()) { "no basis or reasons" }
                samplePortfolio(paths).use { p ->
                    val plan = r.rebalance(p, prices, RebalanceSettings(feePerTrade = "1"))
                    expect(plan.trades.isNotEmpty() && plan.trades.none { it.shares == 0L }) { "trades: ${plan.trades}" }
                    val fees = BigDecimal(plan.fees)
                    expect(fees > BigDecimal.ZERO && fees <= BigDecimal(plan.trades.size)) { "fees ${plan.fees} for ${plan.trades.size} trades" }
                    expect(BigDecimal(plan.targetCash) >= BigDecimal.ZERO) { "cash ${plan.targetCash}" }
                    val fee = expectThrows<AuraException.InvalidInput> { r.rebalance(p, prices, RebalanceSettings(feePerTrade = "one")) }
                    expectEqual(fee.detail.field, "fee_per_trade", "the fee's field")
                }
            }
            val rf = expectThrows<AuraException.InvalidInput> {
                recommend(Category.GROWTH, prices, RecommendOptions(riskFreeRate = 3.0))
            }
            expectEqual(Pair(rf.detail.kind, rf.detail.field), Pair("invalid_parameter", "risk_free_rate"), "a bad rate")
        }
    }
    check("black-litterman: the posterior leans toward the views, weights sum to 1") {
        samplePrices(paths).use { prices ->
            val caps = prices.symbols().mapIndexed { i, s -> MarketCap(s, 1e9 * (i + 1)) }
            val out = blackLitterman(prices, caps, listOf(ExpectedReturn("AAPL", 0.30)), BlackLittermanSettings())
            val sum = out.weights.sumOf { it.weight }
            expect(abs(sum - 1.0) < 1e-9) { "weights sum to $sum" }
            val prior = out.prior.first { it.symbol == "AAPL" }.expectedReturn
            val posterior = out.posterior.first { it.symbol == "AAPL" }.expectedReturn
            expect(prior < posterior && posterior < 0.30) { "AAPL: prior $prior, posterior $posterior" }
            val sure = blackLitterman(prices, caps, listOf(ExpectedReturn("AAPL", 0.30)),
                BlackLittermanSettings(confidences = listOf(1.0)))
            val certain = sure.posterior.first { it.symbol == "AAPL" }.expectedReturn
            expect(abs(certain - 0.30) < abs(posterior - 0.30)) { "full confidence: $certain, none given: $posterior" }
            val unknown = expectThrows<AuraException.InvalidInput> {
                blackLitterman(prices, caps, listOf(ExpectedReturn("NOPE", 0.1)), BlackLittermanSettings())
            }
            expectEqual(unknown.detail.symbol, "NOPE", "the unknown symbol")
        }
    }
    check("series statistics: empyrical parity on SPY, and a benchmark's beta") {
        PriceTable.fromCsv(File(paths.shared, "data/spy_prices.csv").readText()).use { spy ->
            val series = Series(spy.dates(), spy.column("SPY").map { it!! })
            val s = seriesStatistics(series, SeriesKind.PRICES, null, anchor(paths, "spy", "risk_free_rate"))
            for ((key, got) in listOf("total_return" to s.stats.totalReturn, "cagr" to s.stats.cagr,
                    "volatility" to s.stats.volatility, "sharpe" to s.stats.sharpe, "sortino" to s.stats.sortino,
                    "max_drawdown" to s.stats.maxDrawdown, "calmar" to s.stats.calmar,
                    "var_95" to s.stats.var95, "cvar_95" to s.stats.cvar95)) {
                expect(near(got, anchor(paths, "spy", key))) { "$key: got $got, want ${anchor(paths, "spy", key)}" }
            }
            expectEqual(s.periods.toDouble(), anchor(paths, "spy", "n_returns"), "returns counted")
            val itself = seriesStatistics(series, SeriesKind.PRICES, series)
            expect(abs(itself.stats.beta!! - 1.0) < 1e-9 && abs(itself.alpha!!) < 1e-9) { "beta against itself: $itself" }
            val returns = seriesStatistics(Series(listOf("2024-01-02", "2024-01-03", "2024-01-04"), listOf(0.1, -0.1, 0.0)), SeriesKind.RETURNS)
            expect(abs(returns.stats.totalReturn - (1.1 * 0.9 - 1.0)) < 1e-12) { "returns: $returns" }
            val bad = expectThrows<AuraException.InvalidInput> {
                seriesStatistics(Series(listOf("2024-01-02", "2024-02-30"), listOf(1.0, 2.0)), SeriesKind.PRICES)
            }
            expectEqual(bad.detail.kind, "invalid_field", "a bad date's kind")
            expectThrows<AuraException.DataUnavailable> {
                seriesStatistics(Series(listOf("2024-01-02", "2024-01-03"), listOf(1.0, 2.0)), SeriesKind.PRICES)
            }
        }
    }
}
