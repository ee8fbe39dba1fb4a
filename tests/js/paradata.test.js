/*
 * The form's paradata (app/static/js/paradata.js) with a fake clock: first and last change and
 * how often per criterion, active time per unit with idle pauses left out, places, and each
 * report holding only what is new since the last.
 */
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");

const Paradata = require("./load.js")("paradata.js");

function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, tick: (ms) => { t += ms; } };
}

test("changes per criterion and active time per unit; a long pause counts nothing", () => {
  const c = clock();
  const p = Paradata.create({ units: { "1.1": "waste", "1.2": "waste", "2.1": "finance" },
                              idleMs: 60_000, now: c.now });
  assert.equal(p.take(), null);
  const start = c.now();
  p.changed("1.1");
  c.tick(30_000); p.changed("1.1");
  c.tick(20_000); p.changed("1.2");
  c.tick(10 * 60_000); p.changed("2.1");   // the tablet lay on the desk for ten minutes
  c.tick(40_000); p.active("finance");
  const report = p.take();
  assert.equal(report.visit.start, start);
  assert.equal(report.visit.end, c.now());
  assert.deepEqual(report.criteria["1.1"], { first: start, last: start + 30_000, changes: 2 });
  assert.equal(report.criteria["1.2"].changes, 1);
  assert.deepEqual(report.units, { waste: 50, finance: 40 });
  assert.equal(report.device_time, c.now());
  assert.equal(p.take(), null, "nothing new, nothing to send");
  c.tick(5_000); p.changed("2.1");
  const next = p.take();
  assert.deepEqual(Object.keys(next.criteria), ["2.1"]);
  assert.deepEqual(next.units, { finance: 5 });
  assert.equal(next.visit.start, start, "the same visit keeps its start");
});

test("a place with its accuracy, or the reason there is none", () => {
  const c = clock();
  const p = Paradata.create({ units: {}, now: c.now });
  p.located("start", { coords: { latitude: 34.64, longitude: 50.88, accuracy: 12.4 },
                       timestamp: c.now() });
  let report = p.take();
  assert.deepEqual(report.locations, [{ moment: "start", lat: 34.64, lon: 50.88,
                                        accuracy: 12, at: c.now() }]);
  assert.equal(report.location_status, "granted");
  p.located("submit", null, "denied");
  report = p.take();
  assert.deepEqual(report.locations, []);
  assert.equal(report.location_status, "denied");
});
