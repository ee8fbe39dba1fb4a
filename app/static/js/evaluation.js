/*
 * The inspector's evaluation form: autosave through a queue kept on the device.
 *
 * What the inspector types is collected per criterion for a short pause, then written to the
 * device's store (IndexedDB, see store.js) as one queued batch with a key made on the device.
 * Photos are queued the same way, as blobs. The queue is sent in order when the page loads,
 * when the link comes back (`online`), on a timer, and from the "send now" button; an item
 * leaves the queue only once the server confirms it. The server stores a batch once however
 * often it is replayed (the key), and refuses to overwrite an answer another device changed
 * meanwhile (the version this device last saw + its device key): both values are shown and
 * the inspector chooses. Nothing is dropped silently.
 *
 * The last state the server confirmed is kept too, so a page served from the offline cache
 * shows everything entered, not the state of the day the page was cached.
 *
 * Without JavaScript the form still works: it posts as a whole to the same page.
 */
(function () {
  "use strict";

  var form = document.getElementById("eval-form");
  if (!form || !window.ArzyabStore) return;
  var store = window.ArzyabStore;

  var DEBOUNCE_MS = 800, TIMER_MS = 30000;
  var RETRY_MS = [2000, 5000, 10000, 20000, 30000];
  var evaluationId = form.dataset.evaluation;
  var draftKey = "arzyab:draft:" + evaluationId;
  var snapshotKey = "snapshot:" + evaluationId;
  var stateBox = document.getElementById("save-state");
  var queueBox = document.getElementById("queue");
  var msg = form.dataset;
  var version = parseInt(msg.version, 10);
  var device = deviceKey();
  var draft = {};          // criterion id -> change, not yet in the store
  var items = [];          // queued records, oldest first (mirror of the store)
  var sentLog = [];        // this page's confirmations, newest first
  var sending = false, wantSubmit = null, timer = null, failures = 0;

  /* --- keys ----------------------------------------------------------------------------- */

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

  /* --- reading and writing one criterion's fields -------------------------------------- */

  function cardOf(element) { return element.closest("[data-criterion]"); }

  function cardFor(id) {
    return form.querySelector("[data-criterion='" + cssEscape(id) + "']");
  }

  /* Each card says how it asks (data-widget: choice, number, inputs, checklist, samples) and
     what its type needs the page to know (data-spec, made by the criterion type on the
     server): this script knows ways of asking, never criterion types. */

  function specOf(card) {
    if (!card._spec) card._spec = JSON.parse(card.dataset.spec || "{}");
    return card._spec;
  }

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
      showComputed(card, inputs);
    } else if (widget === "ticks") {
      var ticked = [];
      card.querySelectorAll("input[name='" + key + "_items']:checked").forEach(function (box) {
        ticked.push(box.value);
      });
      var none = form.elements[key + "_answered"];
      change.value = ticked.length || (none && none.checked) ? ticked : null;
    } else if (widget === "samples") {
      var rows = [];
      card.querySelectorAll("[data-row]").forEach(function (row) {
        var site = row.querySelector("[data-part=site]").value.trim();
        var value = row.querySelector("[data-part=value]").value.trim();
        if (site || value) rows.push({ site: site, value: value === "" ? null : value });
      });
      change.samples = rows.length ? rows : null;
    } else {
      var input = form.elements[key];
      change.value = input.value.trim() === "" ? null : input.value;
    }
    var na = form.elements[key + "_na"];
    if (na) {
      change.na = na.checked;
      change.na_reason = form.elements[key + "_na_reason"].value;
    }
    change.note = form.elements[key + "_note"].value;
    return change;
  }

  /* the parts of an answer, whether it is a change of this page or a stored answer */
  function partsOf(answer) {
    var data = answer.data || {};
    return {
      value: answer.value,
      inputs: answer.inputs || data.inputs || null,
      items: Array.isArray(answer.value) ? answer.value : (data.items || null),
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
      showComputed(card, given);
    } else if (widget === "ticks") {
      var items = parts.items || [];
      card.querySelectorAll("input[name='" + key + "_items']").forEach(function (box) {
        box.checked = items.indexOf(box.value) >= 0;
      });
      var none = form.elements[key + "_answered"];
      if (none) none.checked = parts.items !== null && !items.length;
    } else if (widget === "samples") {
      var rows = parts.samples || [];
      var body = card.querySelector(".sample-rows tbody");
      while (body.querySelectorAll("[data-row]").length < rows.length) addRow(card);
      body.querySelectorAll("[data-row]").forEach(function (row, index) {
        var sample = rows[index] || { site: "", value: null };
        row.querySelector("[data-part=site]").value = sample.site || "";
        var cell = row.querySelector("[data-part=value]");
        var v = sample.value;
        cell.value = v === null || v === undefined ? "" : cell.tagName === "SELECT"
          ? choiceKey({ boolean: !!cell.querySelector("option[value=yes]") }, v) : String(v);
      });
    } else {
      form.elements[key].value = empty ? "" : String(value);
    }
    if (form.elements[key + "_na"]) {
      form.elements[key + "_na"].checked = !!answer.na;
      form.elements[key + "_na_reason"].value = answer.na_reason || "";
    }
    if ("note" in answer) form.elements[key + "_note"].value = answer.note || "";
  }

  /* --- computed values and site rows --------------------------------------------------- */

  var profile = JSON.parse(form.dataset.profile || "{}");

  function number(text) {
    var latin = String(text).replace(/[۰-۹]/g, function (d) { return "۰۱۲۳۴۵۶۷۸۹".indexOf(d); })
      .replace(/[٠-٩]/g, function (d) { return "٠١٢٣٤٥٦٧٨٩".indexOf(d); })
      .replace(/[٫]/g, ".").replace(/[٬,،\s]/g, "").replace(/[%٪]$/, "");
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(latin)) return null;
    return parseFloat(latin);
  }

  /* the formula's tree, as the server parsed it: ["num", 2], ["name", "x"], ["+", a, b] … */
  function evaluate(node, values) {
    var kind = node[0];
    if (kind === "num") return node[1];
    if (kind === "name") {
      var v = values[node[1]];
      if (v === null || v === undefined) throw "missing";
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
    if (b === 0) throw "division";
    return a / b;
  }

  function showComputed(card, inputs) {
    var spec = specOf(card), out = card.querySelector("[data-computed]");
    if (!out || !spec.formula) return;
    var values = Object.assign({}, profile);
    Object.keys(inputs).forEach(function (name) { values[name] = number(inputs[name]); });
    try { out.textContent = fmt2(evaluate(spec.formula, values)); }
    catch (e) { out.textContent = "—"; }
  }

  function addRow(card) {
    var body = card.querySelector(".sample-rows tbody");
    var rows = body.querySelectorAll("[data-row]");
    var copy = rows[rows.length - 1].cloneNode(true);
    copy.querySelectorAll("input, select").forEach(function (field) { field.value = ""; });
    body.appendChild(copy);
    renumber(card);
    return copy;
  }

  function removeRow(card, row) {
    var body = card.querySelector(".sample-rows tbody");
    if (body.querySelectorAll("[data-row]").length > 1) row.remove();
    else row.querySelectorAll("input, select").forEach(function (field) { field.value = ""; });
    renumber(card);
  }

  function renumber(card) {
    var prefix = card.querySelector("[data-samples]").dataset.samples;
    card.querySelectorAll("[data-row]").forEach(function (row, index) {
      row.querySelectorAll("[data-part]").forEach(function (field) {
        field.name = prefix + "-" + index + "-" + field.dataset.part;
      });
    });
  }

  /* --- collecting changes into the queue ------------------------------------------------ */

  function changed(card) {
    draft[card.dataset.criterion] = readCard(card);
    try { localStorage.setItem(draftKey, JSON.stringify(draft)); } catch (e) { /* full */ }
    clearError(card);
    setState("pending");
    clearTimeout(timer);
    timer = setTimeout(flushDraft, DEBOUNCE_MS);
  }

  function flushDraft() {
    var changes = draft;
    if (!Object.keys(changes).length) return Promise.resolve();
    draft = {};
    var item = { key: newKey(), evaluation: evaluationId, kind: "answers", changes: changes,
                 base: version, created: Date.now(), state: "waiting" };
    items.push(item);
    return store.put(item).then(function () {
      try { localStorage.removeItem(draftKey); } catch (e) { /* ignore */ }
      render();
      return send();
    });
  }

  /* --- sending -------------------------------------------------------------------------- */

  function send() {
    if (sending) return Promise.resolve();
    var item = items.filter(function (i) { return i.state !== "failed"; })[0];
    if (!item) { done(); return Promise.resolve(); }
    sending = true;
    item.state = "sending";
    setState("saving");
    render();
    var request = item.kind === "photo" ? sendPhoto(item) : sendAnswers(item);
    return request.then(function (result) {
      sending = false;
      return handle(item, result);
    }, function () {
      sending = false;
      item.state = "waiting";
      retryLater(msg.msgOffline, item);
    });
  }

  function sendAnswers(item) {
    return post(msg.saveUrl, JSON.stringify({
      key: item.key, base_version: item.base, device: device, changes: item.changes
    }), { "Content-Type": "application/json" });
  }

  function sendPhoto(item) {
    var body = new FormData();
    body.append("criterion", item.criterion);
    body.append("key", item.key);
    body.append("photo", item.blob, item.name);
    return post(msg.photoUrl, body, {});
  }

  function post(url, body, headers) {
    headers["Accept"] = "application/json";
    headers["X-Arzyab-Save"] = "1";
    return fetch(url, { method: "POST", credentials: "same-origin", body: body,
                        headers: headers, redirect: "error" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { status: response.status, body: data };
        });
      });
  }

  function handle(item, result) {
    var status = result.status, body = result.body;
    if (status === 200) return confirmed(item, body);
    if (item.kind === "answers" && status === 409 && body.conflicts) return conflicted(item, body);
    if (item.kind === "answers" && status === 422 && body.errors) return rejected(item, body);
    if (status >= 500 || status === 0) {
      item.state = "waiting";
      return retryLater(body.error, item);
    }
    // refused for good (logged out, no longer editable, not a photo …): kept and shown
    item.state = "failed";
    item.error = body.error || String(status);
    store.put(item);
    render();
    setState("error");
    if (status === 401) return;  // nothing more will pass until the inspector logs in
    return send();  // the rest of the queue goes on
  }

  function confirmed(item, body) {
    failures = 0;
    drop(item);
    sentLog.unshift({ item: item, at: new Date() });
    if (item.kind === "answers") {
      version = Math.max(version, body.version);
      form.elements.base_version.value = version;
      showScores(body.score);
      remember(item.changes, body.version);
    } else {
      var card = cardFor(item.criterion);
      var pendingThumb = card && card.querySelector("[data-pending='" + item.key + "']");
      if (pendingThumb) pendingThumb.remove();
      if (card) addThumb(card.querySelector(".photos"), body);
    }
    return store.remove(item.key).then(function () { render(); return send(); });
  }

  function conflicted(item, body) {
    setState("conflict");
    Object.keys(body.conflicts).forEach(function (id) {
      var card = cardFor(id);
      if (card) showConflict(card, body.conflicts[id]);
      delete item.changes[id];
    });
    return requeue(item, body.version);
  }

  function rejected(item, body) {
    Object.keys(body.errors).forEach(function (id) {
      var card = cardFor(id);
      if (card) showError(card, body.errors[id]);
      sentLog.unshift({ item: { kind: "answers", changes: {} }, criterion: id,
                        error: body.errors[id], at: new Date() });
      delete item.changes[id];  // the text stays in the field for the inspector to correct
    });
    return requeue(item, item.base);
  }

  function requeue(item, base) {
    // what the server did not object to goes again, under a new key (the payload changed)
    var old = item.key;
    var at = items.indexOf(item);
    var rest = Object.keys(item.changes).length;
    var next = rest ? { key: newKey(), evaluation: evaluationId, kind: "answers",
                        changes: item.changes, base: base, created: item.created,
                        state: "waiting" } : null;
    if (next) items.splice(at, 1, next); else drop(item);
    return store.remove(old)
      .then(function () { return next ? store.put(next) : null; })
      .then(function () { render(); return send(); });
  }

  function drop(item) {
    items = items.filter(function (i) { return i !== item; });
  }

  function retryLater(reason, item) {
    setState("error");
    if (item) item.error = reason || "";
    render();
    var delay = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
    failures += 1;
    clearTimeout(timer);
    timer = setTimeout(function () { flushDraft().then(send); }, delay);
  }

  function done() {
    var failed = items.some(function (i) { return i.state === "failed"; });
    if (failed) { setState("error"); return; }
    if (!Object.keys(draft).length && !items.length) {
      if (stateBox.dataset.state !== "conflict") setState("saved");
      if (wantSubmit) {
        var submitter = wantSubmit;
        wantSubmit = null;
        form.requestSubmit(submitter);
      }
    }
  }

  /* --- the last confirmed state, for pages served from the offline cache ----------------- */

  function remember(changes, confirmedVersion) {
    store.get(snapshotKey).then(function (snapshot) {
      snapshot = snapshot || { key: snapshotKey, evaluation: evaluationId, kind: "snapshot",
                               version: 0, answers: {} };
      Object.keys(changes).forEach(function (id) {
        snapshot.answers[id] = Object.assign(snapshot.answers[id] || {}, changes[id]);
      });
      snapshot.version = Math.max(snapshot.version, confirmedVersion);
      return store.put(snapshot);
    });
  }

  function restore() {
    var pageVersion = version;
    return store.byEvaluation(evaluationId).then(function (records) {
      var snapshot = records.filter(function (r) { return r.kind === "snapshot"; })[0];
      if (snapshot && snapshot.version > pageVersion) {
        Object.keys(snapshot.answers).forEach(function (id) {
          var card = cardFor(id);
          if (card) writeCard(card, snapshot.answers[id]);
        });
        version = snapshot.version;
        form.elements.base_version.value = version;
      } else if (snapshot) {
        store.remove(snapshotKey);  // the page is newer than what we kept
      }
      items = records.filter(function (r) { return r.kind !== "snapshot"; })
        .sort(function (a, b) { return a.created - b.created; });
      items.forEach(function (item) {
        if (item.state === "sending") item.state = "waiting";
        if (item.kind === "answers") {
          Object.keys(item.changes).forEach(function (id) {
            var card = cardFor(id);
            if (card) writeCard(card, item.changes[id]);
          });
        } else {
          var card = cardFor(item.criterion);
          if (card) addPendingThumb(card, item);
        }
      });
      var saved = null;
      try { saved = JSON.parse(localStorage.getItem(draftKey) || "null"); } catch (e) { /* */ }
      if (saved) {
        Object.keys(saved).forEach(function (id) {
          var card = cardFor(id);
          if (card) { writeCard(card, saved[id]); draft[id] = saved[id]; }
        });
      }
      render();
      return flushDraft().then(send);
    });
  }

  /* --- photos ---------------------------------------------------------------------------- */

  function queuePhoto(input, file) {
    var item = { key: newKey(), evaluation: evaluationId, kind: "photo",
                 criterion: input.dataset.criterion, blob: file, name: file.name || "photo.jpg",
                 created: Date.now(), state: "waiting" };
    items.push(item);
    addPendingThumb(cardOf(input), item);
    return store.put(item).then(function () { render(); return send(); });
  }

  function addPendingThumb(card, item) {
    var box = card.querySelector(".photos");
    if (!box) return;
    var figure = document.createElement("figure");
    figure.className = "thumb pending";
    figure.dataset.pending = item.key;
    var img = document.createElement("img");
    img.src = URL.createObjectURL(item.blob);
    img.alt = item.name; img.width = 96; img.height = 96;
    var caption = document.createElement("figcaption");
    caption.textContent = item.name + " — " + msg.msgWaiting;
    figure.appendChild(img); figure.appendChild(caption);
    box.insertBefore(figure, box.querySelector(".photo-button"));
  }

  function addThumb(box, photo) {
    if (!box) return;
    var figure = document.createElement("figure");
    figure.className = "thumb";
    var link = document.createElement("a");
    link.href = photo.url; link.target = "_blank"; link.rel = "noopener";
    var img = document.createElement("img");
    img.src = photo.thumb; img.alt = photo.name; img.width = 96; img.height = 96;
    link.appendChild(img);
    var caption = document.createElement("figcaption");
    caption.textContent = photo.name + " — " + photo.when;
    figure.appendChild(link); figure.appendChild(caption);
    box.insertBefore(figure, box.querySelector(".photo-button"));
  }

  /* --- what the inspector sees ------------------------------------------------------------ */

  function setState(state) { stateBox.dataset.state = state; }

  function describeItem(item) {
    if (item.kind === "photo") return msg.msgPhoto + " " + item.name + " (" + digits(item.criterion) + ")";
    return msg.msgAnswers + " " + Object.keys(item.changes).map(digits).join("، ");
  }

  function render() {
    if (!queueBox) return;
    var list = queueBox.querySelector("ul");
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "q-" + item.state;
      var label = item.state === "failed" ? msg.msgFailed : item.state === "sending"
        ? msg.msgSending : msg.msgWaiting;
      li.textContent = describeItem(item) + " — " + label + (item.error ? ": " + item.error : "");
      if (item.state === "failed") {
        var drop = document.createElement("button");
        drop.type = "button"; drop.className = "link"; drop.textContent = msg.msgDiscard;
        drop.addEventListener("click", function () { discard(item); });
        li.appendChild(document.createTextNode(" "));
        li.appendChild(drop);
      }
      list.appendChild(li);
    });
    sentLog.slice(0, 5).forEach(function (entry) {
      var li = document.createElement("li");
      li.className = entry.error ? "q-failed" : "q-sent";
      var what = entry.criterion ? msg.msgAnswers + " " + digits(entry.criterion)
        : describeItem(entry.item);
      li.textContent = what + " — " + (entry.error ? msg.msgFailed + ": " + entry.error
        : msg.msgSent + " " + digits(entry.at.toTimeString().slice(0, 5)));
      list.appendChild(li);
    });
    queueBox.querySelector("[data-queue-count]").textContent = digits(String(items.length));
    queueBox.hidden = !items.length && !sentLog.length;
  }

  function discard(item) {
    if (!window.confirm(msg.msgConfirmDiscard)) return;
    items = items.filter(function (i) { return i !== item; });
    var thumb = form.querySelector("[data-pending='" + item.key + "']");
    if (thumb) thumb.remove();
    store.remove(item.key).then(function () { render(); done(); });
  }

  function digits(text) {
    if (document.documentElement.lang !== "fa") return text;
    return String(text).replace(/\d/g, function (d) { return "۰۱۲۳۴۵۶۷۸۹"[d]; });
  }

  function fmt(value) {
    if (value === null || value === undefined) return "—";
    var text = (Math.round(value * 10) / 10).toString();
    return document.documentElement.lang === "fa" ? digits(text.replace(/\./g, "٫")) : text;
  }

  function fmt2(value) {
    if (value === null || value === undefined || !isFinite(value)) return "—";
    var text = (Math.round(value * 100) / 100).toString();
    return document.documentElement.lang === "fa" ? digits(text.replace(/\./g, "٫")) : text;
  }

  function showScores(score) {
    if (!score) return;
    setText("[data-live=score]", fmt(score.score));
    setText("[data-live=raw]", fmt(score.raw));
    setText("[data-live=ungated]", fmt(score.ungated));
    (score.gates || []).forEach(function (gate) {
      document.querySelectorAll("[data-gate='" + gate.id + "']").forEach(function (el) {
        el.dataset.met = gate.met ? "yes" : "no";
      });
    });
    setText("[data-live=band]", score.band || "");
    Object.keys(score.units).forEach(function (id) {
      var unit = score.units[id];
      setText("[data-unit-score='" + id + "']", unit.evaluated ? fmt(unit.score) : "—");
      setText("[data-unit-raw='" + id + "']", unit.evaluated ? fmt(unit.raw) : "—");
      setText("[data-progress='" + id + "']", fmt(unit.answered) + "/" + fmt(unit.applicable));
    });
  }

  function setText(selector, text) {
    document.querySelectorAll(selector).forEach(function (el) { el.textContent = text; });
  }

  function showError(card, message) {
    var box = card.querySelector(".field-error");
    box.textContent = message;
    box.hidden = false;
    card.classList.add("has-problem");
  }

  function clearError(card) {
    var box = card.querySelector(".field-error");
    if (box) { box.hidden = true; box.textContent = ""; }
    card.classList.remove("has-problem");
    var old = card.querySelector(".conflict");
    if (old) old.remove();
  }

  function describeAnswer(card, answer) {
    if (answer.na) return answer.na_reason || "—";
    var widget = card.dataset.widget, parts = partsOf(answer), value = parts.value;
    if (widget === "inputs") {
      var given = parts.inputs || {};
      return Object.keys(given).map(function (k) { return digits(String(given[k])); }).join("، ") || "—";
    }
    if (widget === "ticks") return parts.items ? digits(String(parts.items.length)) : "—";
    if (widget === "samples") return parts.samples ? digits(String(parts.samples.length)) : "—";
    if (value === null || value === undefined || value === "") return "—";
    if (widget === "choice") {
      var radio = card.querySelector("input[value='" + choiceKey(specOf(card), value) + "']");
      if (radio) return radio.nextElementSibling.textContent;
    }
    return fmt(Number(value));
  }

  function showConflict(card, conflict) {
    clearError(card);
    var box = document.createElement("div");
    box.className = "conflict";
    box.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.textContent = msg.msgConflict + " «" + describeAnswer(card, conflict.theirs) +
      "» — " + msg.msgYours + " «" + describeAnswer(card, conflict.yours) + "»";
    var keep = button(msg.msgKeep, function () {
      writeCard(card, conflict.yours); box.remove(); changed(card);
    });
    var take = button(msg.msgTake, function () {
      writeCard(card, conflict.theirs); box.remove();
      if (!items.length && !Object.keys(draft).length) setState("saved");
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

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : text.replace(/["'\\]/g, "\\$&");
  }

  /* --- wiring ---------------------------------------------------------------------------- */

  function isPhotoInput(target) { return target.classList.contains("photo-input"); }

  form.addEventListener("input", function (event) {
    if (isPhotoInput(event.target)) return;
    var card = cardOf(event.target);
    if (card) changed(card);
  });
  form.addEventListener("change", function (event) {
    if (isPhotoInput(event.target)) {
      Array.prototype.forEach.call(event.target.files, function (file) {
        queuePhoto(event.target, file);
      });
      event.target.value = "";
      return;
    }
    var card = cardOf(event.target);
    if (card) changed(card);
  });
  form.addEventListener("click", function (event) {
    var card = cardOf(event.target);
    if (!card) return;
    if (event.target.closest("[data-add-row]")) {
      addRow(card).querySelector("[data-part=site]").focus();
    } else if (event.target.closest("[data-remove-row]")) {
      removeRow(card, event.target.closest("[data-row]"));
      changed(card);
    }
  });
  form.addEventListener("change", function (event) {
    /* «none of these» and the items of a checklist exclude each other */
    var card = cardOf(event.target);
    if (!card || card.dataset.widget !== "ticks" || !event.target.checked) return;
    var key = card.dataset.key;
    if (event.target.name === key + "_answered") {
      card.querySelectorAll("input[name='" + key + "_items']").forEach(function (box) {
        box.checked = false;
      });
    } else if (form.elements[key + "_answered"]) {
      form.elements[key + "_answered"].checked = false;
    }
  }, true);
  form.addEventListener("submit", function (event) {
    // submit once everything waiting has reached the server; the whole form posts then
    if (items.length || Object.keys(draft).length) {
      event.preventDefault();
      wantSubmit = event.submitter;
      flushDraft().then(send);
    }
  });
  if (queueBox) {
    queueBox.querySelector("[data-send-now]").addEventListener("click", function () {
      failures = 0;
      items.forEach(function (item) { if (item.state === "failed") item.state = "waiting"; });
      flushDraft().then(send);
    });
  }
  window.addEventListener("online", function () { failures = 0; flushDraft().then(send); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flushDraft();
  });
  window.addEventListener("pagehide", function () { flushDraft(); });
  setInterval(function () { if (items.length && !sending) send(); }, TIMER_MS);

  store.persist();
  restore();
})();
