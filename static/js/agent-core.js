// The agent workspace, shared pieces: a tiny event bus, partial fetching, coalesced refreshes,
// keyboard registry. The other agent-*.js files hang off window.Madoguchi; agent-socket.js,
// loaded last, connects /ws/agent/ and feeds events into the bus. No framework.
//
// Events are small versioned JSON ({"v": 1, "type": "message.created", "ticket": 12, ...}).
// They only say *that* something changed; pages re-fetch the server-rendered partial, so what
// the agent sees is always what the server would render on a reload.
(function () {
  "use strict";

  var handlers = {};
  var openHooks = [];
  var keys = {};
  var FRESH_MS = 4000;

  var M = {
    doc: document,

    // Subscribe to socket events by type ("*" for every event).
    on: function (type, fn) { (handlers[type] = handlers[type] || []).push(fn); },
    emit: function (event) {
      (handlers[event.type] || []).concat(handlers["*"] || []).forEach(function (fn) {
        try { fn(event); } catch (error) { if (window.console) console.error(error); }
      });
    },
    // Called each time the socket (re)opens, with the number of opens so far.
    onOpen: function (fn) { openHooks.push(fn); },
    opened: function (count) { openHooks.forEach(function (fn) { fn(count); }); },

    // Send a frame on the socket if it is open (set by agent-socket.js).
    send: function () { return false; },

    // Single-key shortcuts: fn(event) returns true when it handled the key.
    key: function (name, fn) { (keys[name] = keys[name] || []).push(fn); },
    keyHandlers: function (name) { return keys[name] || []; },

    ticketList: function () { return document.getElementById("ticket-list"); },
    ticketPage: function () { return document.querySelector("[data-ticket-id]"); },

    isTyping: function (target) {
      if (!target || !target.closest) return false;
      return !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
    },

    markFresh: function (element) {
      element.classList.remove("is-fresh");
      void element.offsetWidth; // restart the animation when marked twice in a row
      element.classList.add("is-fresh");
      window.setTimeout(function () { element.classList.remove("is-fresh"); }, FRESH_MS);
    },

    fetchPartial: function (url) {
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
    },

    fetchJson: function (url) {
      return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (response.redirected || response.status === 401 || response.status === 403) {
            window.location.reload();
            return null;
          }
          return response.ok ? response.json() : null;
        });
    },

    // Coalesce bursts of events into one request, and never run two at once.
    refresher: function (run) {
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
    },

    // "{names} viewing" → "Aiko, Ken viewing": labels come translated from data attributes
    // (braces, not %(name)s: a % in a template's translate tag would reach the page doubled).
    format: function (template, values) {
      return String(template || "").replace(/\{(\w+)\}/g, function (_, key) {
        return values[key] === undefined ? "" : String(values[key]);
      });
    },
  };

  window.Madoguchi = M;
})();
