// The agent workspace: live updates over /ws/agent/ and keyboard navigation. No framework.
//
// Events are small versioned JSON ({"v": 1, "type": "message.created", "ticket": 12, ...}).
// They only say *that* something changed; the page re-fetches the server-rendered partial,
// so what the agent sees is always what the server would render on a reload.
(function () {
  "use strict";

  var REFRESH_TYPES = ["ticket.created", "message.created", "ticket.updated", "delivery.updated"];
  var MAX_BACKOFF_MS = 30000;
  var PING_EVERY_MS = 25000;
  var PONG_TIMEOUT_MS = 10000;
  var FRESH_MS = 4000;

  var doc = document;

  function ticketList() { return doc.getElementById("ticket-list"); }
  function ticketPage() { return doc.querySelector("[data-ticket-id]"); }

  function markFresh(element) {
    element.classList.remove("is-fresh");
    void element.offsetWidth; // restart the animation when marked twice in a row
    element.classList.add("is-fresh");
    window.setTimeout(function () { element.classList.remove("is-fresh"); }, FRESH_MS);
  }

  function fetchPartial(url) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { "HX-Request": "true", "Accept": "text/html" },
    }).then(function (response) {
      // A redirect here means the session ended (login page): let a full load show it.
      if (response.redirected || response.status === 401 || response.status === 403) {
        window.location.reload();
        return null;
      }
      return response.ok ? response.text() : null;
    });
  }

  // Coalesce bursts of events into one request, and never run two at once.
  function refresher(run) {
    var timer = null, running = false, again = false;
    function go() {
      timer = null;
      if (running) { again = true; return; }
      running = true;
      Promise.resolve().then(run).catch(function () {}).then(function () {
        running = false;
        if (again) { again = false; schedule(); }
      });
    }
    function schedule() { if (!timer) timer = window.setTimeout(go, 250); }
    return schedule;
  }

  // ------------------------------------------------------------------ the inbox list
  var unseen = 0;
  var baseTitle = doc.title;

  function rowStamps(container) {
    var stamps = {};
    container.querySelectorAll(".ticket-row").forEach(function (row) {
      stamps[row.dataset.ticket] = row.dataset.stamp;
    });
    return stamps;
  }

  function currentRow() { return doc.querySelector(".ticket-row.is-current"); }

  // Every list load takes a number; only the newest may replace the list, so a slow answer to
  // an older search (or a live refresh) never overwrites the results of the latest one.
  var listSeq = 0;
  // The list a search asked for, until its answer is on screen: live refreshes fetch that too.
  var wantedUrl = null;

  function listHolder(container) { return container.querySelector("[data-inbox-view]"); }

  function listKey(container) {
    var holder = listHolder(container);
    return holder ? holder.dataset.inboxView + "|" + holder.dataset.inboxQuery : "";
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
    }
    return container.dataset.url + "?" + params.toString();
  }

  function loadList(url, markChanges) {
    var container = ticketList();
    if (!container) return null;
    var mine = ++listSeq;
    container.setAttribute("aria-busy", "true");
    return fetchPartial(url).then(function (html) {
      if (html === null || mine !== listSeq) return;
      if (wantedUrl === url) wantedUrl = null;
      var beforeKey = listKey(container);
      var before = rowStamps(container);
      var selected = currentRow();
      var selectedId = selected ? selected.dataset.ticket : null;
      var hadFocus = selected && selected.contains(doc.activeElement);
      container.innerHTML = html;
      if (window.htmx) window.htmx.process(container);
      // A different search or view is not "news": only mark rows that changed in place.
      var sameList = markChanges && beforeKey === listKey(container);
      var fresh = 0;
      container.querySelectorAll(".ticket-row").forEach(function (row) {
        if (sameList && before[row.dataset.ticket] !== row.dataset.stamp) { markFresh(row); fresh += 1; }
        if (row.dataset.ticket === selectedId) {
          row.classList.add("is-current");
          if (hadFocus) row.querySelector("a").focus({ preventScroll: true });
        }
      });
      if (fresh && doc.hidden) {
        unseen += fresh;
        doc.title = "(" + unseen + ") " + baseTitle;
      }
    }).finally(function () {
      if (mine === listSeq) container.setAttribute("aria-busy", "false");
    });
  }

  var refreshList = refresher(function () {
    var container = ticketList();
    return container ? loadList(listUrl(container), true) : null;
  });

  // ------------------------------------------------------------------ search
  var SEARCH_DEBOUNCE_MS = 250;

  function searchInput() {
    var form = doc.querySelector("[data-inbox-search]");
    return form ? form.elements.q : null;
  }

  function setupSearch() {
    var form = doc.querySelector("[data-inbox-search]");
    var container = ticketList();
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
        var holder = event.detail.target && event.detail.target.id === "ticket-list" && listHolder(container);
        if (holder && holder.dataset.inboxView) form.elements.view.value = holder.dataset.inboxView;
      });
    }
  }

  function focusSearch() {
    var input = searchInput();
    if (!input) return false;
    input.focus();
    input.select();
    return true;
  }

  doc.addEventListener("visibilitychange", function () {
    if (!doc.hidden && unseen) { unseen = 0; doc.title = baseTitle; }
    if (!doc.hidden && socket && socket.readyState === WebSocket.CLOSED) reconnectNow();
  });

  // ------------------------------------------------------------------ the ticket page
  function scroller() { return doc.getElementById("timeline-scroll"); }

  function scrollToLatest() {
    var box = scroller();
    if (box && box.scrollHeight > box.clientHeight) box.scrollTop = box.scrollHeight;
  }

  var refreshTimeline = refresher(function () {
    var page = ticketPage();
    var timeline = doc.getElementById("timeline");
    if (!page || !timeline) return null;
    var box = scroller();
    var atBottom = !box || box.scrollHeight - box.scrollTop - box.clientHeight < 60;
    var known = {};
    timeline.querySelectorAll("[data-message]").forEach(function (m) { known[m.dataset.message] = true; });
    return fetchPartial(page.dataset.timelineUrl).then(function (html) {
      if (html === null) return;
      timeline.innerHTML = html;
      timeline.querySelectorAll("[data-message]").forEach(function (m) {
        if (!known[m.dataset.message]) markFresh(m);
      });
      if (atBottom) scrollToLatest();
    });
  });

  // Someone else changed this ticket: bring its header and (unless being edited) properties up to date.
  var refreshTicketChrome = refresher(function () {
    var page = ticketPage();
    if (!page) return null;
    return fetch(window.location.pathname, { credentials: "same-origin" }).then(function (response) {
      return response.ok && !response.redirected ? response.text() : null;
    }).then(function (html) {
      if (!html) return;
      var fresh = new DOMParser().parseFromString(html, "text/html");
      var swap = function (selector) {
        var now = doc.querySelector(selector), next = fresh.querySelector(selector);
        if (now && next) now.replaceWith(doc.importNode(next, true));
      };
      swap(".ticket-head__meta");
      var props = doc.querySelector("[data-props]");
      if (props && !props.classList.contains("is-dirty") && !props.contains(doc.activeElement)) {
        swap("[data-props]");
        watchProperties();
      }
    });
  });

  function watchProperties() {
    var form = doc.querySelector("[data-props]");
    if (!form) return;
    var initial = new URLSearchParams(new FormData(form)).toString();
    var check = function () {
      form.classList.toggle("is-dirty", new URLSearchParams(new FormData(form)).toString() !== initial);
    };
    form.addEventListener("input", check);
    form.addEventListener("change", check);
  }

  function setupComposer() {
    var form = doc.getElementById("reply-form");
    if (!form) return;
    var body = form.querySelector("textarea");
    var initial = body.value;
    var sending = false;
    form.addEventListener("submit", function () { sending = true; });
    body.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      } else if (event.key === "Escape") {
        body.blur();
      }
    });
    // Losing a half-written answer to a stray click hurts: ask first.
    window.addEventListener("beforeunload", function (event) {
      if (!sending && body.value.trim() && body.value !== initial) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    if (form.querySelector(".errorlist, .form-errors")) body.focus();
  }

  function focusComposer(mode) {
    var form = doc.getElementById("reply-form");
    if (!form) return false;
    var radio = form.querySelector(mode === "note" ? "#mode-note" : "#mode-reply");
    if (radio && !radio.disabled) radio.checked = true;
    var body = form.querySelector("textarea");
    body.focus();
    body.setSelectionRange(body.value.length, body.value.length);
    return true;
  }

  // ------------------------------------------------------------------ keyboard
  function isTyping(target) {
    if (!target || !target.closest) return false;
    return !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
  }

  function moveSelection(step) {
    var rows = Array.prototype.slice.call(doc.querySelectorAll(".ticket-row"));
    if (!rows.length) return;
    var current = currentRow();
    var index = current ? rows.indexOf(current) + step : step > 0 ? 0 : rows.length - 1;
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current) current.classList.remove("is-current");
    var row = rows[index];
    row.classList.add("is-current");
    var link = row.querySelector("a");
    link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  doc.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (isTyping(event.target)) return;
    var dialog = doc.getElementById("kbd-help");
    if (dialog && dialog.open) return;
    var handled = true;
    switch (event.key) {
      case "j": case "ArrowDown":
        if (ticketList()) moveSelection(1); else handled = false;
        break;
      case "k": case "ArrowUp":
        if (ticketList()) moveSelection(-1); else handled = false;
        break;
      case "o": case "Enter": {
        var row = currentRow();
        var idle = !doc.activeElement || doc.activeElement === doc.body;
        if (row && (event.key === "o" || idle)) {
          window.location.href = row.querySelector("a").href;
        } else handled = false;
        break;
      }
      case "r": handled = focusComposer("reply"); break;
      case "n": handled = focusComposer("note"); break;
      case "u": {
        var back = doc.querySelector("[data-back]");
        if (back) window.location.href = back.href; else handled = false;
        break;
      }
      case "/": handled = focusSearch(); break;
      case "?":
        if (dialog && dialog.showModal) dialog.showModal(); else handled = false;
        break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  doc.addEventListener("click", function (event) {
    if (event.target.closest("[data-kbd-help]")) {
      var dialog = doc.getElementById("kbd-help");
      if (dialog && dialog.showModal) dialog.showModal();
    }
  });

  // Mouse and keyboard share one selection: clicking or tabbing to a row selects it.
  doc.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest(".ticket-row");
    if (!row) return;
    var current = currentRow();
    if (current && current !== row) current.classList.remove("is-current");
    row.classList.add("is-current");
  });

  // ------------------------------------------------------------------ the live socket
  var socket = null, attempt = 0, retryTimer = null, pingTimer = null, pongTimer = null;

  var liveState = "connecting";
  function setState(state) {
    liveState = state;
    // Looked up each time: htmx's history restore replaces the page's elements.
    var statusEl = doc.getElementById("live-status");
    if (!statusEl) return;
    statusEl.dataset.liveState = state;
    var key = "label" + state.charAt(0).toUpperCase() + state.slice(1);
    if (statusEl.dataset[key]) statusEl.textContent = statusEl.dataset[key];
  }

  function handleEvent(event) {
    if (!event || event.v !== 1) return;
    if (event.type === "pong") { window.clearTimeout(pongTimer); return; }
    if (REFRESH_TYPES.indexOf(event.type) === -1) return;
    if (ticketList()) refreshList();
    var page = ticketPage();
    if (page && String(event.ticket) === page.dataset.ticketId) {
      refreshTimeline();
      if (event.type === "ticket.updated" || event.type === "message.created") refreshTicketChrome();
    }
  }

  var opens = 0;
  function catchUp() {
    // Events sent while we were away are gone: re-read what is on screen.
    if (ticketList()) refreshList();
    if (ticketPage()) {
      refreshTimeline();
      if (opens > 1) refreshTicketChrome(); // the first open follows a fresh render
    }
  }

  function stopPing() {
    window.clearInterval(pingTimer);
    window.clearTimeout(pongTimer);
  }

  function startPing() {
    stopPing();
    pingTimer = window.setInterval(function () {
      if (!socket || socket.readyState !== WebSocket.OPEN) return;
      socket.send(JSON.stringify({ v: 1, type: "ping" }));
      window.clearTimeout(pongTimer);
      pongTimer = window.setTimeout(function () { if (socket) socket.close(); }, PONG_TIMEOUT_MS);
    }, PING_EVERY_MS);
  }

  function scheduleReconnect() {
    setState("reconnecting");
    var delay = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, attempt));
    delay = delay * (0.75 + Math.random() * 0.5); // jitter: a restarted server is not stampeded
    attempt += 1;
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(connect, delay);
  }

  function reconnectNow() {
    window.clearTimeout(retryTimer);
    attempt = 0;
    connect();
  }

  function connect() {
    if (!("WebSocket" in window)) { setState("offline"); return; }
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    try {
      socket = new WebSocket(scheme + "//" + window.location.host + "/ws/agent/");
    } catch (error) {
      scheduleReconnect();
      return;
    }
    socket.addEventListener("open", function () {
      attempt = 0;
      setState("live");
      startPing();
      opens += 1;
      // Whatever changed between rendering this page and the socket opening (a reply's
      // delivery finishing, a new ticket) sent its event to nobody: re-read once.
      catchUp();
    });
    socket.addEventListener("message", function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      handleEvent(event);
    });
    socket.addEventListener("close", function (close) {
      stopPing();
      socket = null;
      if (close.code === 4403) { setState("offline"); return; } // signed out or not staff
      scheduleReconnect();
    });
  }

  window.addEventListener("online", function () {
    if (!socket) reconnectNow();
  });

  // ------------------------------------------------------------------ start
  if (window.htmx) {
    doc.body.addEventListener("htmx:historyRestore", function () { setState(liveState); });
    doc.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target && event.detail.target.id === "ticket-list") {
        var first = doc.querySelector(".view-tabs [aria-current]");
        if (first) first.focus({ preventScroll: true });
      }
    });
  }
  scrollToLatest();
  setupSearch();
  setupComposer();
  watchProperties();
  connect();
})();
