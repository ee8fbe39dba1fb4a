/*
 * The rubric editor on the authors' page: a plain textarea with line numbers beside it.
 *
 * The numbers live in a column next to the textarea that scrolls with it. Lines the server's
 * check found a problem on are marked, with the message as the marker's tooltip; the marks
 * belong to the text as it was checked, so they are cleared at the first edit. A line number
 * in the problems listing (a link with data-line) moves the caret to that line.
 *
 * Without JavaScript the textarea works as it is and the listing still shows every problem
 * beside its line: this file only adds comfort.
 */
(function () {
  "use strict";

  var area = document.getElementById("rubric-text");
  var gutter = document.querySelector("[data-gutter]");
  if (!area || !gutter) return;

  var marks = {};
  try { marks = JSON.parse(area.getAttribute("data-problems") || "{}") || {}; } catch (e) { marks = {}; }
  var shown = -1;

  function lineCount() {
    var count = 1, text = area.value;
    for (var i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) count++;
    return count;
  }

  function draw(force) {
    var count = lineCount();
    if (count === shown && !force) return;
    shown = count;
    var fragment = document.createDocumentFragment();
    for (var n = 1; n <= count; n++) {
      var cell = document.createElement("span");
      cell.textContent = String(n);
      if (marks[n]) {
        cell.className = "bad";
        cell.title = marks[n];
        cell.setAttribute("data-line", String(n));
      }
      fragment.appendChild(cell);
    }
    gutter.textContent = "";
    gutter.appendChild(fragment);
    follow();
  }

  function follow() { gutter.scrollTop = area.scrollTop; }

  function lineHeight() {
    var value = parseFloat(window.getComputedStyle(area).lineHeight);
    return isNaN(value) ? 24 : value;
  }

  function goTo(line) {
    var lines = area.value.split("\n");
    line = Math.max(1, Math.min(line, lines.length));
    var start = 0;
    for (var i = 0; i < line - 1; i++) start += lines[i].length + 1;
    area.focus();
    area.setSelectionRange(start, start + lines[line - 1].length);
    area.scrollTop = Math.max(0, (line - 4) * lineHeight());
    area.scrollIntoView({ block: "nearest" });
    follow();
  }

  area.addEventListener("input", function () {
    if (Object.keys(marks).length) { marks = {}; draw(true); } else { draw(false); }
  });
  area.addEventListener("scroll", follow);
  if (window.ResizeObserver) {
    new ResizeObserver(function () { gutter.style.height = area.offsetHeight + "px"; follow(); })
      .observe(area);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-line]") : null;
    if (!link) return;
    event.preventDefault();
    goTo(parseInt(link.getAttribute("data-line"), 10));
  });

  gutter.hidden = false;
  draw(true);
})();
