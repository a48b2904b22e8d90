// Ticket page: search the help center and insert an article's public URL into the reply at
// the cursor. Titles come from outside (editors) and are only ever set as text.
(function () {
  "use strict";

  var DELAY_MS = 200;

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart || 0;
    var end = textarea.selectionEnd || start;
    var before = textarea.value.slice(0, start);
    var spaced = (before && !/\s$/.test(before) ? " " : "") + text + " ";
    textarea.setRangeText(spaced, start, end, "end");
    // Let the composer (drafts, collision warnings) know the text changed.
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  }

  function setup(panel) {
    if (panel.dataset.kbLinkReady) return;
    panel.dataset.kbLinkReady = "1";
    var form = panel.querySelector("[data-kb-link-form]");
    var input = form.querySelector("input[name=q]");
    var language = form.querySelector("select[name=lang]");
    var results = panel.querySelector("[data-kb-link-results]");
    var timer = null;
    var controller = null;

    function show(items, query) {
      results.textContent = "";
      if (!query) return;
      if (!items.length) {
        var none = document.createElement("li");
        none.className = "muted small";
        none.textContent = panel.dataset.labelNone;
        results.appendChild(none);
        return;
      }
      items.forEach(function (item) {
        var row = document.createElement("li");
        row.className = "kb-link-panel__item";
        var link = document.createElement("a");
        link.href = item.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.textContent = item.title;
        row.appendChild(link);
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn--sm";
        button.textContent = panel.dataset.labelInsert;
        button.setAttribute("aria-label", panel.dataset.labelInsert + ": " + item.title);
        button.addEventListener("click", function () {
          var textarea = document.querySelector(panel.dataset.target);
          if (!textarea) return;
          insertAtCursor(textarea, item.url);
          button.textContent = panel.dataset.labelInserted;
        });
        row.appendChild(button);
        results.appendChild(row);
      });
    }

    function search() {
      var query = input.value.trim();
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        if (controller) controller.abort();
        if (!query) { show([], ""); return; }
        controller = new AbortController();
        var url = panel.dataset.searchUrl + "?q=" + encodeURIComponent(query) +
          "&lang=" + encodeURIComponent(language.value);
        fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin",
                     signal: controller.signal })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) { if (query === input.value.trim()) show(data.results || [], query); })
          .catch(function (error) { if (error.name !== "AbortError") show([], query); });
      }, DELAY_MS);
    }

    form.addEventListener("submit", function (event) { event.preventDefault(); search(); });
    input.addEventListener("input", search);
    language.addEventListener("change", search);
    // Enter in the box searches now instead of submitting anything.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); search(); }
    });
  }

  function setupAll() { document.querySelectorAll("[data-kb-link-panel]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setupAll);
  else setupAll();
  document.addEventListener("htmx:afterSettle", setupAll);
})();
