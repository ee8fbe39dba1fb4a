/*
 * The evaluation form's queue: what the inspector enters, kept on the device until the server
 * confirms it. No DOM: the page (evaluation.js) gives it a store, a transport and a listener;
 * node's test runner gives it fakes (tests/js/sync.test.js).
 *
 * - A change waits for a short pause (its own debounce timer), then goes into the device's
 *   store (IndexedDB) as one batch under a key made on the device. Until then it is kept in
 *   synchronous storage (localStorage) with the key it will be sent under: a page closed in
 *   the pause loses nothing, and a batch that reached the store is never queued a second
 *   time under another key (what once sent one change twice, version +2, after a session
 *   expiry: the draft outlived its copy in the store and was replayed as a new batch).
 * - Batches and photos are sent in order. An item leaves the queue once the server confirms
 *   it. The server stores a batch once however often it is replayed (the key).
 * - A network failure or a 5xx is retried with back-off (the retry timer, not the debounce's);
 *   a 401 stops sending until the inspector logs in again, keeping everything; a 409 with
 *   conflicts is shown for the inspector to choose; any other 4xx is a refusal: the item is
 *   taken out of the queue and each refused answer is kept, with the server's reason, as a
 *   refusal record on the device (shown on its card, also after a reload) until the
 *   inspector changes that answer. Nothing is retried forever, nothing dropped silently.
 *
 *   var queue = ArzyabSync.create(options);  queue.restore().then(...)
 *   queue.change(id, change) · flush() · sendNow() · online() · addPhoto(photo)
 *   queue.removePhoto(criterion, photoId) · cancel(key) · clearRefusal(id) · dismiss(key)
 *   queue.state() · items() · refusals() · idle()
 *
 * options: evaluation, version, device, urls {save, photo, photoRemove, photoReplace ("{id}"
 * in the last two)}, store {put, remove, byEvaluation} (Promises), drafts {read, write}
 * (synchronous), send(request) -> Promise<{status, body}> (rejects when the network fails),
 * listener(event), newKey(), timers {setTimeout, clearTimeout, now}, debounceMs, retryMs,
 * paradata (optional: {take()}, app/static/js/paradata.js): what it gives when a batch goes
 * into the store travels with that batch, offline or not.
 *
 * Events: {type: "state"}; "queue"; "saved" {item, body}; "photo" {item, body}; "removed"
 * {item, body}; "refused" {refusal}; "conflict" {criterion, conflict}; "login".
 */
