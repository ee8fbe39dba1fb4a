/*
 * The page's live score (app/static/js/scoring.js) against the vectors the Python engine
 * wrote and checks (tests/data/live_score_vectors.json, tests/test_live_score.py): every
 * typed number read the same, every change refused where the server refuses it, and every
 * figure of the summary equal to the server's.
 */
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");

const Scoring = require("./load.js")("scoring.js");
const vectors = JSON.parse(fs.readFileSync(
  path.join(__dirname, "..", "data", "live_score_vectors.json"), "utf-8"));

test("typed numbers are read as app.i18n.read_number reads them", () => {
  assert.ok(vectors.numbers.length > 40);
  for (const [text, expected] of vectors.numbers) {
    let got;
    try { got = Scoring.readNumber(text); } catch (e) { got = { error: e.reason }; }
    assert.deepStrictEqual(got, expected, `read_number(${JSON.stringify(text)})`);
  }
});

test("rounding is half up on the shortest decimal form, as round_half_up", () => {
  const cases = [[72.45, 1, 72.5], [0.05, 1, 0.1], [99.95, 1, 100], [83, 1, 83], [-2.25, 1, -2.3],
                 [0.123456789, 4, 0.1235], [1e-7, 1, 0], [64.35, 1, 64.4], [2.675, 2, 2.68]];
  for (const [value, decimals, expected] of cases) {
    assert.equal(Scoring.roundHalfUp(value, decimals), expected, `${value} to ${decimals}`);
  }
});

for (const vector of vectors.cases) {
  test(`live score of ${vector.name} equals the server's`, () => {
    const answers = {}, refused = [];
    for (const [id, change] of Object.entries(vector.changes)) {
      try {
        const answer = Scoring.readChange(vector.rules.criteria[id], change);
        if (answer !== null) answers[id] = answer;
      } catch (e) {
        assert.ok(e instanceof Scoring.NumberError, String(e));
        refused.push(id);
      }
    }
    assert.deepStrictEqual(refused.sort(), [...vector.refused].sort(), "refused changes");
    assert.deepStrictEqual(Scoring.score(vector.rules, answers), vector.expected);
  });
}
