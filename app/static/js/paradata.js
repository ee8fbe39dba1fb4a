/*
 * The form's paradata: what the inspector's device saw of the visit, recorded quietly and sent
 * with every batch of answers (the queue asks take() when a batch goes into the device's
 * store, so a batch kept offline carries the device times of when it was made). No DOM: the
 * form layer (evaluation.js) tells it what happened; tests/js/paradata.test.js drives it with
 * a fake clock.
 *
 *   var paradata = ArzyabParadata.create({units: {criterion: unit}, idleMs, now});
 *   paradata.changed(criterion)   an answer changed (first/last time, how often: edits more
 *                                 than two seconds apart count as two)
 *   paradata.active(unit)         the inspector did something in a unit (active time)
 *   paradata.located(moment, position | null, status)  "start" | "submit"; a Geolocation
 *                                 position, or null with "denied" / "unavailable" / "off"
 *   paradata.take()               what was seen since the last take(), or null if nothing
 *
 * Active time: the time between two actions in the same stretch of work, counted to the unit
 * of the earlier one; a pause longer than idleMs counts nothing (the tablet lay on a desk).
 */
(function (root, factory) {
  "use strict";
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.ArzyabParadata = factory();
}(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  function create(options) {
    var units = options.units || {};
    var idleMs = options.idleMs || 120000;
    var now = options.now || function () { return Date.now(); };
    var start = null, last = null, lastUnit = null;
    var criteria = {}, active = {}, locations = [], status = null, dirty = false;

    function touch(unit) {
      var t = now();
      if (start === null) start = t;
      if (last !== null && lastUnit !== null && t - last <= idleMs) {
        active[lastUnit] = (active[lastUnit] || 0) + (t - last);
      }
      last = t;
      if (unit) lastUnit = unit;
      dirty = true;
      return t;
    }

    function changed(criterion) {
      var t = touch(units[criterion] || null);
      var seen = criteria[criterion] || (criteria[criterion] = { first: t, last: t, changes: 0 });
      // a burst of typing is one change: edits more than two seconds apart count separately
      if (!seen.changes || t - seen.last > 2000) seen.changes += 1;
      seen.last = t;
    }

    function located(moment, position, why) {
      if (position && position.coords) {
        locations.push({ moment: moment, lat: position.coords.latitude,
                         lon: position.coords.longitude,
                         accuracy: Math.round(position.coords.accuracy || 0),
                         at: position.timestamp || now() });
        status = "granted";
      } else {
        status = why || "unavailable";
      }
      dirty = true;
    }

    function take() {
      if (!dirty) return null;
      var seconds = {};
      Object.keys(active).forEach(function (unit) {
        var s = Math.round(active[unit] / 1000);
        if (s > 0) seconds[unit] = s;
      });
      var report = { device_time: now(), visit: { start: start, end: last },
                     criteria: criteria, units: seconds, locations: locations };
      if (status) report.location_status = status;
      // what was counted is sent once; the visit's start stays (it is the same visit)
      criteria = {}; locations = []; status = null; dirty = false;
      Object.keys(active).forEach(function (unit) {
        active[unit] -= (seconds[unit] || 0) * 1000;
      });
      return report;
    }

    return { changed: changed, active: touch, located: located, take: take };
  }

  return { create: create };
}));
