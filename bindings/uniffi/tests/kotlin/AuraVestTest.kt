// The Kotlin binding's test program: a plain `main` run on the JVM with JNA.
// It covers every exported function and object, each error variant, the
// parity case against PyPortfolioOpt, the async market and assistant calls
// against local servers, and a leak check. It prints `N passed, M failed`
// and exits non-zero when anything failed.
//
//   java -cp auravest.jar:test.jar:jna.jar:kotlinx-coroutines-core.jar \
//       AuraVestTestKt <repository root> <shared data folder>

import java.io.File
import java.math.BigDecimal
import kotlin.math.abs
import kotlin.system.exitProcess
import org.auravest.*

fun main(args: Array<String>) {
    val paths = Paths(File(args[0]).canonicalFile, File(args[1]).canonicalFile)
    libraryTests()
    riskTests(paths)
    priceTests(paths)
    portfolioTests(paths)
    optimizeTests(paths)
    biasTests(paths)
    adviceTests(paths)
    socialTests()
    asyncTests(paths)
    leakCheck(paths)
    println("${Tally.passed} passed, ${Tally.failed} failed")
    exitProcess(if (Tally.failed == 0 && Tally.passed > 0) 0 else 1)
}

fun libraryTests() {
    check("version and disclaimers") {
        expect(version().matches(Regex("\\d+\\.\\d+\\.\\d+.*"))) { "version ${version()}" }
        expect(disclaimer().isNotBlank() && aiDisclaimer().isNotBlank()) { "empty disclaimer" }
        expect(disclaimer() != aiDisclaimer()) { "one text for both disclaimers" }
    }
}

/** The sample answers (examples/data/answers.json) as question id to option. */
fun sampleAnswers(paths: Paths): Map<String, UInt> {
    val text = File(paths.sample, "answers.json").readText()
    val body = text.substring(text.indexOf("\"answers\""))
    return Regex("\"([a-z_]+)\"\\s*:\\s*(\\d+)").findAll(body)
        .associate { it.groupValues[1] to it.groupValues[2].toUInt() }
}

fun riskTests(paths: Paths) {
    check("risk: versions and the current questionnaire") {
        val versions = riskVersions()
        val q = riskQuestionnaire()
        expect(versions.contains(q.version)) { "$versions lacks ${q.version}" }
        expect(q.questions.size >= 10 && q.questions.all { it.options.size >= 2 }) { "questions: $q" }
        expectEqual(riskQuestionnaire(q.version), q, "the same version by name")
    }
    check("risk: scoring the sample answers") {
        val p = riskScore(sampleAnswers(paths))
        expect(p.score.toInt() in 0..100 && p.capacityScore.toInt() in 0..100) { "scores: $p" }
        val a = p.allocation
        expect(abs(a.stocks + a.bonds + a.cash - 1.0) < 1e-12) { "allocation sums to ${a.stocks + a.bonds + a.cash}" }
        expect(p.rationale.isNotBlank()) { "no rationale" }
    }
    check("risk: categories in order with their bands") {
        val c = riskCategories()
        expectEqual(c.map { it.category }, listOf(Category.CONSERVATIVE, Category.MODERATELY_CONSERVATIVE,
            Category.MODERATE, Category.GROWTH, Category.AGGRESSIVE), "categories")
        expect(c.zipWithNext().all { (a, b) -> a.scoreTo < b.scoreFrom }) { "bands overlap: $c" }
    }
    check("risk: an unknown version and a bad answer are InvalidInput") {
        val e = expectThrows<AuraException.InvalidInput> { riskQuestionnaire("1999.9") }
        expectEqual(e.detail.kind, "unknown_version", "kind")
        val answers = sampleAnswers(paths).toMutableMap()
        answers["risk_attitude"] = 99u
        val bad = expectThrows<AuraException.InvalidInput> { riskScore(answers) }
        expect(bad.detail.reason.contains("risk_attitude")) { "the reason names the question: ${bad.detail.reason}" }
    }
}

