/*
 * Autosave for the inspector's evaluation form.
 *
 * Every change is put in a queue of pending changes (criterion id → answer), kept in
 * localStorage so a reload or a dropped link loses nothing, and sent to the server in batches
 * after a short pause. Each batch carries a key made on the device (the server stores a batch
 * once however often it is replayed) and the evaluation version the page last saw (the server
 * refuses to overwrite someone else's newer answer and returns both values).
 *
 * Without JavaScript the form still works: it posts as a whole to the same page.
 */
(function () {
  "use strict";

  var form = document.getElementById("eval-form");
  if (!form) return;

  var DEBOUNCE_MS = 800;
  var RETRY_MS = [2000, 5000, 10000, 20000, 30000];
  var storeKey = "arzyab:pending:" + form.dataset.evaluation;
  var stateBox = document.getElementById("save-state");
  var version = parseInt(form.dataset.version, 10);
  var pending = readPending();
  var inFlight = null;
  var timer = null;
  var failures = 0;

  function readPending() {
    try {
      var saved = JSON.parse(localStorage.getItem(storeKey) || "null");
      if (saved && saved.changes) return saved;
    } catch (e) { /* storage unavailable or corrupt: start empty */ }
    return { changes: {}, base: null };
  }

  function writePending() {
    try { localStorage.setItem(storeKey, JSON.stringify(pending)); } catch (e) { /* full */ }
  }

  function setState(state) { stateBox.dataset.state = state; }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  /* --- reading one criterion's fields ------------------------------------------------- */

  function cardOf(element) { return element.closest("[data-criterion]"); }

  function readCard(card) {
    var key = card.dataset.key;
    var change = {};
    var type = card.dataset.type;
    if (type === "scale" || type === "yesno") {
      var checked = card.querySelector("input[name='" + key + "']:checked");
      var raw = checked ? checked.value : null;
      change.value = raw === null ? null : (type === "yesno" ? raw === "yes" : raw);
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

  function writeCard(card, answer) {
    var key = card.dataset.key;
    var type = card.dataset.type;
    var value = answer.value;
    if (type === "scale" || type === "yesno") {
      card.querySelectorAll("input[name='" + key + "']").forEach(function (radio) {
        var wanted = type === "yesno"
          ? (value === null || value === undefined ? null : (value === true || value === 1 || value === "yes") ? "yes" : "no")
          : (value === null || value === undefined ? null : String(Number(value)));
        radio.checked = wanted !== null && radio.value === wanted;
      });
    } else {
      form.elements[key].value = value === null || value === undefined ? "" : value;
    }
    if (form.elements[key + "_na"]) {
      form.elements[key + "_na"].checked = !!answer.na;
      form.elements[key + "_na_reason"].value = answer.na_reason || "";
    }
    form.elements[key + "_note"].value = answer.note || "";
  }

  /* --- queue and sending -------------------------------------------------------------- */

  function queue(card) {
    if (pending.base === null) pending.base = version;
    pending.changes[card.dataset.criterion] = readCard(card);
    writePending();
    clearError(card);
    setState("pending");
    schedule(DEBOUNCE_MS);
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(send, delay);
  }

  function send() {
    if (inFlight || !Object.keys(pending.changes).length) return;
    var batch = { key: pending.key || newKey(), base_version: pending.base,
                  changes: pending.changes };
    pending.key = batch.key;  // a retry of this batch reuses the key
    writePending();
    inFlight = batch;
    setState("saving");
    fetch(form.dataset.saveUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-Arzyab-Save": "1" },
      body: JSON.stringify(batch)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body };
      });
    }).then(function (result) {
      inFlight = null;
      if (result.status === 200) return accepted(batch, result.body);
      if (result.status === 409 && result.body.conflicts) return conflicted(batch, result.body);
      if (result.status === 422 && result.body.errors) return rejected(batch, result.body);
      if (result.status === 401 || result.status === 403) { setState("error"); return; }
      retry();
    }).catch(function () { inFlight = null; retry(); });
  }

  function settle(batch) {
    // drop what was sent, unless it was changed again while the batch was on its way
    Object.keys(batch.changes).forEach(function (id) {
      if (JSON.stringify(pending.changes[id]) === JSON.stringify(batch.changes[id])) {
        delete pending.changes[id];
      }
    });
    delete pending.key;
    pending.base = Object.keys(pending.changes).length ? version : null;
    writePending();
  }

  function accepted(batch, body) {
    failures = 0;
    version = body.version;
    form.elements.base_version.value = version;
    settle(batch);
    showScores(body.score);
    if (Object.keys(pending.changes).length) { setState("pending"); schedule(DEBOUNCE_MS); }
    else setState("saved");
  }

  function rejected(batch, body) {
    Object.keys(body.errors).forEach(function (id) {
      var card = form.querySelector("[data-criterion='" + cssEscape(id) + "']");
      if (card) showError(card, body.errors[id]);
    });
    // keep the refused fields on the page and in storage; send the good ones again
    var refused = {};
    Object.keys(body.errors).forEach(function (id) { refused[id] = pending.changes[id]; });
    Object.keys(refused).forEach(function (id) { delete pending.changes[id]; });
    delete pending.key;
    if (Object.keys(pending.changes).length) send();
    pending.changes = Object.assign(pending.changes, refused);
    writePending();
    setState("error");
  }

  function conflicted(batch, body) {
    setState("conflict");
    version = body.version;
    Object.keys(body.conflicts).forEach(function (id) {
      var card = form.querySelector("[data-criterion='" + cssEscape(id) + "']");
      if (card) showConflict(card, id, body.conflicts[id]);
    });
    // the other answers of the batch are sent again against the current version
    Object.keys(body.conflicts).forEach(function (id) { delete pending.changes[id]; });
    delete pending.key;
    pending.base = version;
    writePending();
    if (Object.keys(pending.changes).length) schedule(0);
  }

  function retry() {
    setState("error");
    var delay = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
    failures += 1;
    schedule(delay);
  }

  /* --- showing results ---------------------------------------------------------------- */

  function fmt(value) {
    if (value === null || value === undefined) return "—";
    var text = (Math.round(value * 10) / 10).toString();
    if (document.documentElement.lang !== "fa") return text;
    return text.replace(/\./g, "٫").replace(/\d/g, function (d) { return "۰۱۲۳۴۵۶۷۸۹"[d]; });
  }

  function showScores(score) {
    if (!score) return;
    setText("[data-live=score]", fmt(score.score));
    setText("[data-live=raw]", fmt(score.raw));
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

  function describe(card, answer) {
    if (answer.na) return answer.na_reason || "N/A";
    var value = answer.value;
    if (value === null || value === undefined || value === "") return "—";
    if (card.dataset.type === "yesno") {
      var yes = card.querySelector("input[value=yes]");
      var no = card.querySelector("input[value=no]");
      var on = value === true || value === 1 || value === "yes";
      return (on ? yes : no).nextElementSibling.textContent;
    }
    if (card.dataset.type === "scale") {
      var radio = card.querySelector("input[value='" + String(Number(value)) + "']");
      if (radio) return radio.nextElementSibling.textContent;
    }
    return fmt(Number(value));
  }

  function showConflict(card, id, conflict) {
    clearError(card);
    var box = document.createElement("div");
    box.className = "conflict";
    box.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.textContent = form.dataset.msgConflict + " «" + describe(card, conflict.theirs) +
      "» ↔ «" + describe(card, conflict.yours) + "»";
    var keep = document.createElement("button");
    keep.type = "button"; keep.className = "button"; keep.textContent = form.dataset.msgKeep;
    var take = document.createElement("button");
    take.type = "button"; take.className = "button"; take.textContent = form.dataset.msgTake;
    keep.addEventListener("click", function () {
      writeCard(card, conflict.yours); box.remove(); queue(card);
    });
    take.addEventListener("click", function () {
      writeCard(card, conflict.theirs); box.remove();
      if (!Object.keys(pending.changes).length) setState("saved");
    });
    box.appendChild(text); box.appendChild(keep); box.appendChild(take);
    card.appendChild(box);
  }

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : text.replace(/["'\\]/g, "\\$&");
  }

  /* --- wiring ------------------------------------------------------------------------- */

  /* --- photos: sent at once, retried while the link is down ------------------------- */

  function uploadPhoto(input, file, key, attempt) {
    var box = input.closest(".photos");
    var status = box.querySelector(".photo-status");
    var body = new FormData();
    body.append("criterion", input.dataset.criterion);
    body.append("key", key);
    body.append("photo", file, file.name);
    status.textContent = "…";
    fetch(form.dataset.photoUrl, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "Accept": "application/json", "X-Arzyab-Save": "1" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) { status.textContent = ""; addThumb(box, data); return; }
        if (response.status >= 500) throw new Error("server");
        status.textContent = data.error || "";
      });
    }).catch(function () {
      status.textContent = form.dataset.msgPhotoFailed;
      var delay = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
      setTimeout(function () { uploadPhoto(input, file, key, attempt + 1); }, delay);
    });
  }

  function addThumb(box, photo) {
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

  function isPhotoInput(target) { return target.classList.contains("photo-input"); }

  form.addEventListener("input", function (event) {
    if (isPhotoInput(event.target)) return;
    var card = cardOf(event.target);
    if (card) queue(card);
  });
  form.addEventListener("change", function (event) {
    if (isPhotoInput(event.target)) {
      Array.prototype.forEach.call(event.target.files, function (file) {
        uploadPhoto(event.target, file, newKey(), 0);
      });
      event.target.value = "";
      return;
    }
    var card = cardOf(event.target);
    if (card) queue(card);
  });
  window.addEventListener("online", function () { schedule(0); });
  window.addEventListener("beforeunload", function (event) {
    if (Object.keys(pending.changes).length) event.preventDefault();
  });

  // restore what had not reached the server before the page was closed or reloaded
  var restored = Object.keys(pending.changes);
  if (restored.length) {
    restored.forEach(function (id) {
      var card = form.querySelector("[data-criterion='" + cssEscape(id) + "']");
      // already on the server (e.g. posted with the whole form): nothing to restore
      if (!card || JSON.stringify(readCard(card)) === JSON.stringify(pending.changes[id])) {
        delete pending.changes[id];
      } else {
        writeCard(card, pending.changes[id]);
      }
    });
    delete pending.key;
    writePending();
    if (Object.keys(pending.changes).length) { setState("pending"); schedule(0); }
  }
})();
