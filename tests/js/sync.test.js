/*
 * The form's queue (app/static/js/sync.js) with a fake store, clock and server: batching,
 * the keys a batch keeps across reloads, refusals kept on the device, retries with back-off,
 * logged-out pauses, conflicts and photos.
 */
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");

const Sync = require("./load.js")("sync.js");

/* IndexedDB as the queue uses it, in memory; `records` survives a "reload" */
function fakeStore(records = new Map()) {
  const copy = (value) => (value === undefined ? undefined : structuredClone(value));
  return {
    records,
    put: async (record) => { records.set(record.key, copy(record)); },
    get: async (key) => copy(records.get(key)),
    remove: async (key) => { records.delete(key); },
    byEvaluation: async (id) => [...records.values()].filter((r) => r.evaluation === String(id))
      .map(copy),
  };
}

function fakeDrafts(initial = null) {
  return { value: initial, read() { return this.value ? structuredClone(this.value) : null; },
           write(list) { this.value = list ? structuredClone(list) : null; } };
}

/* a clock whose timers run only when the test moves time on */
function fakeTimers() {
  let now = 1000, next = 1;
  const pending = new Map();
  return {
    setTimeout(fn, ms) { const id = next++; pending.set(id, { at: now + ms, fn }); return id; },
    clearTimeout(id) { pending.delete(id); },
    now: () => now,
    pending: () => [...pending.values()].map((t) => t.at - now).sort((a, b) => a - b),
    async advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...pending.entries()].filter(([, t]) => t.at <= until)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        pending.delete(due[0]);
        now = due[1].at;
        due[1].fn();
        await settle();
      }
      now = until;
      await settle();
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve)).then(
  () => new Promise((resolve) => setImmediate(resolve)));

async function idle(ms = 0) { for (let i = 0; i < 10; i++) await settle(); }

/* a server that answers each request with the next scripted reply (default 200) */
function fakeServer() {
  const server = {
    requests: [], replies: [], version: 5, stored: new Map(), keys: new Set(),
    reply(...replies) { server.replies.push(...replies); },
    async send(request) {
      server.requests.push(structuredClone({ url: request.url, json: request.json,
                                             form: request.form, file: request.file && {
                                               name: request.file.name } }));
      const next = server.replies.shift();
      if (next === "network") throw new TypeError("Failed to fetch");
      if (next) return typeof next === "function" ? next(request) : next;
      if (request.json && request.json.changes) {
        server.keys.add(request.json.key);
        for (const [id, change] of Object.entries(request.json.changes)) server.stored.set(id, change);
        server.version += 1;
        return { status: 200, body: { ok: true, version: server.version, score: {} } };
      }
      return { status: 200, body: { id: server.requests.length, name: request.file ? request.file.name : "" } };
    },
  };
  return server;
}

function setup({ store = fakeStore(), drafts = fakeDrafts(), server = fakeServer(),
                 version = 5 } = {}) {
  const timers = fakeTimers(), events = [];
  let counter = 0;
  const queue = Sync.create({
    evaluation: 7, version, device: "device-key-1",
    urls: { save: "/evaluations/7/answers", photo: "/evaluations/7/photos",
            photoRemove: "/evaluations/7/photos/{id}/delete",
            photoReplace: "/evaluations/7/photos/{id}/replace" },
    store, drafts, timers, send: server.send, listener: (event) => events.push(event),
    newKey: () => `key-${String(++counter).padStart(4, "0")}`, debounceMs: 800,
    retryMs: [2000, 5000, 10000],
  });
  return { queue, store, drafts, server, timers, events,
           states: () => events.filter((e) => e.type === "state").map((e) => e.state) };
}

const saves = (server) => server.requests.filter((r) => r.url.endsWith("/answers"));

