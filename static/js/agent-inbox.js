// The inbox list: live refreshes, search as you type, row selection (j/k, x) and bulk changes.
(function () {
  "use strict";
  var M = window.Madoguchi, doc = document;

  var unseen = 0;
  var baseTitle = doc.title;
  var selected = {}; // ticket id → true: kept across live refreshes of the list

  function rowStamps(container) {
    var stamps = {};
    container.querySelectorAll(".ticket-row").forEach(function (row) {
      stamps[row.dataset.ticket] = row.dataset.stamp;
    });
    return stamps;
  }

  function currentRow() { return doc.querySelector(".ticket-row.is-current"); }
  M.currentRow = currentRow;

  // Every list load takes a number; only the newest may replace the list, so a slow answer to
  // an older search (or a live refresh) never overwrites the results of the latest one.
  var listSeq = 0;
  // The list a search asked for, until its answer is on screen: live refreshes fetch that too.
  var wantedUrl = null;

  function listHolder(container) { return container.querySelector("[data-inbox-view]"); }

  function listKey(container) {
    var holder = listHolder(container);
    return holder ? holder.dataset.inboxView + "|" + holder.dataset.inboxQuery + "|" + (holder.dataset.inboxAfter || "") : "";
  }

  function listUrl(container) {
    if (wantedUrl) return wantedUrl;
    var holder = listHolder(container);
    var params = new URLSearchParams();
    if (holder && holder.dataset.inboxQuery) {
      params.set("q", holder.dataset.inboxQuery);
      params.set("view", holder.dataset.returnView || "");
    } else {
      params.set("view", holder ? holder.dataset.inboxView : "");
      // A live refresh keeps the agent on the page they are reading, not back on page one.
      if (holder && holder.dataset.inboxAfter) params.set("after", holder.dataset.inboxAfter);
    }
    return container.dataset.url + "?" + params.toString();
  }

  function loadList(url, markChanges) {
    var container = M.ticketList();
    if (!container) return null;
    var mine = ++listSeq;
    container.setAttribute("aria-busy", "true");
    return M.fetchPartial(url).then(function (html) {
      if (html === null || mine !== listSeq) return;
      if (wantedUrl === url) wantedUrl = null;
      var beforeKey = listKey(container);
      var before = rowStamps(container);
      var current = currentRow();
      var currentId = current ? current.dataset.ticket : null;
      var hadFocus = current && current.contains(doc.activeElement);
      container.innerHTML = html;
      if (window.htmx) window.htmx.process(container);
      // A different search or view is not "news": only mark rows that changed in place.
      var sameList = markChanges && beforeKey === listKey(container);
      var fresh = 0;
      container.querySelectorAll(".ticket-row").forEach(function (row) {
        if (sameList && before[row.dataset.ticket] !== row.dataset.stamp) { M.markFresh(row); fresh += 1; }
        if (row.dataset.ticket === currentId) {
          row.classList.add("is-current");
          if (hadFocus) row.querySelector(".ticket-row__link").focus({ preventScroll: true });
        }
      });
      restoreSelection();
      M.emit({ type: "local.list-loaded" });
      if (fresh && doc.hidden) {
        unseen += fresh;
        doc.title = "(" + unseen + ") " + baseTitle;
      }
    }).finally(function () {
      if (mine === listSeq) container.setAttribute("aria-busy", "false");
    });
  }

  var refreshList = M.refresher(function () {
    var container = M.ticketList();
    return container ? loadList(listUrl(container), true) : null;
  });
  M.refreshList = refreshList;

  ["ticket.created", "message.created", "ticket.updated", "delivery.updated"].forEach(function (type) {
    M.on(type, function () { if (M.ticketList()) refreshList(); });
  });
  M.onOpen(function () { if (M.ticketList()) refreshList(); });

  doc.addEventListener("visibilitychange", function () {
    if (!doc.hidden && unseen) { unseen = 0; doc.title = baseTitle; }
  });

  // ------------------------------------------------------------------ search
  var SEARCH_DEBOUNCE_MS = 250;

  function setupSearch() {
    var form = doc.querySelector("[data-inbox-search]");
    var container = M.ticketList();
    if (!form || !container) return;
    var input = form.elements.q;
    var timer = null;

    function run() {
      window.clearTimeout(timer);
      timer = null;
      var query = input.value.trim();
      var holder = listHolder(container);
      if (!wantedUrl && holder && holder.dataset.inboxQuery === query) return;
      var params = new URLSearchParams();
      if (query) params.set("q", query);
      params.set("view", form.elements.view.value);
      var url = container.dataset.url + "?" + params.toString();
      wantedUrl = url;
      // Replace, not push: one history entry per search, not one per keystroke.
      window.history.replaceState(window.history.state, "", url);
      loadList(url, false);
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(run, SEARCH_DEBOUNCE_MS);
    }

    // While a Japanese IME is composing, the text is not what the agent means yet.
    input.addEventListener("input", function (event) { if (!event.isComposing) later(); });
    input.addEventListener("compositionend", later);
    form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
    input.addEventListener("keydown", function (event) {
      if (event.isComposing || event.keyCode === 229) return;
      if (event.key === "Escape") {
        event.preventDefault();
        if (input.value) { input.value = ""; run(); } else input.blur();
      } else if (event.key === "ArrowDown" && doc.querySelector(".ticket-row")) {
        event.preventDefault();
        moveSelection(1);
      }
    });
    doc.addEventListener("click", function (event) {
      if (!event.target.closest("[data-search-clear]")) return;
      event.preventDefault();
      input.value = "";
      run();
      input.focus();
    });
    if (window.htmx) {
      // A view tab was clicked: that list replaces any search, and the box says so.
      doc.body.addEventListener("htmx:beforeRequest", function (event) {
        if (event.detail.target && event.detail.target.id === "ticket-list") {
          listSeq += 1;
          wantedUrl = null;
          window.clearTimeout(timer);
          input.value = "";
        }
      });
      doc.body.addEventListener("htmx:afterSwap", function (event) {
        if (!event.detail.target || event.detail.target.id !== "ticket-list") return;
        var holder = listHolder(container);
        if (holder && holder.dataset.inboxView) form.elements.view.value = holder.dataset.inboxView;
        restoreSelection();
        var first = doc.querySelector(".view-tabs [aria-current]");
        if (first) first.focus({ preventScroll: true });
      });
    }
    M.key("/", function () { input.focus(); input.select(); return true; });
  }

  // ------------------------------------------------------------------ keyboard selection
  function moveSelection(step) {
    var rows = Array.prototype.slice.call(doc.querySelectorAll(".ticket-row"));
    if (!rows.length) return;
    var current = currentRow();
    var index = current ? rows.indexOf(current) + step : step > 0 ? 0 : rows.length - 1;
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current) current.classList.remove("is-current");
    var row = rows[index];
    row.classList.add("is-current");
    row.querySelector(".ticket-row__link").focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function onList(fn) { return function (event) { return M.ticketList() ? fn(event) : false; }; }
  M.key("j", onList(function () { moveSelection(1); return true; }));
  M.key("ArrowDown", onList(function () { moveSelection(1); return true; }));
  M.key("k", onList(function () { moveSelection(-1); return true; }));
  M.key("ArrowUp", onList(function () { moveSelection(-1); return true; }));
  function openCurrent(event) {
    var row = currentRow();
    var idle = !doc.activeElement || doc.activeElement === doc.body;
    if (!row || (event.key === "Enter" && !idle)) return false;
    window.location.href = row.querySelector(".ticket-row__link").href;
    return true;
  }
  M.key("o", openCurrent);
  M.key("Enter", openCurrent);
  M.key("x", onList(function () {
    var row = currentRow();
    if (!row) return false;
    var box = row.querySelector("[data-select-ticket]");
    box.checked = !box.checked;
    box.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }));

  // g then 1–9: jump to that view tab.
  var gPressed = 0;
  M.key("g", onList(function () { gPressed = Date.now(); return true; }));
  "123456789".split("").forEach(function (digit) {
    M.key(digit, onList(function () {
      if (Date.now() - gPressed > 1500) return false;
      gPressed = 0;
      var tab = doc.querySelectorAll(".view-tabs a")[Number(digit) - 1];
      if (tab) tab.click();
      return !!tab;
    }));
  });

  // Mouse and keyboard share one selection: clicking or tabbing to a row selects it.
  doc.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest(".ticket-row");
    if (!row) return;
    var current = currentRow();
    if (current && current !== row) current.classList.remove("is-current");
    row.classList.add("is-current");
  });

  // ------------------------------------------------------------------ bulk changes
  function bulkForm() { return doc.querySelector("[data-bulk]"); }

  function selectedIds() { return Object.keys(selected).filter(function (id) { return selected[id]; }); }

  function restoreSelection() {
    doc.querySelectorAll("[data-select-ticket]").forEach(function (box) {
      box.checked = !!selected[box.value];
      box.closest(".ticket-row").classList.toggle("is-selected", box.checked);
    });
    updateBulkBar();
  }

  function updateBulkBar() {
    var form = bulkForm();
    if (!form) return;
    var ids = selectedIds();
    form.hidden = ids.length === 0;
    form.querySelector("[data-bulk-ids]").value = ids.join(",");
    var count = form.querySelector("[data-bulk-count]");
    count.textContent = M.format(count.dataset.label, { count: ids.length });
    var merge = form.querySelector("[data-bulk-merge]");
    var list = M.ticketList();
    merge.hidden = ids.length !== 2;
    if (ids.length === 2 && list) {
      // The older ticket goes into the newer one by default; the confirm page shows both.
      var sorted = ids.map(Number).sort(function (a, b) { return a - b; });
      merge.href = list.dataset.mergeUrl.replace("/0/", "/" + sorted[0] + "/") + "?into=" + sorted[1];
    }
  }

  doc.addEventListener("change", function (event) {
    var box = event.target.closest && event.target.closest("[data-select-ticket]");
    if (!box) return;
    selected[box.value] = box.checked;
    box.closest(".ticket-row").classList.toggle("is-selected", box.checked);
    updateBulkBar();
  });
  doc.addEventListener("click", function (event) {
    if (!event.target.closest("[data-bulk-clear]")) return;
    selected = {};
    restoreSelection();
  });

  setupSearch();
  restoreSelection();
})();
