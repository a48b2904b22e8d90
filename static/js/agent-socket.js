// The live socket /ws/agent/: reconnects with backoff, pings to notice dead links, and hands
// every event to the modules through Madoguchi.emit. Loaded last, after they subscribed.
(function () {
  "use strict";
  var M = window.Madoguchi, doc = document;

  var MAX_BACKOFF_MS = 30000;
  var PING_EVERY_MS = 25000;
  var PONG_TIMEOUT_MS = 10000;
  var socket = null, attempt = 0, retryTimer = null, pingTimer = null, pongTimer = null;
  var liveState = "connecting", opens = 0;

  function setState(state) {
    liveState = state;
    // Looked up each time: htmx's history restore replaces the page's elements.
    var statusEl = doc.getElementById("live-status");
    if (!statusEl) return;
    statusEl.dataset.liveState = state;
    var key = "label" + state.charAt(0).toUpperCase() + state.slice(1);
    if (statusEl.dataset[key]) statusEl.textContent = statusEl.dataset[key];
  }

  M.send = function (frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  };

  M.on("pong", function () { window.clearTimeout(pongTimer); });

  function stopPing() {
    window.clearInterval(pingTimer);
    window.clearTimeout(pongTimer);
  }

  function startPing() {
    stopPing();
    pingTimer = window.setInterval(function () {
      if (!M.send({ v: 1, type: "ping" })) return;
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
      // Whatever changed between rendering this page and the socket opening sent its event to
      // nobody: the modules re-read what is on screen.
      M.opened(opens);
    });
    socket.addEventListener("message", function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      if (event && event.v === 1 && typeof event.type === "string") M.emit(event);
    });
    socket.addEventListener("close", function (close) {
      stopPing();
      socket = null;
      if (close.code === 4403) { setState("offline"); return; } // signed out or not staff
      scheduleReconnect();
    });
  }

  window.addEventListener("online", function () { if (!socket) reconnectNow(); });
  doc.addEventListener("visibilitychange", function () {
    if (!doc.hidden && !socket) reconnectNow();
  });
  if (window.htmx) {
    doc.body.addEventListener("htmx:historyRestore", function () { setState(liveState); });
  }
  connect();
})();