test("changes typed within the pause go as one batch, with the version last seen", async () => {
  const { queue, server, timers, states } = setup();
  await queue.restore();
  queue.change("1.1", { value: "۹۵", note: "" });
  await timers.advance(300);
  queue.change("1.2", { value: "12.5", note: "" });
  assert.equal(queue.state(), "pending");
  assert.equal(server.requests.length, 0);
  await timers.advance(800);
  await idle();
  assert.equal(saves(server).length, 1);
  assert.deepEqual(Object.keys(saves(server)[0].json.changes), ["1.1", "1.2"]);
  assert.equal(saves(server)[0].json.base_version, 5);
  assert.equal(queue.state(), "saved");
  assert.equal(queue.version(), 6);
  assert.ok(states().includes("saving"));
  queue.change("1.1", { value: "96", note: "" });
  await timers.advance(800);
  await idle();
  assert.equal(saves(server)[1].json.base_version, 6);
});

test("a batch that reached the store is not queued again after a reload, under any key",
  async () => {
    // the page closed right after the batch was stored, before its draft was forgotten
    // (after a session ended, on the way to the login page): both are on the device
    const store = fakeStore(), drafts = fakeDrafts();
    const first = setup({ store, drafts });
    first.server.reply("network");
    await first.queue.restore();
    first.queue.change("2.1", { value: "3", note: "" });
    const draftCopy = drafts.read();
    await first.queue.flush();
    drafts.write(draftCopy);  // the draft is still there, as after an abrupt close
    assert.equal([...store.records.values()].filter((r) => r.kind === "answers").length, 1);

    const again = setup({ store, drafts });
    const restored = await again.queue.restore();
    assert.equal(restored.items.length, 1);
    again.queue.start();
    await idle();
    assert.equal(saves(again.server).length, 1);
    assert.equal(saves(again.server)[0].json.key, draftCopy[0].key);
    assert.equal(again.server.version, 6);  // one change, one version: not +2
    assert.equal(again.queue.state(), "saved");
  });

test("a draft the page never stored is queued once after a reload, under its own key",
  async () => {
    const store = fakeStore(), drafts = fakeDrafts();
    const first = setup({ store, drafts });
    await first.queue.restore();
    first.queue.change("3.2", { value: "۴۰", note: "note" });
    const key = drafts.read()[0].key;
    // closed within the pause: nothing in the store, the draft in synchronous storage
    const again = setup({ store, drafts });
    await again.queue.restore();
    again.queue.start();
    await idle();
    assert.deepEqual(saves(again.server).map((r) => r.json.key), [key]);
    assert.equal(drafts.read(), null);
  });

test("refused answers are kept on the device with the reason; the rest is saved once",
  async () => {
    const store = fakeStore();
    const { queue, server, timers, events } = setup({ store });
    server.reply({ status: 422, body: { error: "Some answers could not be saved",
                                        errors: { "1.2": "ambiguous: write ۱۲٫۵" } } });
    await queue.restore();
    queue.change("1.1", { value: "95", note: "" });
    queue.change("1.2", { value: "12,5", note: "" });
    await timers.advance(800);
    await idle();
    const sent = saves(server);
    assert.equal(sent.length, 2);
    assert.deepEqual(Object.keys(sent[1].json.changes), ["1.1"]);
    assert.notEqual(sent[1].json.key, sent[0].json.key);  // the payload changed
    assert.deepEqual([...server.stored.keys()], ["1.1"]);
    assert.deepEqual(queue.refusals().map((r) => [r.criterion, r.change.value, r.message]),
                     [["1.2", "12,5", "ambiguous: write ۱۲٫۵"]]);
    assert.equal(events.filter((e) => e.type === "refused").length, 1);
    assert.equal(queue.state(), "saved");
    assert.equal(events.filter((e) => e.type === "state").pop().refused, 1);

    // after a reload the refusal is still there, with the value typed and the reason
    const again = setup({ store });
    const restored = await again.queue.restore();
    assert.deepEqual(restored.refusals.map((r) => r.criterion), ["1.2"]);
    assert.equal(restored.refusals[0].change.value, "12,5");
    // correcting the answer clears it
    again.queue.change("1.2", { value: "12.5", note: "" });
    assert.deepEqual(again.queue.refusals(), []);
    await again.timers.advance(800);
    await idle();
    assert.equal([...store.records.values()].filter((r) => r.kind === "refusal").length, 0);
  });

