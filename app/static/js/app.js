/*
 * On every page: register the service worker (offline use of assigned evaluations), ask it to
 * keep a copy of every evaluation listed on the page, and let it forget them at logout.
 */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;

  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
    return navigator.serviceWorker.ready;
  }).then(function (registration) {
    var links = document.querySelectorAll("a[data-offline]");
    var urls = Array.prototype.map.call(links, function (a) { return a.getAttribute("href"); });
    if (urls.length && registration.active) {
      registration.active.postMessage({ type: "cache-pages", urls: urls.concat(["/evaluations/"]) });
    }
  }).catch(function () { /* no offline support in this browser: everything else works */ });

  document.addEventListener("submit", function (event) {
    if (event.target.matches("form[data-logout]") && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "forget-pages" });
    }
  });
})();