fun samplePrices(paths: Paths): PriceTable = PriceTable.fromCsv(File(paths.sample, "prices.csv").readText())

fun priceTests(paths: Paths) {
    check("prices: a table from CSV and from columns") {
        samplePrices(paths).use { t ->
            expectEqual(t.symbols(), listOf("AAPL", "AMZN", "GOOG", "JPM", "XOM", "PFE", "SPY"), "symbols")
            expectEqual(t.dates().first(), "2015-01-02", "first date")
            expectEqual(t.rowCount().toInt(), t.dates().size, "rows")
            expectEqual(t.column("AAPL").first(), 103.074188, "first AAPL close")
            PriceTable.fromCsv(t.toCsv()).use { back -> expectEqual(back.column("SPY"), t.column("SPY"), "CSV round trip") }
        }
        PriceTable(listOf("2024-01-02", "2024-01-03"), listOf(PriceColumn("X", listOf(1.5, null)))).use { t ->
            expectEqual(t.column("X"), listOf(1.5, null), "a gap stays a gap")
        }
    }
    check("prices: bad tables name the row and column") {
        val order = expectThrows<AuraException.InvalidInput> {
            PriceTable(listOf("2024-01-03", "2024-01-02"), listOf(PriceColumn("X", listOf(1.0, 2.0))))
        }
        expect(order.detail.reason.isNotBlank()) { "no reason" }
        val negative = expectThrows<AuraException.InvalidInput> {
            PriceTable(listOf("2024-01-02"), listOf(PriceColumn("X", listOf(-1.0))))
        }
        expectEqual(negative.detail.kind, "invalid_prices", "kind")
        expect(negative.detail.rows.isNotEmpty() && negative.detail.rows[0].field == "X") { "rows: ${negative.detail.rows}" }
        val date = expectThrows<AuraException.InvalidInput> {
            PriceTable(listOf("2024-02-30"), listOf(PriceColumn("X", listOf(1.0))))
        }
        expectEqual(date.detail.field, "date", "field")
        samplePrices(paths).use { t ->
            val e = expectThrows<AuraException.InvalidInput> { t.column("NOPE") }
            expectEqual(e.detail.kind, "unknown_column", "kind")
        }
    }
}

fun samplePortfolio(paths: Paths): Portfolio {
    val p = Portfolio("2018-04-11", "USD")
    val skipped = p.importCsv(File(paths.sample, "transactions.csv").readText())
    expect(skipped.isEmpty()) { "skipped: $skipped" }
    return p
}