test("a save refused as unreadable leaves the queue and is shown, never retried", async () => {
  const { queue, server, timers } = setup();
  server.reply({ status: 400, body: { error: "The changes could not be read." } });
  await queue.restore();
  queue.change("4.1", { value: "x", note: "\ud800" });
  await queue.flush();
  queue.change("4.2", { value: "7", note: "" });
  await queue.flush();
  await idle();
  await timers.advance(120000);
  assert.deepEqual(saves(server).map((r) => Object.keys(r.json.changes)), [["4.1"], ["4.2"]],
                   JSON.stringify(saves(server)));  // the refused one once, then the next
  assert.deepEqual(queue.refusals().map((r) => [r.criterion, r.message]),
                   [["4.1", "The changes could not be read."]]);
  assert.deepEqual(queue.items(), []);
  assert.equal(queue.state(), "saved");
});

test("a server error is retried with back-off on its own timer; typing does not reset it",
  async () => {
    const { queue, server, timers, states } = setup();
    server.reply({ status: 503, body: { error: "busy" } }, { status: 500, body: {} });
    await queue.restore();
    queue.change("5.1", { value: "1", note: "" });
    await timers.advance(800);
    await idle();
    assert.equal(saves(server).length, 1);
    assert.equal(queue.state(), "retrying");
    assert.deepEqual(timers.pending(), [2000]);
    // a change typed meanwhile waits for its own pause; the retry keeps its time
    await timers.advance(500);
    queue.change("5.2", { value: "2", note: "" });
    assert.deepEqual(timers.pending(), [800, 1500]);
    await timers.advance(1500);
    await idle();
    assert.equal(saves(server).length, 2);  // retried at 2 s, refused again
    assert.deepEqual(timers.pending(), [5000]);
    await timers.advance(5000);
    await idle();
    assert.equal(saves(server).length, 4);  // the first batch, then the second
    assert.equal(queue.state(), "saved");
    assert.ok(states().includes("retrying"));
  });

test("no connection: kept on the device, said plainly, sent when the link returns",
  async () => {
    const { queue, server, timers } = setup();
    server.reply("network", "network");
    await queue.restore();
    queue.change("6.1", { value: "3", note: "" });
    await timers.advance(800);
    await idle();
    assert.equal(queue.state(), "offline");
    await timers.advance(2000);
    await idle();
    assert.equal(queue.state(), "offline");
    queue.online();
    await idle();
    assert.equal(queue.state(), "saved");
    assert.equal(server.stored.get("6.1").value, "3");
  });

test("a 401 stops sending and keeps everything until the inspector is back", async () => {
  const { queue, server, timers, events } = setup();
  server.reply({ status: 401, body: { error: "Your session has ended." } });
  await queue.restore();
  queue.change("7.1", { value: "3", note: "" });
  await timers.advance(800);
  await idle();
  assert.equal(queue.state(), "login");
  assert.ok(events.some((e) => e.type === "login"));
  queue.change("7.2", { value: "4", note: "" });
  await timers.advance(60000);
  assert.equal(saves(server).length, 1);
  assert.equal(queue.items().length, 2);
  queue.sendNow();
  await idle();
  assert.equal(saves(server).length, 3);
  assert.equal(queue.state(), "saved");
  // each change reached the server under one key only
  assert.equal(new Set(saves(server).map((r) => r.json.key)).size, 2);
});

test("conflicts are shown and the rest goes again on the server's version", async () => {
  const { queue, server, timers, events } = setup();
  server.reply({ status: 409, body: { version: 9, conflicts: {
    "8.1": { theirs: { value: 2 }, yours: { value: 3 } } } } });
  await queue.restore();
  queue.change("8.1", { value: "3", note: "" });
  queue.change("8.2", { value: "5", note: "" });
  await timers.advance(800);
  await idle();
  assert.deepEqual(events.filter((e) => e.type === "conflict").map((e) => e.criterion), ["8.1"]);
  const again = saves(server)[1].json;
  assert.deepEqual(Object.keys(again.changes), ["8.2"]);
  assert.equal(again.base_version, 9);
});

