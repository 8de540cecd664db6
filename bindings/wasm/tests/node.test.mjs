// The Node build of the package (pkg/, made by scripts/ci.sh): every check
// in checks.mjs against the full entry, the social checks against the slim
// one, and the TypeScript declarations free of `any`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { fullChecks, socialChecks } from "./checks.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = process.env.AURAVEST_WASM_PKG ?? join(here, "..", "pkg");
const repo = join(here, "..", "..", "..");
const shared = join(repo, "..", "shared");
const require = createRequire(import.meta.url);

// Loaded through the package's own exports map, as a consumer would.
const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
const entry = (path) => join(pkg, manifest.exports[path].node.default);
const full = require(entry("."));
const slim = require(entry("./slim"));

const fixtures = {
  answers: JSON.parse(readFileSync(join(repo, "examples", "data", "answers.json"), "utf8")),
  pricesCsv: readFileSync(join(repo, "examples", "data", "prices.csv"), "utf8"),
  transactionsCsv: readFileSync(join(repo, "examples", "data", "transactions.csv"), "utf8"),
  stockPricesCsv: readFileSync(join(shared, "data", "stock_prices.csv"), "utf8"),
  anchors: JSON.parse(readFileSync(join(shared, "anchors", "pypfopt_reference.json"), "utf8")),
};

for (const [name, check] of fullChecks) test(`full: ${name}`, () => check(full, fixtures));
for (const [name, check] of socialChecks) {
  test(`full: ${name}`, () => check(full, fixtures));
  test(`slim: ${name}`, () => check(slim, fixtures));
}

test("slim: the risk questionnaire, and nothing of the optimiser", () => {
  const profile = slim.riskScore(fixtures.answers.answers, fixtures.answers.version);
  assert.equal(profile.category, full.riskScore(fixtures.answers.answers).category);
  assert.equal(slim.optimize, undefined);
  assert.equal(slim.Portfolio, undefined);
  assert.equal(slim.version(), full.version());
});

test("the TypeScript declarations have no `any`", () => {
  const files = ["node", "web"].flatMap((dir) =>
    readdirSync(join(pkg, dir)).filter((f) => f.endsWith(".d.ts")).map((f) => join(pkg, dir, f)));
  assert.ok(files.length >= 4, `declarations: ${files}`);
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const lines = text.split("\n").filter((line) => /\bany\b/.test(line.replace(/\/\*\*.*?\*\/|^\s*\*.*$|\/\/.*$/g, "")));
    assert.deepEqual(lines, [], `${file} mentions any`);
    if (!file.endsWith("_bg.wasm.d.ts")) assert.match(text, /export interface AuraError extends Error/);
  }
});

test("the declared string unions name what the SDK returns", () => {
  const dts = readFileSync(join(pkg, "web", "auravest.d.ts"), "utf8");
  const union = (name) => {
    const m = dts.match(new RegExp(`export type ${name} = ([^;]+);`));
    assert.ok(m, `${name} declared`);
    return m[1].split("|").map((s) => JSON.parse(s.trim()));
  };
  assert.deepEqual(union("RiskCategory"), full.riskCategories().map((c) => c.category));
  const cues = union("AmountCue");
  for (const text of ["$5", "5 USD", "5 dollars", "40 grand", "I put 10k into NVDA"]) {
    for (const w of full.wealthWarnings(text)) assert.ok(cues.includes(w.cue), `${w.cue} of ${text}`);
  }
  for (const format of union("TextFormat")) assert.equal(typeof full.renderHtml("x", format), "string");
});
