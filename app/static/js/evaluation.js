/*
 * The inspector's evaluation form: the thin layer between the page and the queue.
 *
 * It reads and writes the cards (each card says how it asks: data-widget), hands every change
 * to the queue (sync.js: DOM-free, kept on the device until the server confirms it), keeps
 * the live score with the page's copy of the scoring rules (scoring.js), and says honestly
 * what happened: saved, saving, offline but safe on this device, logged out, and which
 * answers the server did not accept (each marked on its card with the value typed and the
 * reason, also after a reload, until it is corrected).
 *
 * Everything it needs from the server comes in one JSON block (#eval-config): URLs, limits,
 * messages, the stored answers and the scoring rules. Without JavaScript the form still
 * works: it posts as a whole to the same page.
 */
(function () {
  "use strict";

  var form = document.getElementById("eval-form");
  var configBox = document.getElementById("eval-config");
  if (!form || !configBox || !window.ArzyabStore || !window.ArzyabSync || !window.ArzyabScoring) {
    return;
  }
  var Scoring = window.ArzyabScoring;
  var config = JSON.parse(configBox.textContent);
  var msg = config.messages, limits = config.limits, rules = config.rules;
  var fa = config.lang === "fa";
  var evaluationId = String(config.evaluation);
  var bar = document.getElementById("save-state");
  var queueBox = document.getElementById("queue");
  var cards = {};
  form.querySelectorAll("article[data-criterion]").forEach(function (card) {
    cards[card.dataset.criterion] = card;
  });
  var order = Object.keys(rules.criteria);

  /* --- words and numbers in the reader's digits ------------------------------------------ */

  function digits(text) {
    text = String(text);
    if (!fa) return text;
    return text.replace(/(\d)\.(?=\d)/g, "$1٫").replace(/\d/g, function (d) {
      return "۰۱۲۳۴۵۶۷۸۹"[d];
    });
  }

  function grouped(number) {
    var text = String(number).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return fa ? digits(text).replace(/,/g, "٬") : text;
  }

  function scoreText(value) {
    if (value === null || value === undefined) return "—";
    return digits(Scoring.roundHalfUp(value, 1).toFixed(1));
  }

  function quantity(value) {
    if (value === null || value === undefined || !isFinite(value)) return "—";
    var text = String(Scoring.roundHalfUp(value, 2));
    return fa ? digits(text) : text;
  }

  function say(template, params) {
    return template.replace(/%\((\w+)\)s/g, function (_all, name) {
      var value = params[name];
      return typeof value === "number" ? grouped(value) : String(value);
    });
  }

  /* --- keys -------------------------------------------------------------------------------- */

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function deviceKey() {
    try {
      var key = localStorage.getItem("arzyab:device");
      if (!key) { key = newKey(); localStorage.setItem("arzyab:device", key); }
      return key;
    } catch (e) { return newKey(); }
  }

  /* --- one card's fields, both ways -------------------------------------------------------- */

  function specOf(card) { return rules.criteria[card.dataset.criterion] || {}; }
  function cardOf(element) { return element.closest("article[data-criterion]"); }
  function field(card, suffix) { return form.elements[card.dataset.key + suffix]; }

  function readCard(card) {
    var key = card.dataset.key, widget = card.dataset.widget, spec = specOf(card), change = {};
    if (widget === "choice") {
      var checked = card.querySelector("input[name='" + key + "']:checked");
      var raw = checked ? checked.value : null;
      change.value = raw === null ? null : (spec.boolean ? raw === "yes" : raw);
    } else if (widget === "inputs") {
      var inputs = {}, any = false;
      card.querySelectorAll("[data-input]").forEach(function (input) {
        if (input.value.trim() !== "") { inputs[input.dataset.input] = input.value; any = true; }
      });
      change.inputs = any ? inputs : null;
    } else if (widget === "ticks") {
      var ticked = [];
      card.querySelectorAll("input[name='" + key + "_items']:checked").forEach(function (box) {
        ticked.push(box.value);
      });
      var none = field(card, "_answered");
      change.value = ticked.length || (none && none.checked) ? ticked : null;
    } else if (widget === "samples") {
      var rows = [];
      card.querySelectorAll("[data-row]").forEach(function (row) {
        var site = row.querySelector("[data-part=site]").value.trim();
        var value = row.querySelector("[data-part=value]").value.trim();
        if (site || value) {
          rows.push({ site: site, value: value === "" ? null
                      : (spec.boolean ? value === "yes" : value) });
        }
      });
      change.samples = rows.length ? rows : null;
    } else {
      var input = field(card, "");
      change.value = input.value.trim() === "" ? null : input.value;
    }
    var na = field(card, "_na");
    if (na) {
      change.na = na.checked;
      change.na_reason = field(card, "_na_reason").value;
    }
    change.note = field(card, "_note").value;
    return change;
  }

  function partsOf(answer) {
    var data = answer.data || {};
    return {
      value: answer.value,
      inputs: answer.inputs || data.inputs || null,
      items: Array.isArray(answer.value) ? answer.value : (answer.items || data.items || null),
      samples: answer.samples || data.samples || null
    };
  }

  function choiceKey(spec, value) {
    if (spec.boolean) return (value === true || value === 1 || value === "yes") ? "yes" : "no";
    return String(Number(value));
  }

  function writeCard(card, answer) {
    var key = card.dataset.key, widget = card.dataset.widget, spec = specOf(card);
    var parts = partsOf(answer), value = parts.value;
    var empty = value === null || value === undefined || value === "";
    if (widget === "choice") {
      var wanted = empty ? null : choiceKey(spec, value);
      card.querySelectorAll("input[name='" + key + "']").forEach(function (radio) {
        radio.checked = wanted !== null && radio.value === wanted;
      });
    } else if (widget === "inputs") {
      var given = parts.inputs || {};
      card.querySelectorAll("[data-input]").forEach(function (input) {
        var v = given[input.dataset.input];
        input.value = v === undefined || v === null ? "" : String(v);
      });
    } else if (widget === "ticks") {
      var items = parts.items || [];
      card.querySelectorAll("input[name='" + key + "_items']").forEach(function (box) {
        box.checked = items.indexOf(box.value) >= 0;
      });
      var none = field(card, "_answered");
      if (none) none.checked = parts.items !== null && !items.length;
    } else if (widget === "samples") {
      var rows = parts.samples || [];
      var body = card.querySelector(".sample-rows tbody");
      while (body.querySelectorAll("[data-row]").length < rows.length) addRow(card);
      body.querySelectorAll("[data-row]").forEach(function (row, index) {
        var sample = rows[index] || { site: "", value: null };
        row.querySelector("[data-part=site]").value = sample.site || "";
        var cell = row.querySelector("[data-part=value]"), v = sample.value;
        cell.value = v === null || v === undefined ? "" : cell.tagName === "SELECT"
          ? choiceKey(spec, v) : String(v);
      });
    } else {
      field(card, "").value = empty ? "" : String(value);
    }
    if (field(card, "_na")) {
      field(card, "_na").checked = !!answer.na;
      field(card, "_na_reason").value = answer.na_reason || "";
      showNa(card);
    }
    if ("note" in answer) {
      field(card, "_note").value = answer.note || "";
      count(field(card, "_note"));
    }
  }

  /* N/A: the value cannot be given meanwhile; the reason sits with the tick */
  function showNa(card) {
    var box = field(card, "_na");
    if (!box) return;
    card.classList.toggle("is-na", box.checked);
    card.querySelectorAll("[data-value-part] input, [data-value-part] select, [data-value-part] button")
      .forEach(function (input) { input.disabled = box.checked; });
  }

  /* --- site rows ---------------------------------------------------------------------------- */

  function addRow(card) {
    var body = card.querySelector(".sample-rows tbody");
    var rows = body.querySelectorAll("[data-row]");
    var copy = rows[rows.length - 1].cloneNode(true);
    copy.querySelectorAll("input, select").forEach(function (input) { input.value = ""; });
    body.appendChild(copy);
    renumber(card);
    return copy;
  }

  function removeRow(card, row) {
    var body = card.querySelector(".sample-rows tbody");
    if (body.querySelectorAll("[data-row]").length > 1) row.remove();
    else row.querySelectorAll("input, select").forEach(function (input) { input.value = ""; });
    renumber(card);
  }

  function renumber(card) {
    var prefix = card.querySelector("[data-samples]").dataset.samples;
    card.querySelectorAll("[data-row]").forEach(function (row, index) {
      row.querySelectorAll("[data-part]").forEach(function (input) {
        input.name = prefix + "-" + index + "-" + input.dataset.part;
      });
    });
  }

  /* --- the note's counter: the limit said, never a silent cut ------------------------------ */

  function count(textarea) {
    var box = textarea && textarea.parentNode.parentNode.querySelector("[data-counter]");
    if (!box) return;
    var used = textarea.value.length, limit = limits.note;
    box.textContent = used > limit
      ? say(msg.noteTooLong, { n: used - limit, limit: limit })
      : say(msg.noteCount, { n: used, limit: limit });
    box.classList.toggle("over", used > limit);
  }

  /* --- the live score: stored answers, then what this page changed ------------------------ */

  var confirmed = {}, local = {};
  Object.keys(config.answers || {}).forEach(function (id) {
    var spec = rules.criteria[id];
    if (spec) confirmed[id] = Scoring.fromStored(spec, config.answers[id]);
  });

  function reading(id, change) {
    try { return { ok: true, answer: Scoring.readChange(rules.criteria[id], change, limits) }; }
    catch (e) { return { ok: false }; }
  }

  function noteLocal(id, change) {
    var read = reading(id, change);
    if (read.ok) local[id] = { change: change, answer: read.answer };
    else delete local[id];  // the server will say why; meanwhile the stored answer counts
  }

  function liveAnswers() {
    var answers = {};
    order.forEach(function (id) {
      var answer = local[id] ? local[id].answer : confirmed[id];
      if (answer) answers[id] = answer;
    });
    return answers;
  }

  var lastSummary = null;

  function recompute() {
    var answers = liveAnswers();
    lastSummary = Scoring.score(rules, answers);
    lastSummary.missing = Scoring.missing(rules, answers);
    showScores(lastSummary);
  }

  function setText(selector, text) {
    document.querySelectorAll(selector).forEach(function (el) { el.textContent = text; });
  }

  function showScores(summary) {
    setText("[data-live=score]", scoreText(summary.score));
    setText("[data-live=raw]", scoreText(summary.raw));
    setText("[data-live=ungated]", scoreText(summary.ungated));
    setText("[data-live=band]", summary.band || "");
    (summary.gates || []).forEach(function (gate) {
      document.querySelectorAll("[data-gate='" + cssEscape(gate.id) + "']").forEach(function (el) {
        el.dataset.met = gate.met ? "yes" : "no";
      });
    });
    Object.keys(summary.units).forEach(function (id) {
      var unit = summary.units[id];
      setText("[data-unit-score='" + cssEscape(id) + "']", unit.evaluated ? scoreText(unit.score) : "—");
      setText("[data-unit-raw='" + cssEscape(id) + "']", unit.evaluated ? scoreText(unit.raw) : "—");
      setText("[data-progress='" + cssEscape(id) + "']",
              say(msg.progress, { n: unit.answered, total: unit.applicable }));
    });
    setText("[data-answered]", say(msg.answered, { n: summary.answered, total: summary.applicable }));
    var next = document.querySelector("[data-next-unanswered]");
    if (next) next.hidden = !summary.missing || !summary.missing.length;
    Object.keys(cards).forEach(function (id) {
      var computed = cards[id].querySelector("[data-computed]");
      if (computed) {
        var value = summary.values[id];
        computed.textContent = value === undefined ? "—" : quantity(value);
      }
    });
  }

  /* the next criterion not answered yet, after the one on screen */
  function nextUnanswered() {
    var missing = (lastSummary && lastSummary.missing) || [];
    if (!missing.length) return;
    var top = window.innerHeight * 0.25, target = null;
    for (var i = 0; i < missing.length; i += 1) {
      var card = cards[missing[i]];
      if (card && card.getBoundingClientRect().top > top) { target = card; break; }
    }
    jump(target || cards[missing[0]]);
  }

  function jump(card) {
    if (!card) return;
    card.scrollIntoView({ block: "center" });
    var first = card.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
    if (first) first.focus({ preventScroll: true });
  }

  /* --- the queue and what it says ---------------------------------------------------------- */

  /* --- paradata: what the device saw of the visit (paradata.js), sent with each batch ----- */

  var seenConfig = config.paradata || { units: {}, location: false };
  var paradata = window.ArzyabParadata
    ? window.ArzyabParadata.create({ units: seenConfig.units, idleMs: seenConfig.idleMs })
    : null;
  var askedPlace = {};

  /* the device's place at `moment`, when the province records it; resolves either way */
  function locate(moment) {
    if (!paradata || !seenConfig.location || askedPlace[moment]) return Promise.resolve();
    askedPlace[moment] = true;
    if (!navigator.geolocation) { paradata.located(moment, null, "unavailable"); return Promise.resolve(); }
    return new Promise(function (resolve) {
      navigator.geolocation.getCurrentPosition(function (position) {
        paradata.located(moment, position);
        resolve();
      }, function (error) {
        paradata.located(moment, null, error && error.code === 1 ? "denied" : "unavailable");
        resolve();
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  var device = deviceKey();
  var draftKey = "arzyab:drafts:" + evaluationId;
  var queue = window.ArzyabSync.create({
    evaluation: evaluationId, version: config.version, device: device,
    urls: config.urls, store: window.ArzyabStore, newKey: newKey,
    debounceMs: limits.debounceMs, retryMs: limits.retryMs,
    drafts: {
      read: function () { return JSON.parse(localStorage.getItem(draftKey) || "null"); },
      write: function (list) {
        if (list) localStorage.setItem(draftKey, JSON.stringify(list));
        else localStorage.removeItem(draftKey);
      }
    },
    send: post,
    listener: onQueue,
    paradata: paradata
  });
  var conflicts = 0, wantSubmit = null, sentLog = [];

  function post(request) {
    var body, headers = { "Accept": "application/json", "X-Arzyab-Save": "1" };
    if (request.json) {
      body = JSON.stringify(request.json);
      headers["Content-Type"] = "application/json";
    } else {
      body = new FormData();
      (request.form || []).forEach(function (pair) { body.append(pair[0], pair[1]); });
      if (request.file) body.append(request.file.field, request.file.blob, request.file.name);
      if (request.exif) body.append("exif", new Blob([request.exif]), "exif.bin");
    }
    return fetch(request.url, { method: "POST", credentials: "same-origin", body: body,
                                headers: headers, redirect: "error" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { status: response.status, body: data };
        });
      });
  }

  function onQueue(event) {
    if (event.type === "state") renderBar(event);
    else if (event.type === "queue") renderQueue();
    else if (event.type === "saved") saved(event.item, event.body);
    else if (event.type === "refused") refusedShown(event.refusal);
    else if (event.type === "conflict") conflicted(event.criterion, event.conflict);
    else if (event.type === "photo") photoStored(event.item, event.body);
    else if (event.type === "removed") photoRemoved(event.item, event.body);
  }

  function renderBar(event) {
    var state = conflicts && event.state === "saved" ? "conflict" : event.state;
    bar.dataset.state = state;
    var refusals = queue.refusals().filter(function (r) { return r.kind === "refusal"; });
    var photos = queue.refusals().length - refusals.length;
    var button = bar.querySelector("[data-refused]");
    var n = refusals.length + photos;
    bar.dataset.refused = String(n);
    button.hidden = !n;
    button.textContent = n === 1 ? msg.refusedOne : say(msg.refusedMany, { n: n });
    if (state === "saved" && wantSubmit && !n) {
      var submitter = wantSubmit;
      wantSubmit = null;
      form.requestSubmit(submitter);
    }
  }

  function saved(item, body) {
    sentLog.unshift({ item: item, at: new Date() });
    Object.keys(item.changes).forEach(function (id) {
      var read = reading(id, item.changes[id]);
      if (read.ok) confirmed[id] = read.answer;
      if (local[id] && local[id].change === item.changes[id]) delete local[id];
    });
    form.elements.base_version.value = queue.version();
    recompute();
    if (queue.idle() && body.score && !Object.keys(local).length) showScores(
      Object.assign({}, body.score, { missing: lastSummary.missing }));
  }

  function refusedShown(refusal) {
    if (refusal.kind === "refusal") {
      var card = cards[refusal.criterion];
      delete local[refusal.criterion];
      if (card) markRefused(card, refusal.message);
      recompute();
    } else {
      showPhotoRefusal(refusal);
    }
    renderQueue();
  }

  function markRefused(card, message) {
    var box = card.querySelector(".field-error");
    box.textContent = message;
    box.hidden = false;
    card.classList.add("has-problem", "is-refused");
  }

  function clearMark(card) {
    var box = card.querySelector(".field-error");
    if (box) { box.hidden = true; box.textContent = ""; }
    card.classList.remove("has-problem", "is-refused");
    var old = card.querySelector(".conflict");
    if (old) { old.remove(); conflicts = Math.max(0, conflicts - 1); }
  }

  /* a tap on «n answers were not accepted» goes to the next one */
  var refusedAt = -1;
  function nextRefused() {
    var ids = queue.refusals().map(function (r) { return r.criterion; })
      .filter(function (id) { return cards[id]; })
      .sort(function (a, b) { return order.indexOf(a) - order.indexOf(b); });
    if (!ids.length) return;
    refusedAt = (refusedAt + 1) % ids.length;
    jump(cards[ids[refusedAt]]);
  }

  function describeItem(item) {
    if (item.kind === "photo") return msg.photo + " " + item.name + " (" + digits(item.criterion) + ")";
    if (item.kind === "remove") return msg.photoRemoval + " (" + digits(item.criterion) + ")";
    return msg.answersTo + " " + Object.keys(item.changes).map(digits).join(fa ? "، " : ", ");
  }

  function renderQueue() {
    if (!queueBox) return;
    var list = queueBox.querySelector("ul"), items = queue.items();
    list.textContent = "";
    items.forEach(function (item, index) {
      var li = document.createElement("li");
      li.className = index === 0 && bar.dataset.state === "saving" ? "q-sending" : "q-waiting";
      li.textContent = describeItem(item) + " — " + (li.className === "q-sending" ? msg.sending : msg.waiting);
      list.appendChild(li);
    });
    queue.refusals().forEach(function (refusal) {
      var li = document.createElement("li");
      li.className = "q-failed";
      li.textContent = (refusal.kind === "refusal" ? msg.answersTo + " " + digits(refusal.criterion)
        : msg.photo + " " + refusal.name + " (" + digits(refusal.criterion) + ")") +
        " — " + msg.failed + ": " + refusal.message;
      list.appendChild(li);
    });
    sentLog.slice(0, 5).forEach(function (entry) {
      var li = document.createElement("li");
      li.className = "q-sent";
      li.textContent = describeItem(entry.item) + " — " + msg.sent + " " +
        digits(entry.at.toTimeString().slice(0, 5));
      list.appendChild(li);
    });
    queueBox.querySelector("[data-queue-count]").textContent = grouped(items.length);
    queueBox.hidden = !items.length && !sentLog.length && !queue.refusals().length;
  }

  /* --- conflicts ----------------------------------------------------------------------------- */

  function describeAnswer(card, answer) {
    if (answer.na) return answer.na_reason || "—";
    var widget = card.dataset.widget, parts = partsOf(answer), value = parts.value;
    if (widget === "inputs") {
      var given = parts.inputs || {};
      return Object.keys(given).map(function (k) { return digits(String(given[k])); })
        .join(fa ? "، " : ", ") || "—";
    }
    if (widget === "ticks") return parts.items ? grouped(parts.items.length) : "—";
    if (widget === "samples") return parts.samples ? grouped(parts.samples.length) : "—";
    if (value === null || value === undefined || value === "") return "—";
    if (widget === "choice") {
      var radio = card.querySelector("input[value='" + choiceKey(specOf(card), value) + "']");
      if (radio) return radio.nextElementSibling.textContent;
    }
    return quantity(Number(value));
  }

  function conflicted(id, conflict) {
    var card = cards[id];
    if (!card) return;
    clearMark(card);
    conflicts += 1;
    var box = document.createElement("div");
    box.className = "conflict";
    box.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.textContent = msg.conflict + " «" + describeAnswer(card, conflict.theirs) +
      "» — " + msg.yours + " «" + describeAnswer(card, conflict.yours) + "»";
    var keep = button(msg.keep, function () {
      writeCard(card, conflict.yours); box.remove(); conflicts -= 1; changed(card);
    });
    var take = button(msg.take, function () {
      writeCard(card, conflict.theirs); box.remove(); conflicts -= 1;
      confirmed[id] = Scoring.fromStored(specOf(card), conflict.theirs);
      delete local[id];
      recompute();
      renderBar({ state: queue.state() });
    });
    box.appendChild(text); box.appendChild(keep); box.appendChild(take);
    card.appendChild(box);
  }

  function button(label, onClick) {
    var b = document.createElement("button");
    b.type = "button"; b.className = "button"; b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  /* --- photos: at once in their card, queued or uploaded, removable until submission -------- */

  function photoBox(criterion) {
    var card = cards[criterion];
    return card && card.querySelector(".photos");
  }

  function thumb(box, options) {
    var figure = document.createElement("figure");
    figure.className = "thumb" + (options.className ? " " + options.className : "");
    Object.keys(options.data || {}).forEach(function (k) { figure.dataset[k] = options.data[k]; });
    var img = document.createElement("img");
    img.src = options.src; img.alt = options.name; img.width = 96; img.height = 96;
    if (options.href) {
      var link = document.createElement("a");
      link.href = options.href; link.target = "_blank"; link.rel = "noopener";
      link.appendChild(img);
      figure.appendChild(link);
    } else {
      figure.appendChild(img);
    }
    var caption = document.createElement("figcaption");
    var name = document.createElement("bdi");
    name.textContent = options.name;
    caption.appendChild(name);
    caption.appendChild(document.createElement("br"));
    var when = document.createElement("span");
    when.className = options.error ? "photo-error" : "muted";
    when.textContent = options.caption;
    caption.appendChild(when);
    figure.appendChild(caption);
    (options.actions || []).forEach(function (action) {
      var b = document.createElement("button");
      b.type = "button"; b.className = "button small"; b.textContent = action[0];
      b.dataset.photoAction = action[1];
      figure.appendChild(b);
    });
    box.insertBefore(figure, box.querySelector(".photo-buttons"));
    return figure;
  }

  function pendingThumb(item) {
    var box = photoBox(item.criterion);
    if (!box || box.querySelector("[data-pending='" + item.key + "']")) return;
    var old = item.replaces && box.querySelector("[data-photo-id='" + item.replaces + "']");
    if (old) old.hidden = true;
    thumb(box, { className: "pending", data: { pending: item.key }, src: URL.createObjectURL(item.blob),
                 name: item.name, caption: msg.photoWaiting, actions: [[msg.removePhoto, "cancel"]] });
  }

  function storedThumb(box, photo) {
    return thumb(box, { data: { photoId: String(photo.id) }, src: photo.thumb, href: photo.url,
                        name: photo.name, caption: photo.when,
                        actions: [[msg.removePhoto, "remove"], [msg.replacePhoto, "replace"]] });
  }

  function photoStored(item, body) {
    var box = photoBox(item.criterion);
    if (!box) return;
    var pending = box.querySelector("[data-pending='" + item.key + "']");
    if (pending) pending.remove();
    if (body.replaced) {
      var old = box.querySelector("[data-photo-id='" + body.replaced + "']");
      if (old) old.remove();
    }
    if (!item.cancelled) storedThumb(box, body);
    renderQueue();
  }

  function photoRemoved(item) {
    var box = photoBox(item.criterion);
    var old = box && box.querySelector("[data-photo-id='" + item.photo + "']");
    if (old) old.remove();
  }

  function showPhotoRefusal(refusal) {
    var box = photoBox(refusal.criterion);
    if (!box) return;
    box.querySelectorAll("[data-pending]").forEach(function (figure) {
      if (!queue.items().some(function (i) { return i.key === figure.dataset.pending; })) figure.remove();
    });
    if (refusal.photo) {
      var old = box.querySelector("[data-photo-id='" + refusal.photo + "']");
      if (old) old.hidden = false;
    }
    if (box.querySelector("[data-refusal='" + cssEscape(refusal.key) + "']")) return;
    var figure = thumb(box, { className: "refused", data: { refusal: refusal.key },
                              src: "data:image/gif;base64,R0lGODlhAQABAAAAACw=", name: refusal.name,
                              caption: msg.photoRefused + ": " + refusal.message, error: true,
                              actions: [[msg.dismiss, "dismiss"]] });
    figure.setAttribute("role", "alert");
    var card = cards[refusal.criterion];
    if (card) card.classList.add("has-photo-problem");
  }

  /* photos are made smaller on the tablet before they are sent: longest side at most
     limits.photoSide, JPEG; what the browser cannot decode goes as it is (the server says) */
  function downscale(file) {
    if (!window.createImageBitmap || !file.type || file.type.indexOf("image/") !== 0) {
      return Promise.resolve({ blob: file, name: file.name || "photo.jpg" });
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var side = Math.max(bitmap.width, bitmap.height), scale = Math.min(1, limits.photoSide / side);
      if (scale === 1 && file.type === "image/jpeg" && file.size <= limits.photoBytes) {
        bitmap.close();
        return { blob: file, name: file.name || "photo.jpg" };
      }
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
          resolve(blob ? { blob: blob, name: name } : { blob: file, name: file.name || "photo.jpg" });
        }, "image/jpeg", limits.photoQuality);
      });
    }, function () { return { blob: file, name: file.name || "photo.jpg" }; });
  }

  /* the photo's own EXIF block (capture time, GPS), which making it smaller drops: sent beside
     the photo for the server to read; the stored photo never keeps it */
  function exifOf(file) {
    if (!file.slice || !window.DataView) return Promise.resolve(null);
    return file.slice(0, 256 * 1024).arrayBuffer().then(function (buffer) {
      var view = new DataView(buffer), at = 2;
      if (buffer.byteLength < 4 || view.getUint16(0) !== 0xFFD8) return null;
      while (at + 4 <= buffer.byteLength) {
        var marker = view.getUint16(at), size = view.getUint16(at + 2);
        if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) return null;
        if (marker === 0xFFE1 && at + 10 <= buffer.byteLength &&
            String.fromCharCode.apply(null, new Uint8Array(buffer, at + 4, 4)) === "Exif") {
          return at + 2 + size <= buffer.byteLength ? buffer.slice(at + 4, at + 2 + size) : null;
        }
        at += 2 + size;
      }
      return null;
    }).catch(function () { return null; });
  }

  function takePhotos(input, files, replaces) {
    var criterion = input.dataset.criterion;
    var card = cards[criterion];
    if (card) card.classList.remove("has-photo-problem");
    Array.prototype.forEach.call(files, function (file, index) {
      Promise.all([downscale(file), exifOf(file)]).then(function (both) {
        var photo = both[0];
        return queue.addPhoto({ criterion: criterion, blob: photo.blob, name: photo.name,
                                exif: both[1], replaces: index === 0 ? replaces : null });
      }).then(pendingThumb);
    });
  }

  var replacing = null;
  function photoAction(figure, action) {
    var card = cardOf(figure), criterion = card.dataset.criterion;
    if (action === "cancel") {
      queue.cancel(figure.dataset.pending).then(function (done) {
        if (done) figure.remove();
        renderQueue();
      });
    } else if (action === "remove") {
      if (!window.confirm(msg.confirmRemove)) return;
      figure.hidden = true;
      queue.removePhoto(criterion, Number(figure.dataset.photoId));
    } else if (action === "replace") {
      replacing = Number(figure.dataset.photoId);
      card.querySelector(".photo-input[data-source=gallery]").click();
    } else if (action === "dismiss") {
      queue.dismiss(figure.dataset.refusal).then(renderQueue);
      figure.remove();
    }
  }

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : String(text).replace(/["'\\]/g, "\\$&");
  }

  /* --- wiring ---------------------------------------------------------------------------------- */

  function changed(card) {
    if (paradata) paradata.changed(card.dataset.criterion);
    var change = readCard(card);
    clearMark(card);
    queue.change(card.dataset.criterion, change);
    noteLocal(card.dataset.criterion, change);
    recompute();
  }

  function isPhotoInput(target) { return target.classList.contains("photo-input"); }

  form.addEventListener("input", function (event) {
    if (isPhotoInput(event.target)) return;
    if (event.target.matches("textarea[name$=_note]")) count(event.target);
    var card = cardOf(event.target);
    if (card) changed(card);
  });
  form.addEventListener("change", function (event) {
    if (isPhotoInput(event.target)) {
      takePhotos(event.target, event.target.files, replacing);
      replacing = null;
      event.target.value = "";
      return;
    }
    /* typed text went to the queue with each "input"; its "change" on leaving the field is
       no new answer (sending it again would take a refusal off the bar just as it is tapped) */
    if (event.target.matches("textarea, input:not([type=checkbox]):not([type=radio])")) return;
    var card = cardOf(event.target);
    if (!card) return;
    if (card.dataset.widget === "ticks" && event.target.checked) {
      /* «none of these» and the items of a checklist exclude each other */
      var key = card.dataset.key;
      if (event.target.name === key + "_answered") {
        card.querySelectorAll("input[name='" + key + "_items']").forEach(function (box) {
          box.checked = false;
        });
      } else if (field(card, "_answered")) {
        field(card, "_answered").checked = false;
      }
    }
    if (event.target.name === card.dataset.key + "_na") showNa(card);
    changed(card);
  });
  form.addEventListener("click", function (event) {
    var card = cardOf(event.target);
    if (!card) return;
    var action = event.target.closest("[data-photo-action]");
    if (action) { photoAction(action.closest("figure"), action.dataset.photoAction); return; }
    if (event.target.closest("[data-add-row]")) {
      addRow(card).querySelector("[data-part=site]").focus();
    } else if (event.target.closest("[data-remove-row]")) {
      removeRow(card, event.target.closest("[data-row]"));
      changed(card);
    }
  });
  form.addEventListener("focusin", function (event) {
    var card = cardOf(event.target);
    if (card && paradata) paradata.active(seenConfig.units[card.dataset.criterion]);
  });
  form.addEventListener("submit", function (event) {
    var submitting = event.submitter && event.submitter.value === "submit";
    if (submitting && paradata && seenConfig.location && !askedPlace.submit) {
      // the place at submission first (asked once), then the submission as usual
      event.preventDefault();
      var submitter = event.submitter;
      locate("submit").then(function () { form.requestSubmit(submitter); });
      return;
    }
    if (queue.refusals().length) {
      event.preventDefault();
      bar.querySelector("[data-submit-blocked]").hidden = false;
      nextRefused();
      return;
    }
    // submit once everything waiting has reached the server; the whole form posts then
    if (!queue.idle()) {
      event.preventDefault();
      wantSubmit = event.submitter;
      queue.sendNow();
      return;
    }
    if (submitting && paradata) {  // the form posts now: what is left of the paradata goes with it
      form.elements.paradata.value = JSON.stringify(paradata.take() || {});
      form.elements.device.value = device;
    }
  });
  bar.querySelector("[data-refused]").addEventListener("click", nextRefused);
  var next = document.querySelector("[data-next-unanswered]");
  if (next) next.addEventListener("click", nextUnanswered);
  if (queueBox) queueBox.querySelector("[data-send-now]").addEventListener("click", function () {
    queue.sendNow();
  });
  window.addEventListener("online", function () { queue.online(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") queue.flush();
  });
  window.addEventListener("pagehide", function () { queue.flush(); });
  form.querySelectorAll("textarea[name$=_note]").forEach(count);
  Object.keys(cards).forEach(function (id) { showNa(cards[id]); });

  /* --- what the device kept: written back into the cards, then sent ------------------------- */

  window.ArzyabStore.persist();
  locate("start");
  queue.restore().then(function (kept) {
    if (kept.snapshot) {
      Object.keys(kept.snapshot.answers).forEach(function (id) {
        var card = cards[id];
        if (!card) return;
        writeCard(card, kept.snapshot.answers[id]);
        noteLocal(id, readCard(card));
      });
      form.elements.base_version.value = kept.version;
    }
    kept.items.forEach(function (item) {
      if (item.kind === "answers") {
        Object.keys(item.changes).forEach(function (id) {
          var card = cards[id];
          if (!card) return;
          writeCard(card, item.changes[id]);
          noteLocal(id, item.changes[id]);
        });
      } else if (item.kind === "photo") {
        pendingThumb(item);
      } else if (item.kind === "remove") {
        var box = photoBox(item.criterion);
        var old = box && box.querySelector("[data-photo-id='" + item.photo + "']");
        if (old) old.hidden = true;
      }
    });
    kept.refusals.forEach(function (refusal) {
      if (refusal.kind === "refusal") {
        var card = cards[refusal.criterion];
        if (!card) return;
        if (refusal.change) writeCard(card, refusal.change);
        markRefused(card, refusal.message);
      } else {
        showPhotoRefusal(refusal);
      }
    });
    recompute();
    renderQueue();
    queue.start();
  });
  recompute();
})();