(function (root, factory) {
  "use strict";
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.ArzyabSync = factory();
}(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var QUEUED = ["answers", "photo", "remove"];
  var REFUSALS = ["refusal", "photo-refusal"];

  function create(options) {
    var evaluation = String(options.evaluation);
    var store = options.store, drafts = options.drafts, send = options.send;
    var timers = options.timers || { setTimeout: setTimeout.bind(null),
                                     clearTimeout: clearTimeout.bind(null),
                                     now: function () { return Date.now(); } };
    var listener = options.listener || function () {};
    var newKey = options.newKey;
    var urls = options.urls || {};
    var debounceMs = options.debounceMs === undefined ? 800 : options.debounceMs;
    var retryMs = options.retryMs || [2000, 5000, 10000, 20000, 30000];
    var version = options.version || 0;
    var device = options.device || null;
    var snapshotKey = "snapshot:" + evaluation;

    var draft = null;          // {key, base, created, changes}: typed, not yet in the store
    var storing = [];          // drafts on their way into the store
    var queue = [];            // items waiting to be sent, oldest first (mirror of the store)
    var refused = [];          // refusal records (mirror of the store)
    var sending = null, blocked = false, failure = null, failures = 0;
    var debounceTimer = null, retryTimer = null;

    function emit(event) { listener(event); }

    function state() {
      if (blocked) return "login";
      if (sending) return "saving";
      if (failure && queue.length) return failure === "network" ? "offline" : "retrying";
      if (draft || storing.length || queue.length) return "pending";
      return "saved";
    }

    function announce() {
      emit({ type: "state", state: state(), waiting: queue.length + (draft ? 1 : 0),
             refused: refused.length });
    }

    /* --- drafts: the pause before a change reaches the store ---------------------------- */

    function writeDrafts() {
      var list = storing.slice();
      if (draft) list.push(draft);
      try { drafts.write(list.length ? list : null); } catch (e) { /* storage full */ }
    }

    function change(id, value) {
      if (!draft) draft = { key: newKey(), base: version, created: timers.now(), changes: {} };
      draft.changes[id] = value;
      writeDrafts();
      clearRefusal(id);
      if (debounceTimer !== null) timers.clearTimeout(debounceTimer);
      debounceTimer = timers.setTimeout(function () { debounceTimer = null; flush(); },
                                        debounceMs);
      announce();
    }

    function itemOf(saved) {
      return { key: saved.key, evaluation: evaluation, kind: "answers", changes: saved.changes,
               base: saved.base, created: saved.created };
    }

    /* the draft goes into the store now; resolves once it is there */
    function flush() {
      if (debounceTimer !== null) { timers.clearTimeout(debounceTimer); debounceTimer = null; }
      if (!draft) return Promise.resolve();
      var saved = draft;
      draft = null;
      storing.push(saved);
      writeDrafts();
      var item = itemOf(saved);
      var seen = options.paradata ? options.paradata.take() : null;
      if (seen) item.paradata = seen;
      queue.push(item);
      return store.put(item).then(function () {
        storing = storing.filter(function (d) { return d !== saved; });
        writeDrafts();
        emit({ type: "queue" });
        pump();
      });
    }

    /* --- refusals -------------------------------------------------------------------------- */

    function refuse(record) {
      refused = refused.filter(function (r) { return r.key !== record.key; });
      refused.push(record);
      emit({ type: "refused", refusal: record });
      return store.put(record);
    }

    function refuseAnswer(id, answer, message) {
      return refuse({ key: "refusal:" + evaluation + ":" + id, evaluation: evaluation,
                      kind: "refusal", criterion: id, change: answer, message: message || "",
                      created: timers.now() });
    }

    function clearRefusal(id) {
      var key = "refusal:" + evaluation + ":" + id;
      if (!refused.some(function (r) { return r.key === key; })) return;
      refused = refused.filter(function (r) { return r.key !== key; });
      store.remove(key);
    }

    function dismiss(key) {
      refused = refused.filter(function (r) { return r.key !== key; });
      announce();
      return store.remove(key);
    }

    /* --- sending ---------------------------------------------------------------------------- */

    function request(item) {
      if (item.kind === "answers") {
        var json = { key: item.key, base_version: item.base, device: device,
                     changes: item.changes };
        if (item.paradata) json.paradata = item.paradata;
        return { url: urls.save, json: json };
      }
      if (item.kind === "remove") {
        return { url: urls.photoRemove.replace("{id}", item.photo), json: {} };
      }
      var url = item.replaces ? urls.photoReplace.replace("{id}", item.replaces) : urls.photo;
      return { url: url, form: [["criterion", item.criterion], ["key", item.key]],
               file: { field: "photo", blob: item.blob, name: item.name },
               exif: item.exif || null };
    }

    function pump() {
      if (sending || blocked || retryTimer !== null) { announce(); return; }
      var item = queue[0];
      if (!item) { announce(); return; }
      sending = item;
      announce();
      // `sending` stays set until the answer is handled (the store written): nothing else
      // starts meanwhile, so an item is never sent twice
      send(request(item)).then(function (result) {
        return handle(item, result.status, result.body || {});
      }, function () {
        return retry(item, "network");
      }).then(function () {
        sending = null;
        pump();
      });
    }

    function drop(item) {
      queue = queue.filter(function (i) { return i !== item; });
      return store.remove(item.key);
    }

    function retry(item, why) {
      failure = why;
      var delay = retryMs[Math.min(failures, retryMs.length - 1)];
      failures += 1;
      retryTimer = timers.setTimeout(function () { retryTimer = null; pump(); }, delay);
    }

    function handle(item, status, body) {
      if (status >= 200 && status < 300) return confirmed(item, body);
      if (status === 0 || status >= 500) return retry(item, status === 0 ? "network" : "server");
      failure = null;
      failures = 0;
      if (status === 401) {
        blocked = true;
        emit({ type: "login" });
        return null;
      }
      if (item.kind === "answers" && status === 409 && body.conflicts) {
        Object.keys(body.conflicts).forEach(function (id) {
          emit({ type: "conflict", criterion: id, conflict: body.conflicts[id] });
          delete item.changes[id];
        });
        return requeue(item, body.version || item.base);
      }
      if (item.kind === "answers" && status === 422 && body.errors) {
        var done = Object.keys(body.errors).map(function (id) {
          var answer = item.changes[id];
          delete item.changes[id];
          return refuseAnswer(id, answer, body.errors[id]);
        });
        return Promise.all(done).then(function () { return requeue(item, item.base); });
      }
      // refused for good, as a whole (unreadable, too large, no longer editable …): out of
      // the queue, and shown where it belongs
      var message = body.error || String(status);
      var shown;
      if (item.kind === "answers") {
        shown = Promise.all(Object.keys(item.changes).map(function (id) {
          return refuseAnswer(id, item.changes[id], message);
        }));
      } else if (item.kind === "remove" && status === 404) {
        emit({ type: "removed", item: item, body: { removed: item.photo } });
        shown = Promise.resolve();
      } else {
        shown = refuse({ key: "photo-refusal:" + item.key, evaluation: evaluation,
                         kind: "photo-refusal", criterion: item.criterion,
                         name: item.name || "", photo: item.photo || item.replaces || null,
                         action: item.kind, message: message, created: timers.now() });
      }
      return shown.then(function () { return drop(item); });
    }

    function requeue(item, base) {
      // what the server did not object to goes again, under a new key (the payload changed)
      var at = queue.indexOf(item);
      var rest = Object.keys(item.changes).length ? {
        key: newKey(), evaluation: evaluation, kind: "answers", changes: item.changes,
        base: base, created: item.created, paradata: item.paradata } : null;
      if (rest) queue.splice(at, 1, rest); else queue.splice(at, 1);
      return store.remove(item.key)
        .then(function () { return rest ? store.put(rest) : null; })
        .then(function () { emit({ type: "queue" }); });
    }

    function confirmed(item, body) {
      failure = null;
      failures = 0;
      queue = queue.filter(function (i) { return i !== item; });
      var after = store.remove(item.key);
      if (item.kind === "answers") {
        version = Math.max(version, body.version || 0);
        after = after.then(function () { return remember(item.changes, body.version); });
        emit({ type: "saved", item: item, body: body });
      } else if (item.kind === "photo") {
        emit({ type: "photo", item: item, body: body });
        if (item.cancelled && body.id) removePhoto(item.criterion, body.id);
      } else {
        emit({ type: "removed", item: item, body: body });
      }
      return after.then(function () { emit({ type: "queue" }); });
    }

    /* the last state the server confirmed, for a page served from the offline cache */
    function remember(changes, confirmedVersion) {
      return store.get(snapshotKey).then(function (snapshot) {
        snapshot = snapshot || { key: snapshotKey, evaluation: evaluation, kind: "snapshot",
                                 version: 0, answers: {} };
        Object.keys(changes).forEach(function (id) {
          snapshot.answers[id] = Object.assign(snapshot.answers[id] || {}, changes[id]);
        });
        snapshot.version = Math.max(snapshot.version, confirmedVersion || 0);
        return store.put(snapshot);
      });
    }

    /* --- photos ----------------------------------------------------------------------------- */

    function addPhoto(photo) {
      var item = { key: newKey(), evaluation: evaluation, kind: "photo",
                   criterion: photo.criterion, blob: photo.blob, name: photo.name || "photo.jpg",
                   exif: photo.exif || null,
                   replaces: photo.replaces || null, created: timers.now() };
      queue.push(item);
      return store.put(item).then(function () { emit({ type: "queue" }); pump(); return item; });
    }

    function removePhoto(criterion, photoId) {
      var item = { key: newKey(), evaluation: evaluation, kind: "remove", criterion: criterion,
                   photo: photoId, created: timers.now() };
      queue.push(item);
      return store.put(item).then(function () { emit({ type: "queue" }); pump(); return item; });
    }

    /* a queued photo taken back before it was sent (once sent, it is removed after) */
    function cancel(key) {
      var item = queue.filter(function (i) { return i.key === key; })[0];
      if (!item) return Promise.resolve(false);
      if (item === sending) { item.cancelled = true; return Promise.resolve(true); }
      return drop(item).then(function () { emit({ type: "queue" }); announce(); return true; });
    }

    /* --- the device's state at load ------------------------------------------------------- */

    function restore() {
      return store.byEvaluation(evaluation).then(function (records) {
        var snapshot = records.filter(function (r) { return r.kind === "snapshot"; })[0] || null;
        queue = records.filter(function (r) { return QUEUED.indexOf(r.kind) >= 0; })
          .sort(function (a, b) { return a.created - b.created; });
        refused = records.filter(function (r) { return REFUSALS.indexOf(r.kind) >= 0; });
        var known = {};
        queue.forEach(function (item) { known[item.key] = true; });
        var saved = [];
        try { saved = drafts.read() || []; } catch (e) { saved = []; }
        // a draft whose batch reached the store is that batch: never queued twice
        var fresh = saved.filter(function (d) {
          return d && d.key && !known[d.key] && Object.keys(d.changes || {}).length;
        }).map(itemOf);
        return Promise.all(fresh.map(function (item) { return store.put(item); })).then(function () {
          queue = queue.concat(fresh).sort(function (a, b) { return a.created - b.created; });
          writeDrafts();
          if (snapshot && snapshot.version <= version) {
            store.remove(snapshotKey);  // the page is newer than what we kept
            snapshot = null;
          } else if (snapshot) {
            version = snapshot.version;
          }
          announce();
          return { items: queue.slice(), refusals: refused.slice(), snapshot: snapshot,
                   version: version };
        });
      });
    }

    function start() { pump(); }

    function sendNow() {
      blocked = false;
      failures = 0;
      if (retryTimer !== null) { timers.clearTimeout(retryTimer); retryTimer = null; }
      return flush().then(pump);
    }

    return {
      change: change, flush: flush, restore: restore, start: start, sendNow: sendNow,
      online: sendNow, addPhoto: addPhoto, removePhoto: removePhoto, cancel: cancel,
      clearRefusal: function (id) { clearRefusal(id); announce(); }, dismiss: dismiss,
      state: state, version: function () { return version; },
      items: function () { return queue.slice(); },
      refusals: function () { return refused.slice(); },
      draft: function () { return draft; },
      idle: function () { return !draft && !storing.length && !queue.length && !sending; }
    };
  }

  return { create: create };
}));
