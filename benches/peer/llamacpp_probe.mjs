// The llama.cpp side of benches/compare_llamacpp.sh: node-llama-cpp 3.21.1
// (its prebuilt CPU build of llama.cpp) on the same GGUF file, fed the same
// token ids our probe feeds its model (`llm_probe ids` prints them), decoded
// greedily for the same number of single-token steps. Prints one JSON line
// shaped like `llm_probe`'s: load, peak RSS (VmHWM of this process, so
// Node's own ~45 MB is included), and per run the prefill time (prompt in,
// first token out), the decode time of `decode` further one-token
// evaluations, and the end-to-end time with detokenizing.
//
//   node llamacpp_probe.mjs MODEL.gguf IDS.json [--decode N] [--threads N]
//
// Run from a folder where `node-llama-cpp` is installed (NODE_PATH is not
// read by ES modules, so the script is copied there).
import { readFileSync } from "node:fs";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

function peakRssMb() {
  const line = readFileSync("/proc/self/status", "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmHWM:"));
  return line ? (Number(line.split(/\s+/)[1]) * 1024) / 1e6 : null;
}

const argv = process.argv.slice(2);
const [modelPath, idsPath] = argv;
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const decode = opt("--decode", 64);
const threads = opt("--threads", 2);
const ids = JSON.parse(readFileSync(idsPath, "utf8"));

const t0 = performance.now();
const llama = await getLlama({
  gpu: false,
  build: "never",
  logLevel: LlamaLogLevel.error,
  maxThreads: threads,
});
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const longest = Math.max(...Object.values(ids).map((v) => v.length));
const context = await model.createContext({
  contextSize: longest + decode + 64,
  batchSize: longest + 8,
  threads,
  sequences: 1,
});
const sequence = context.getSequence();
const load = (performance.now() - t0) / 1000;
const rssLoad = peakRssMb();

async function run(tokens, steps) {
  await sequence.clearHistory();
  const start = performance.now();
  const out = [];
  let prefill = 0;
  // The generator evaluates the prompt, yields the first token, and runs
  // one more single-token evaluation per further iteration.
  for await (const token of sequence.evaluate(tokens, { temperature: 0 })) {
    if (out.length === 0) prefill = (performance.now() - start) / 1000;
    out.push(token);
    if (out.length > steps) break;
  }
  const decodeS = (performance.now() - start) / 1000 - prefill;
  const text = model.detokenize(out.slice(0, steps));
  const total = (performance.now() - start) / 1000;
  return {
    prompt_tokens: tokens.length,
    prefill_s: prefill,
    prefill_tok_s: tokens.length / prefill,
    decode_tokens: steps,
    decode_s: decodeS,
    decode_tok_s: steps / decodeS,
    total_s: total,
    text,
    ids: out.slice(0, steps),
  };
}

const warm = await run(ids.warmup, 4);
const answer = await run(ids.answer, decode);
const rssRun = peakRssMb();
const rag = ids.rag ? await run(ids.rag, decode) : null;
console.log(
  JSON.stringify({
    side: "llama.cpp",
    engine: "node-llama-cpp 3.21.1",
    threads,
    load_s: load,
    rss_load_mb: rssLoad,
    rss_run_mb: rssRun,
    rss_peak_mb: peakRssMb(),
    warmup_s: warm.total_s,
    answer,
    rag,
  }),
);
await context.dispose();
await model.dispose();
await llama.dispose();