fun portfolioTests(paths: Paths) {
    check("portfolio: import, positions with lots, cash, records") {
        samplePortfolio(paths).use { p ->
            expectEqual(p.baseCurrency(), "USD", "currency")
            expectEqual(p.today(), "2018-04-11", "today")
            expect(p.transactionCount() > 5u) { "count ${p.transactionCount()}" }
            expectEqual(p.records().size, p.transactionCount().toInt(), "records")
            val aapl = p.positions().first { it.symbol == "AAPL" }
            val lots = aapl.lots.fold(BigDecimal.ZERO) { s, l -> s + BigDecimal(l.quantity) }
            expectEqual(lots.compareTo(BigDecimal(aapl.quantity)), 0, "lots add up to the position")
            expect(p.cash().any { it.currency == "USD" }) { "cash: ${p.cash()}" }
            expect(p.positions(true).size >= p.positions().size) { "closed positions" }
        }
    }
    check("portfolio: insert and remove keep the log valid") {
        samplePortfolio(paths).use { p ->
            val n = p.transactionCount()
            p.insert(TransactionInput("2018-04-10", "buy", "SPY", "1", "260.5", "1", "USD"))
            expectEqual(p.transactionCount(), n + 1u, "after insert")
            val removed = p.remove(p.transactionCount() - 1u)
            expectEqual(p.transactionCount(), n, "after remove")
            expect(removed.date.isNotEmpty()) { "removed $removed" }
        }
        Portfolio("2024-06-30", "EUR").use { p ->
            val skipped = p.importRecords(listOf(
                TransactionInput("2024-01-02", "deposit", null, null, "1000", null, "EUR"),
                TransactionInput("2024-01-03", "buy", "SAP", "2", "180.5", "1", "EUR")))
            expect(skipped.isEmpty()) { "skipped $skipped" }
            expectEqual(p.records().map { it.kind }, listOf("deposit", "buy"), "records")
            expectEqual(p.cash().single().amount.toBigDecimal().compareTo(BigDecimal("638")), 0, "cash left")
            val bad = expectThrows<AuraException.InvalidInput> {
                p.importRecords(listOf(TransactionInput("2024-01-04", "buy", "SAP", "x", "1", null, "EUR")))
            }
            expectEqual(bad.detail.line, 1u, "record number")
        }
    }
    check("portfolio: valuation and performance as decimal text") {
        samplePortfolio(paths).use { p ->
            samplePrices(paths).use { prices ->
                val v = p.valuation(prices)
                val total = v.positions.fold(BigDecimal(v.cash)) { s, x -> s + BigDecimal(x.value) }
                expectEqual(total.compareTo(BigDecimal(v.value)), 0, "positions plus cash make the value")
                val early = p.valuation(prices, "2016-01-04")
                expectEqual(early.asOf, "2016-01-04", "as of")
                val perf = p.performance(prices, PerformanceRequest(benchmark = "SPY"))
                expect(perf.benchmarkReturn != null && perf.series.isNotEmpty()) { "perf: ${perf.benchmarkReturn}" }
                expect(perf.stats.volatility > 0.0 && perf.basis.isNotBlank()) { "stats: ${perf.stats}" }
            }
        }
    }
    check("portfolio: error variants carry field, line and symbol") {
        val today = expectThrows<AuraException.InvalidInput> { Portfolio("2024-02-30") }
        expectEqual(today.detail.field, "today", "field")
        Portfolio("2024-06-30").use { p ->
            val csv = "date,type,symbol,quantity,price,fee,currency\n" +
                "2024-01-02,deposit,,,1000,0,USD\n2024-01-03,buy,AAPL,abc,10,0,USD\n2024-13-01,buy,AAPL,1,10,0,USD\n"
            val rows = expectThrows<AuraException.InvalidInput> { p.importCsv(csv) }
            expectEqual(rows.detail.rows.map { it.line }, listOf(3u, 4u), "bad lines")
            expectEqual(rows.detail.line, 3u, "first bad line")
            expectEqual(rows.detail.rows.map { it.field }, listOf("quantity", "date"), "bad fields")
            expectEqual(p.transactionCount(), 0u, "all or nothing")
            val skipped = p.importCsv(csv, true)
            expectEqual(skipped.size, 2, "skipped rows")
            val sell = expectThrows<AuraException.Ledger> {
                p.insert(TransactionInput("2024-02-01", "sell", "MSFT", "5", "10", null, "USD"))
            }
            expectEqual(sell.detail.symbol, "MSFT", "symbol")
            val over = expectThrows<AuraException.Ledger> {
                p.insert(TransactionInput("2024-02-01", "withdrawal", null, null, "1000000", null, "USD"))
            }
            expectEqual(over.detail.kind, "insufficient_cash", "kind")
            expectThrows<AuraException.Ledger> { p.remove(99u) }
            val record = expectThrows<AuraException.InvalidInput> {
                p.insert(TransactionInput("2024-02-30", "buy", "AAPL", "-1", "10", null, "USD"))
            }
            expectEqual(record.detail.rows.map { it.field }.toSet(), setOf("date", "quantity"), "every bad field")
        }
    }
}
