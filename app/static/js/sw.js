/*
 * Arzyab's service worker: keeps the app shell (styles, scripts, font) and the pages of the
 * inspector's assignments, so an assignment opened once can be opened and filled with no
 * connection, even after the browser was closed. It never queues or replays writes: the page
 * owns its queue (store.js, evaluation.js, served as part of /static/js/form.js), which works
 * the same in browsers without Background Sync (Safari on iPad).
 *
 * Pages: network first, the cached copy when the network fails. Static files: cache first.
 * Writes (POST) always go to the network.
 */
"use strict";

var VERSION = "arzyab-v4";
var SHELL = "shell-" + VERSION;
var PAGES = "pages-" + VERSION;
// what the pages load: the form's scripts are one file (app/assets.py, BUNDLES)
var SHELL_FILES = [
  "/static/css/app.css", "/static/js/app.js", "/static/js/form.js",
  "/static/icon.svg", "/assets/fonts/Vazirmatn[wght].woff2"
];
var NETWORK_TIMEOUT_MS = 4000;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(SHELL_FILES);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name !== SHELL && name !== PAGES;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "cache-pages") {
    // the page lists the inspector's assignments: keep a copy of each for offline use
    event.waitUntil(caches.open(PAGES).then(function (cache) {
      return Promise.all(data.urls.map(function (url) {
        return fetch(url, { credentials: "same-origin" }).then(function (response) {
          if (response.ok && !response.redirected) return cache.put(url, response);
        }).catch(function () { /* offline: keep what we have */ });
      }));
    }));
  } else if (data.type === "forget-pages") {
    event.waitUntil(caches.delete(PAGES));  // logging out: no pages left for the next user
  }
});

function isPage(request, url) {
  return request.mode === "navigate" && url.pathname.indexOf("/evaluations/") === 0;
}

function isShellFile(url) {
  return url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/assets/") === 0;
}

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
                 function (error) { clearTimeout(timer); reject(error); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (isPage(request, url)) {
    var key = url.pathname;  // one copy per page, whatever the query string
    event.respondWith(withTimeout(fetch(request), NETWORK_TIMEOUT_MS).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(PAGES).then(function (cache) { cache.put(key, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(key, { cacheName: PAGES }).then(function (cached) {
        return cached || fetch(request);
      });
    }));
    return;
  }

  if (isShellFile(url)) {
    event.respondWith(caches.match(request).then(function (cached) {
      var network = fetch(request).then(function (response) {
        if (response.ok && url.pathname.indexOf("/photos/") < 0) {
          var copy = response.clone();
          caches.open(SHELL).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
      return cached || network;
    }));
  }
});