test("photos: sent in order, refused ones shown on their card, replaced and removed",
  async () => {
    const store = fakeStore();
    const { queue, server, events } = setup({ store });
    server.reply({ status: 200, body: { id: 41, name: "a.jpg" } },
                 { status: 415, body: { error: "This file is not a photo." } });
    await queue.restore();
    await queue.addPhoto({ criterion: "1.1", blob: { size: 3 }, name: "a.jpg" });
    await queue.addPhoto({ criterion: "1.2", blob: { size: 3 }, name: "b.heic" });
    await idle();
    assert.deepEqual(server.requests.map((r) => r.url),
                     ["/evaluations/7/photos", "/evaluations/7/photos"]);
    assert.deepEqual(server.requests[0].form, [["criterion", "1.1"], ["key", "key-0001"]]);
    assert.equal(events.filter((e) => e.type === "photo")[0].body.id, 41);
    const refusal = queue.refusals()[0];
    assert.equal(refusal.kind, "photo-refusal");
    assert.equal(refusal.criterion, "1.2");
    assert.equal(refusal.message, "This file is not a photo.");
    assert.deepEqual(queue.items(), []);

    await queue.addPhoto({ criterion: "1.1", blob: { size: 4 }, name: "c.jpg", replaces: 41 });
    await queue.removePhoto("1.1", 40);
    await idle();
    assert.deepEqual(server.requests.slice(2).map((r) => r.url),
                     ["/evaluations/7/photos/41/replace", "/evaluations/7/photos/40/delete"]);
    assert.ok(events.some((e) => e.type === "removed"));
    await queue.dismiss(refusal.key);
    assert.deepEqual(queue.refusals(), []);
    assert.equal([...store.records.values()].length, 0);
  });

test("a photo taken back before it is sent is never sent", async () => {
  const { queue, server } = setup();
  server.reply("network");
  await queue.restore();
  const first = await queue.addPhoto({ criterion: "1.1", blob: { size: 1 }, name: "a.jpg" });
  const second = await queue.addPhoto({ criterion: "1.1", blob: { size: 1 }, name: "b.jpg" });
  await idle();
  assert.equal(await queue.cancel(second.key), true);
  queue.online();
  await idle();
  assert.deepEqual(server.requests.map((r) => r.file.name), ["a.jpg", "a.jpg"]);
  assert.equal(first.name, "a.jpg");
});

test("the paradata taken when a batch is stored travels with that batch, also when it waits",
  async () => {
    const store = fakeStore(), server = fakeServer(), timers = fakeTimers();
    server.reply("network");  // the first send finds no connection
    const taken = [];
    let n = 0;
    const queue = Sync.create({
      evaluation: 7, version: 5, device: "device-key-1",
      urls: { save: "/evaluations/7/answers" }, store, drafts: fakeDrafts(), timers,
      send: server.send, listener: () => {}, newKey: () => `pk-${++n}`, debounceMs: 800,
      retryMs: [2000],
      // a stand-in for paradata.js: each take() gives the next report
      paradata: { take: () => {
        const report = { device_time: 1000 + taken.length, criteria: { "1.1": { changes: 1 } } };
        taken.push(report);
        return report;
      } },
    });
    await queue.restore();
    queue.change("1.1", { value: "5", note: "" });
    await timers.advance(800);
    await idle();
    // offline: the batch waits in the device's store with the paradata of when it was made
    const kept = [...store.records.values()].find((r) => r.kind === "answers");
    assert.deepEqual(kept.paradata, taken[0]);
    await timers.advance(2000);
    await idle();
    const sent = saves(server);
    assert.equal(sent.length, 2);
    assert.deepEqual(sent[1].json.paradata, taken[0]);
    assert.equal(taken.length, 1, "taken once, when the batch was stored");
  });
