/*
 * The live score, computed in the page from the same rules as the server (app/scoring), so
 * that the score stays live with no connection. No DOM: the page and node's test runner load
 * the same file (tests/js/scoring.test.js checks it against tests/data/live_score_vectors.json,
 * which tests/test_live_score.py checks against the Python engine: the two cannot drift).
 *
 *   ArzyabScoring.readNumber(text)                -> number, or throws {reason}
 *   ArzyabScoring.readChange(spec, change, profile) -> an answer, or throws {reason}
 *   ArzyabScoring.score(rules, answers)           -> the summary the server's save returns
 *
 * `rules` is app.scoring.client.page_rules(); each criterion's part is its type's
 * client_spec(). An answer is {na: true} or {value | inputs | items | samples}.
 */
(function (root, factory) {
  "use strict";
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.ArzyabScoring = factory();
}(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var EPSILON = 1e-9;
  var MAX_DIGITS = 15;

  function NumberError(reason) { this.reason = reason; }

  /* --- reading a typed number: app.i18n.read_number, step by step ---------------------- */

  var PERSIAN = "۰۱۲۳۴۵۶۷۸۹", ARABIC = "٠١٢٣٤٥٦٧٨٩";
  /* what app.i18n.normalise_text removes, and what Python's str.strip() strips */
  var INVISIBLE = /[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff\u200b\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;
  var SPACE = "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
  var STRIP = new RegExp("^" + SPACE + "+|" + SPACE + "+$", "g");
  var DIGIT_SPACE_DIGIT = new RegExp("[0-9]" + SPACE + "+[0-9]");
  var PLAIN = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,4})?$/;
  var GROUPED = /^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$/;

  function strip(text) { return text.replace(STRIP, ""); }

  function normaliseText(text) {
    text = String(text).normalize("NFC")
      .replace(/[يى]/g, "ی").replace(/ك/g, "ک").replace(/ۀ/g, "هٔ")
      .replace(INVISIBLE, "");
    return strip(text.replace(/\r\n/g, "\n"));
  }

  function latinDigits(text) {
    return text.replace(/[۰-۹]/g, function (d) { return String(PERSIAN.indexOf(d)); })
      .replace(/[٠-٩]/g, function (d) { return String(ARABIC.indexOf(d)); });
  }

  /* the decimal exponent of a plain number's text: 15 or more is 10^15 or more */
  function magnitude(cleaned) {
    var match = /^[+-]?([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(cleaned);
    var whole = match[1] || "", fraction = match[2] || "", exponent = parseInt(match[3] || "0", 10);
    var digits = whole + fraction, first = digits.search(/[1-9]/);
    if (first < 0) return -Infinity;
    return whole.length - first - 1 + exponent;
  }

  function readNumber(text) {
    if (typeof text === "boolean") throw new NumberError("not_number");
    if (typeof text === "number") {
      if (text !== text) throw new NumberError("not_number");
      if (!isFinite(text)) throw new NumberError("large");
      return text;
    }
    if (typeof text !== "string") throw new NumberError("not_number");
    var cleaned = latinDigits(normaliseText(text)).replace(/٫/g, ".").replace(/−/g, "-");
    cleaned = strip(strip(cleaned).replace(/[%٪]+$/, ""));
    if (/^[0-9]+\/[0-9]+$/.test(cleaned)) cleaned = cleaned.replace("/", ".");
    cleaned = cleaned.replace(/[٬،'\u066c]/g, ",");
    if (DIGIT_SPACE_DIGIT.test(cleaned)) throw new NumberError("ambiguous");
    cleaned = cleaned.replace(/ /g, "");
    if (cleaned.indexOf(",") >= 0) {
      if (!GROUPED.test(cleaned)) {
        var digits = cleaned.replace(/[^0-9]/g, "");
        throw new NumberError(digits && /^[+-]?[0-9,.]+$/.test(cleaned) ? "ambiguous" : "not_number");
      }
      cleaned = cleaned.replace(/,/g, "");
    }
    if (!PLAIN.test(cleaned)) throw new NumberError("not_number");
    var integer = cleaned.replace(/^[+-]+/, "").split(/[.eE]/)[0].replace(/^0+/, "");
    if (integer.length > MAX_DIGITS) throw new NumberError("large");
    if (magnitude(cleaned) >= MAX_DIGITS) throw new NumberError("large");
    return parseFloat(cleaned);
  }

  /* --- rounding: app.scoring.engine.round_half_up, on the shortest decimal text --------- */

  function roundHalfUp(value, decimals) {
    if (value === null || value === undefined) return null;
    if (decimals === undefined) decimals = 1;
    var text = String(value), negative = text.charAt(0) === "-";
    if (negative) text = text.slice(1);
    var match = /^([0-9]*)(?:\.([0-9]*))?(?:e([+-]?[0-9]+))?$/.exec(text);
    var digits = (match[1] || "") + (match[2] || "");
    var point = (match[1] || "").length + parseInt(match[3] || "0", 10);  // digits before "."
    while (point < 0) { digits = "0" + digits; point += 1; }
    while (digits.length < point) digits += "0";
    var keep = point + decimals;
    if (keep < 0) return 0;
    while (digits.length <= keep) digits += "0";
    var kept = digits.slice(0, keep).split("").map(Number);
    if (Number(digits.charAt(keep)) >= 5) {
      var i = kept.length - 1;
      while (i >= 0 && kept[i] === 9) { kept[i] = 0; i -= 1; }
      if (i < 0) { kept.unshift(1); point += 1; } else kept[i] += 1;
    }
    var joined = kept.join("");
    var whole = joined.slice(0, joined.length - decimals) || "0";
    var result = parseFloat(whole + (decimals ? "." + joined.slice(joined.length - decimals) : ""));
    return negative && result !== 0 ? -result : result;
  }

  /* --- reading one criterion's change, as app.rubric.coerce_answer ---------------------- */

  function isEmpty(raw) {
    return raw === null || raw === undefined || (typeof raw === "string" && !normaliseText(raw));
  }

  function refuse(reason) { throw new NumberError(reason); }

  /* app.rubric.nodes.yes_no */
  var TRUE_WORDS = ["true", "yes", "y", "on", "1", "بله", "آری", "اری", "اره", "آره", "اوهوم"];
  var FALSE_WORDS = ["false", "no", "n", "off", "0", "خیر", "نه", "نخیر"];

  /* one typed value (an answer's, or one site's) as its type reads it; null when empty */
  function readValue(spec, raw) {
    if (isEmpty(raw)) return null;
    if (typeof raw === "object") refuse("shape");
    if (spec.boolean) {
      if (raw === true || raw === false) return raw;
      if (raw === 1 || raw === 0) return raw === 1;
      var word = latinDigits(normaliseText(String(raw))).toLowerCase();
      if (TRUE_WORDS.indexOf(word) >= 0) return true;
      if (FALSE_WORDS.indexOf(word) >= 0) return false;
      refuse("choice");
    }
    if (spec.levels) {
      var level = null;
      if (typeof raw !== "boolean") {
        try { level = readNumber(raw); } catch (e) { level = null; }
      }
      if (level !== null) {
        if (spec.levels.indexOf(level) < 0) refuse("choice");
        return level;
      }
      var labels = spec.labels || {}, label = normaliseText(String(raw));
      for (var key in labels) {
        if (labels[key] === label) return Number(key);
      }
      refuse("choice");
    }
    var widget = spec.samples ? spec.row : spec.widget;
    if (widget !== "number" || typeof raw === "boolean") refuse("shape");
    var number = readNumber(raw), read = spec.read || {};
    if (Math.abs(number) > read.largest) refuse("large");
    if (read.percent && !(number >= 0 && number <= 100)) refuse("bounds");
    if (read.min !== null && read.min !== undefined && number < read.min) refuse("bounds");
    if (read.max !== null && read.max !== undefined && number > read.max) refuse("bounds");
    return number;
  }

  /* A change as the form sends it ({value | inputs | samples, na, na_reason}) as an answer
     (null: nothing answered); throws {reason} where the server would refuse it. */
  function readChange(spec, change, limits) {
    var valueMax = (limits && limits.value) || 50;
    if (change.na) {
      if (!spec.allow_na || !normaliseText(change.na_reason || "")) refuse("na");
      return { na: true };
    }
    if (typeof change.value === "string" && change.value.length > valueMax) refuse("large");
    if (spec.widget === "inputs") {
      var given = change.inputs, inputs = {};
      if (!isEmpty(change.value)) refuse("shape");
      if (given === null || given === undefined) return null;
      if (typeof given !== "object" || Array.isArray(given)) refuse("shape");
      Object.keys(given).forEach(function (name) {
        if (spec.inputs.indexOf(name) < 0) refuse("shape");
        if (isEmpty(given[name])) return;
        if (typeof given[name] === "boolean") refuse("shape");
        var number = readNumber(given[name]);
        if (Math.abs(number) > spec.read.largest) refuse("large");
        if (number < 0) refuse("bounds");
        inputs[name] = number;
      });
      return { inputs: inputs };
    }
    if (spec.widget === "ticks") {
      var value = change.value;
      if (value === null || value === undefined || (typeof value === "string" && isEmpty(value))) return null;
      if (!Array.isArray(value)) refuse("shape");
      var keys = spec.items.map(function (pair) { return pair[0]; }), ticked = [];
      value.forEach(function (entry) {
        var key = (typeof entry === "string" || typeof entry === "number") ? normaliseText(String(entry)) : null;
        if (keys.indexOf(key) < 0) refuse("shape");
        ticked.push(key);
      });
      return { items: keys.filter(function (key) { return ticked.indexOf(key) >= 0; }) };
    }
    if (spec.samples) {
      var rows = change.samples;
      if (!isEmpty(change.value)) refuse("shape");
      if (rows === null || rows === undefined) return null;
      if (!Array.isArray(rows) || rows.length > spec.samples.max) refuse("shape");
      return {
        samples: rows.map(function (row) {
          if (!row || typeof row !== "object") refuse("site");
          var site = row.site === null || row.site === undefined ? "" : normaliseText(String(row.site));
          if (!site || site.length > spec.samples.site_max) refuse("site");
          var v = readValue(spec, row.value);
          if (v === null) refuse("site");
          return { site: site, value: v };
        })
      };
    }
    var single = readValue(spec, change.value);
    return single === null ? null : { value: single };
  }

  /* --- fractions: each type's value_fraction ---------------------------------------------- */

  function clamp(x) { return Math.max(0, Math.min(1, x)); }

  function evaluate(node, values) {
    var kind = node[0];
    if (kind === "num") return node[1];
    if (kind === "name") {
      var v = values[node[1]];
      if (v === null || v === undefined) throw new NumberError("missing");
      return v;
    }
    if (kind === "neg") return -evaluate(node[1], values);
    if (kind === "call") {
      var args = node[2].map(function (arg) { return evaluate(arg, values); });
      return node[1] === "min" ? Math.min.apply(null, args) : Math.max.apply(null, args);
    }
    var a = evaluate(node[1], values), b = evaluate(node[2], values);
    if (kind === "+") return a + b;
    if (kind === "-") return a - b;
    if (kind === "*") return a * b;
    if (b === 0) throw new NumberError("division");
    return a / b;
  }

  function computedValue(formula, profile, inputs) {
    var values = Object.assign({}, profile, inputs);
    try {
      var result = evaluate(formula, values);
      return isFinite(result) ? result : null;
    } catch (e) { return null; }
  }

  function measured(rule, value) {
    if (rule.brackets) {
      var fitting;
      if (rule.kind === "max") {
        fitting = rule.brackets.filter(function (b) { return b[0] >= value; });
        if (!fitting.length) return 0;
        return fitting.reduce(function (a, b) { return b[0] < a[0] ? b : a; })[1];
      }
      fitting = rule.brackets.filter(function (b) { return b[0] <= value; });
      if (!fitting.length) return 0;
      return fitting.reduce(function (a, b) { return b[0] > a[0] ? b : a; })[1];
    }
    var target = rule.target, floor = rule.floor;
    if (rule.better === "lower") {
      if (floor !== null && floor !== undefined) return clamp((floor - value) / (floor - target));
      if (value <= target) return 1;
      return clamp(target / value);
    }
    if (floor !== null && floor !== undefined) return clamp((value - floor) / (target - floor));
    if (target <= 0) return value >= target ? 1 : 0;
    return clamp(value / target);
  }

  function fraction(spec, value, which) {
    if (spec.boolean) return value ? 1 : 0;
    if (spec.levels) {
      var span = spec.highest - spec.lowest;
      return span ? Math.max(0, Math.min(1, (value - spec.lowest) / span)) : 1;
    }
    if (spec.widget === "ticks") return Math.min(points(spec, value) / spec.full_at, 1);
    return measured(spec.score[which], value);
  }

  function points(spec, items) {
    var total = 0;
    spec.items.forEach(function (pair) { if (items.indexOf(pair[0]) >= 0) total += pair[1]; });
    return total;
  }

  function aggregate(how, fractions) {
    if (how === "min") return Math.min.apply(null, fractions);
    var sum = 0;
    if (how === "share") {
      fractions.forEach(function (f) { if (f >= 1 - EPSILON) sum += 1; });
      return sum / fractions.length;
    }
    fractions.forEach(function (f) { sum += f; });
    return sum / fractions.length;
  }

  /* {fraction, raw, value} of an answer, or null when it does not answer the criterion */
  function measure(spec, answer, profile) {
    if (spec.samples) {
      var samples = answer.samples;
      if (!samples || samples.length < spec.samples.min || !samples.length) return null;
      var adjusted = samples.map(function (s) { return fraction(spec, s.value, "adjusted"); });
      var raw = samples.map(function (s) { return fraction(spec, s.value, "raw"); });
      return { value: null, fraction: aggregate(spec.samples.aggregate, adjusted),
               raw: aggregate(spec.samples.aggregate, raw) };
    }
    var value;
    if (spec.widget === "inputs") {
      if (!answer.inputs) return null;
      value = computedValue(spec.formula, profile, answer.inputs);
    } else if (spec.widget === "ticks") {
      value = answer.items === undefined ? null : answer.items;
    } else {
      value = answer.value === undefined ? null : answer.value;
    }
    if (value === null) return null;
    return { value: value, fraction: fraction(spec, value, "adjusted"),
             raw: fraction(spec, value, "raw") };
  }

  /* --- the score card: app.scoring.engine.score, and the summary the save returns --------- */

  function bandFor(rules, score) {
    if (score === null || score === undefined) return null;
    for (var i = 0; i < rules.bands.length; i += 1) {
      if (rules.bands[i][0] <= score) return rules.bands[i][1];
    }
    return null;
  }

  function judge(gate, units, criteria) {
    var adjusted = [], raw = [];
    if (gate.units) {
      gate.units.forEach(function (id) {
        var u = units[id];
        if (!u || !u.applicable) return;
        adjusted.push(u.evaluated && u.exact >= gate.min - EPSILON);
        raw.push(u.evaluated && u.exactRaw >= gate.min - EPSILON);
      });
    } else {
      gate.criteria.forEach(function (id) {
        var c = criteria[id];
        if (!c || c.na) return;
        adjusted.push(c.fraction !== null && c.fraction >= gate.min - EPSILON);
        raw.push(c.raw !== null && c.raw >= gate.min - EPSILON);
      });
    }
    function met(reached) {
      var count = reached.filter(Boolean).length;
      return gate.count === null || gate.count === undefined ? count === reached.length : count >= gate.count;
    }
    return { id: gate.id, title: gate.title, met: met(adjusted), raw_met: met(raw) };
  }

  function apply(gate, value) {
    if (value === null) return null;
    if (gate.cap !== null && gate.cap !== undefined) return Math.min(value, gate.cap);
    return value * gate.factor;
  }

  function score(rules, answers) {
    var profile = rules.profile || {}, missing = [], unitFigures = {}, criteria = {};
    var summaryUnits = {}, evaluated = [], noteRequired = [], values = {};
    var answeredAll = 0, applicableAll = 0;
    rules.units.forEach(function (unit) {
      if (!unit.applies) {
        unitFigures[unit.id] = { applicable: false, evaluated: false };
        summaryUnits[unit.id] = { score: null, raw: null, band: null, evaluated: false,
                                  answered: 0, applicable: 0 };
        return;
      }
      var applicableWeight = 0, naWeight = 0, answeredWeight = 0, earned = 0, rawEarned = 0;
      var answeredCount = 0;
      unit.criteria.forEach(function (id) {
        var spec = rules.criteria[id], weight = spec.weight, answer = answers[id];
        applicableWeight += weight;
        applicableAll += 1;
        if (answer && answer.na) {
          naWeight += weight;
          answeredCount += 1;
          criteria[id] = { na: true, fraction: null, raw: null };
          return;
        }
        var m = answer ? measure(spec, answer, profile) : null;
        if (m === null) {
          missing.push(id);
          criteria[id] = { na: false, fraction: null, raw: null };
          return;
        }
        answeredCount += 1;
        answeredWeight += weight;
        earned += weight * m.fraction;
        rawEarned += weight * m.raw;
        criteria[id] = { na: false, fraction: m.fraction, raw: m.raw };
        if (spec.note_below !== undefined && m.fraction < spec.note_below - EPSILON) noteRequired.push(id);
        if (typeof m.value === "number") values[id] = m.value;
      });
      answeredAll += answeredCount;
      var naShare = naWeight / applicableWeight, figures;
      if (naShare > unit.na_limit + EPSILON || answeredWeight === 0) {
        figures = { applicable: true, evaluated: false };
      } else {
        var exact = 100 * earned / answeredWeight, exactRaw = 100 * rawEarned / answeredWeight;
        figures = { applicable: true, evaluated: true, weight: unit.weight, exact: exact,
                    exactRaw: exactRaw, score: roundHalfUp(exact), raw: roundHalfUp(exactRaw) };
        evaluated.push(figures);
      }
      unitFigures[unit.id] = figures;
      summaryUnits[unit.id] = {
        score: figures.evaluated ? figures.score : null, raw: figures.evaluated ? figures.raw : null,
        band: figures.evaluated ? bandFor(rules, figures.score) : null, evaluated: figures.evaluated,
        answered: answeredCount, applicable: unit.criteria.length
      };
    });
    var totalWeight = 0, overall = null, overallRaw = null;
    evaluated.forEach(function (u) { totalWeight += u.weight; });
    if (totalWeight > 0) {
      var sum = 0, sumRaw = 0;
      evaluated.forEach(function (u) { sum += u.weight * u.exact; });
      evaluated.forEach(function (u) { sumRaw += u.weight * u.exactRaw; });
      overall = sum / totalWeight;
      overallRaw = sumRaw / totalWeight;
    }
    var gates = rules.gates.map(function (gate) { return judge(gate, unitFigures, criteria); });
    var ungated = overall, rawUngated = overallRaw;
    rules.gates.forEach(function (gate, i) {
      if (!gates[i].met) overall = apply(gate, overall);
      if (!gates[i].raw_met) overallRaw = apply(gate, overallRaw);
    });
    overall = roundHalfUp(overall);
    overallRaw = roundHalfUp(overallRaw);
    return {
      score: overall, raw: overallRaw, band: bandFor(rules, overall), complete: !missing.length,
      answered: answeredAll, applicable: applicableAll, units: summaryUnits,
      note_required: noteRequired, ungated: roundHalfUp(ungated), raw_ungated: roundHalfUp(rawUngated),
      gates: gates, values: values
    };
  }

  /* the applicable criteria not answered yet (neither a value that scores nor N/A), in the
     rubric's order */
  function missing(rules, answers) {
    var ids = [];
    rules.units.forEach(function (unit) {
      if (!unit.applies) return;
      unit.criteria.forEach(function (id) {
        var answer = answers[id];
        if (answer && answer.na) return;
        if (!answer || measure(rules.criteria[id], answer, rules.profile || {}) === null) ids.push(id);
      });
    });
    return ids;
  }

  /* a stored answer ({value, data, na}, as the server keeps it) as an answer to score */
  function fromStored(spec, stored) {
    if (!stored) return null;
    if (stored.na) return { na: true };
    var data = stored.data || {};
    if (data.inputs) return { inputs: data.inputs };
    if (data.items) return { items: data.items };
    if (data.samples) {
      return { samples: data.samples.map(function (row) {
        return { site: row.site, value: spec.boolean ? !!row.value : row.value };
      }) };
    }
    if (stored.value === null || stored.value === undefined) return null;
    return { value: spec.boolean ? !!stored.value : stored.value };
  }

  return { readNumber: readNumber, readChange: readChange, score: score, missing: missing,
           fromStored: fromStored,
           roundHalfUp: roundHalfUp, normaliseText: normaliseText, computedValue: computedValue,
           NumberError: NumberError };
}));
