// The test program's harness: named checks that count passes and failures,
// assertions, and local HTTP servers standing in for the market's sources
// (nothing here reaches the internet).

import com.sun.net.httpserver.HttpServer
import java.io.File
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

object Tally {
    var passed = 0
    var failed = 0
}

/** Runs one named check; a throw (any assertion or error) fails it. */
fun check(name: String, body: () -> Unit) {
    try {
        body()
        Tally.passed++
        println("ok   $name")
    } catch (e: Throwable) {
        Tally.failed++
        println("FAIL $name: $e")
    }
}

fun expect(condition: Boolean, message: () -> String) {
    if (!condition) throw AssertionError(message())
}

fun <T> expectEqual(got: T, want: T, what: String) {
    if (got != want) throw AssertionError("$what: got $got, want $want")
}

/** The exception `body` throws, which must be a `T`. */
inline fun <reified T : Throwable> expectThrows(body: () -> Unit): T {
    try {
        body()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.simpleName}, got $e")
    }
    throw AssertionError("expected ${T::class.simpleName}, nothing was thrown")
}

/** Where the repository and the team's shared data are. */
class Paths(val root: File, val shared: File) {
    val sample = File(root, "examples/data")
    val fixtures = File(root, "market/tests/fixtures")
}

/**
 * A local stand-in for Yahoo Finance replaying its real response shapes
 * (the market crate's fixtures): AAPL answers, JPM fails with 503 (a source
 * outage), every other symbol is Yahoo's "not found".
 */
class YahooReplay(fixtures: File) : AutoCloseable {
    val calls = AtomicInteger()
    private val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)

    init {
        val daily = File(fixtures, "yahoo_chart_daily.json").readBytes()
        val missing = File(fixtures, "yahoo_chart_404.json").readBytes()
        server.createContext("/") { exchange ->
            calls.incrementAndGet()
            val path = exchange.requestURI.path
            val (status, body) = when {
                path.startsWith("/v8/finance/chart/AAPL") -> 200 to daily
                path.startsWith("/v8/finance/chart/JPM") -> 503 to "unavailable".toByteArray()
                else -> 404 to missing
            }
            exchange.responseHeaders.add("content-type", "application/json")
            exchange.sendResponseHeaders(status, body.size.toLong())
            exchange.responseBody.use { it.write(body) }
        }
        server.start()
    }

    val url: String get() = "http://127.0.0.1:${server.address.port}"

    override fun close() = server.stop(0)
}

/**
 * A server that accepts a request and never answers; it records when the
 * client has connected and when the client closed the connection.
 */
class Hang : AutoCloseable {
    private val socket = ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))
    val connected = CountDownLatch(1)
    val closed = CountDownLatch(1)
    private val thread = Thread {
        try {
            val client: Socket = socket.accept()
            connected.countDown()
            val input = client.getInputStream()
            val buffer = ByteArray(4096)
            // Read the request, then wait: read() returns -1 when the
            // client closes its side.
            while (input.read(buffer) >= 0) {
            }
            closed.countDown()
            client.close()
        } catch (e: Exception) {
            // The server was closed.
        }
    }

    init {
        thread.isDaemon = true
        thread.start()
    }

    val url: String get() = "http://127.0.0.1:${socket.localPort}"

    fun await(latch: CountDownLatch, seconds: Long): Boolean = latch.await(seconds, TimeUnit.SECONDS)

    override fun close() = socket.close()
}

/** The process's resident memory in KiB (Linux). */
fun residentKiB(): Long =
    File("/proc/self/status").readLines()
        .first { it.startsWith("VmRSS:") }
        .split(Regex("\\s+"))[1].toLong()

/** The weights of one mean-variance case of the PyPortfolioOpt anchors. */
fun anchorWeights(json: String, case: String): Map<String, Double> {
    val start = json.indexOf("\"$case\"")
    expect(start >= 0) { "no case $case in the anchors" }
    val weights = json.indexOf("\"weights\"", start)
    val open = json.indexOf('{', weights)
    val close = json.indexOf('}', open)
    val pair = Regex("\"([A-Z.]+)\"\\s*:\\s*(-?[0-9.eE+-]+)")
    return pair.findAll(json.substring(open, close)).associate {
        it.groupValues[1] to it.groupValues[2].toDouble()
    }
}
