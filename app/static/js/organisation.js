/* The inspector's form meets the municipality (templates/evaluations/_organisation.html).

   - «Confirm the declared value»: one tap puts the declared value in the card's own fields and
     lets the form's script save it as any answer (an "input"/"change" event from the card);
   - the reason of a correction and the finding on a previous recommendation are saved in
     place (fetch, the autosave header), never through the card's answer.

   Without this script every button posts the form to its own route (formaction). */
(function () {
  "use strict";
  var form = document.getElementById("eval-form");
  if (!form) return;
  var SAVE = {"Content-Type": "application/json", "X-Arzyab-Save": "1"};

  function say(box, text, failed) {
    var state = box.querySelector("[data-org-state]");
    if (!state) return;
    state.textContent = text;
    state.classList.toggle("error", !!failed);
  }

  function post(box, url, body, done) {
    fetch(url, {method: "POST", headers: SAVE, credentials: "same-origin",
                body: JSON.stringify(body)})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) throw new Error(data.error || String(response.status));
          return data;
        });
      })
      .then(function (data) { done(data); })
      .catch(function (error) { say(box, error.message, true); });
  }

  function fill(card, values) {
    var first = null;
    Object.keys(values).forEach(function (name) {
      var wanted = values[name];
      card.querySelectorAll("[name='" + name + "']").forEach(function (input) {
        if (input.type === "radio") {
          input.checked = input.value === String(wanted);
        } else if (input.type === "checkbox") {
          input.checked = Array.isArray(wanted) ? wanted.indexOf(input.value) >= 0 : !!wanted;
        } else {
          input.value = wanted === null || wanted === undefined ? "" : String(wanted);
        }
        first = first || input;
      });
    });
    var na = card.querySelector("input[name='" + card.dataset.key + "_na']");
    if (na && na.checked) { na.checked = false; na.dispatchEvent(new Event("change", {bubbles: true})); }
    if (first) {
      var text = first.type !== "radio" && first.type !== "checkbox";
      first.dispatchEvent(new Event(text ? "input" : "change", {bubbles: true}));
    }
  }

  form.querySelectorAll("[data-org]").forEach(function (box) {
    // typing a reason or a finding is not an answer of the card around it
    box.addEventListener("input", function (event) { event.stopPropagation(); });
    box.addEventListener("change", function (event) { event.stopPropagation(); });
  });

  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm-declared], [data-save-reason], [data-save-follow-up]");
    if (!button) return;
    var box = button.closest("[data-org]");
    event.preventDefault();
    event.stopPropagation();
    if (button.hasAttribute("data-confirm-declared")) {
      fill(box.closest("[data-criterion]"), JSON.parse(box.dataset.fill));
      box.querySelector("[data-verdict]").textContent = button.textContent;
      box.classList.add("verdict-confirmed");
      return;
    }
    if (button.hasAttribute("data-save-reason")) {
      var reason = box.querySelector("textarea").value;
      post(box, button.dataset.url, {reason: reason}, function () {
        say(box, box.querySelector("[data-org-state]").dataset.saved);
      });
      return;
    }
    var chosen = box.querySelector("input[type=radio]:checked");
    post(box, button.dataset.url, {outcome: chosen ? chosen.value : "",
                                   note: box.querySelector("textarea").value},
         function (data) { say(box, data.title || ""); });
  }, true);
})();
