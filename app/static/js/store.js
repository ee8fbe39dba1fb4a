/*
 * The device's own store (IndexedDB): what the inspector entered that the server has not yet
 * confirmed, and the last state the server confirmed, per evaluation. It survives reloads,
 * closed tabs and a browser restart; `navigator.storage.persist()` asks the browser not to
 * evict it when space runs low.
 *
 *   ArzyabStore.put(record) / get(key) / remove(key) / byEvaluation(id) -> Promises
 *
 * Records: {key, evaluation, kind: "answers" | "photo" | "snapshot", ...}.
 */
(function () {
  "use strict";

  var DB_NAME = "arzyab", VERSION = 1, STORE = "queue";
  var opening = null;

  function open() {
    if (opening) return opening;
    opening = new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, VERSION);
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, { keyPath: "key" });
        store.createIndex("evaluation", "evaluation", { unique: false });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    return opening;
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  window.ArzyabStore = {
    put: function (record) { return run("readwrite", function (s) { s.put(record); }); },
    get: function (key) { return run("readonly", function (s) { return s.get(key); }); },
    remove: function (key) { return run("readwrite", function (s) { s.delete(key); }); },
    byEvaluation: function (id) {
      return run("readonly", function (s) { return s.index("evaluation").getAll(String(id)); });
    },
    all: function () { return run("readonly", function (s) { return s.getAll(); }); },
    persist: function () {
      if (navigator.storage && navigator.storage.persist) {
        navigator.storage.persist().catch(function () { /* the browser may say no */ });
      }
    }
  };
})();
