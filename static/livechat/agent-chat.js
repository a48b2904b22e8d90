// Ticket page, chat tickets: the visitor's typing / presence / reads arrive here, and the
// agent's typing, reads and plain replies leave, over /ws/chat/agent/<ticket>/ (frames in
// livechat/PROTOCOL.md).
(function () {
  "use strict";
  if (window.__madoguchiAgentChat) { window.__madoguchiAgentChat(); return; }

  var socket = null, panel = null, ticket = null, attempt = 0, typingTimer = 0, lastTyping = 0;
  var typingHide = 0;

  function send(frame) {
    frame.v = 1;
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function setTyping(on, preview) {
    var node = panel && panel.querySelector("[data-livechat-typing]");
    if (!node) return;
    window.clearTimeout(typingHide);
    node.hidden = !on;
    node.textContent = panel.dataset.labelTyping + (preview ? " “" + preview + "”" : "");
    // A visitor who closed the tab mid-sentence sends no "stopped": hide it after a while.
    if (on) typingHide = window.setTimeout(function () { node.hidden = true; }, 8000);
  }

  function setPresence(online) {
    var node = panel && panel.querySelector("[data-livechat-presence]");
    if (!node) return;
    node.textContent = online ? panel.dataset.labelOnline : panel.dataset.labelOffline;
    node.classList.toggle("badge--ok", online);
    node.classList.toggle("badge--off", !online);
  }

  function onFrame(frame) {
    if (frame.type === "reply_ack" || (frame.type === "error" && frame.id)) onReplyFrame(frame);
    else if (frame.type === "typing") setTyping(frame.typing, frame.preview);
    else if (frame.type === "presence") setPresence(frame.online);
    else if (frame.type === "ended") {
      var ended = panel && panel.querySelector("[data-livechat-ended]");
      var button = panel && panel.querySelector("[data-livechat-end]");
      if (ended) {
        ended.hidden = false;
        ended.textContent = frame.by === "agent" ? panel.dataset.labelEndedAgent
          : panel.dataset.labelEndedVisitor;
      }
      if (button) button.hidden = true;
    } else if (frame.type === "read") {
      var seen = panel && panel.querySelector("[data-livechat-seen]");
      if (seen) { seen.hidden = false; seen.textContent = panel.dataset.labelSeen; }
    }
  }

  function markRead() {
    if (!document.hidden) send({ type: "read" });
  }

  function connect() {
    if (!panel || !("WebSocket" in window)) return;
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var current = new WebSocket(scheme + "//" + window.location.host + "/ws/chat/agent/" + ticket + "/");
    socket = current;
    current.addEventListener("open", function () {
      attempt = 0;
      if (panel) panel.dataset.connected = "";
      markRead();
      Object.keys(pending).forEach(sendReply);
      // The side panels arrive after the page: an agent who began typing before the socket
      // opened is shown to the visitor now rather than at the next keystroke after 2.5 s.
      var box = composer();
      if (box && box.value && document.activeElement === box && isReplyMode()) {
        lastTyping = 0;
        onInput();
      }
    });
    current.addEventListener("message", function (event) {
      try { onFrame(JSON.parse(event.data)); } catch (error) { /* not ours to break on */ }
    });
    current.addEventListener("close", function (event) {
      if (socket !== current) return; // replaced on purpose: the new socket is in charge
      socket = null;
      if (panel) delete panel.dataset.connected;
      if (event.code === 4403 || event.code === 4404 || !panel) return;
      attempt += 1;
      window.setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, attempt)));
    });
  }

  function composer() { return document.querySelector("#reply-form textarea"); }

  function onInput() {
    var now = Date.now();
    if (now - lastTyping > 2500) { lastTyping = now; send({ type: "typing", typing: true }); }
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(stopTyping, 4000);
  }

  function stopTyping() {
    window.clearTimeout(typingTimer);
    if (lastTyping) { lastTyping = 0; send({ type: "typing", typing: false }); }
  }

  function isReplyMode() {
    var note = document.getElementById("mode-note");
    return !(note && note.checked); // internal notes are nobody's business but ours
  }

  document.addEventListener("input", function (event) {
    if (event.target === composer() && isReplyMode()) onInput();
  });
  // A plain public reply (text only: no note, files, macros or status pick) goes over the
  // socket: stored in one statement and pushed to the visitor at once, without the page
  // reloading. Anything else — or any refusal (`use_form`: the chat ended, a colleague answered
  // meanwhile) — is sent by the form as before, which explains itself. A reply whose ack was
  // lost with the socket is sent again under the same id on reconnect: stored once.
  var pending = {};

  function plainReply(form) {
    if (!socket || socket.readyState !== WebSocket.OPEN || !isReplyMode()) return false;
    var box = composer();
    if (!box || !box.value.trim()) return false;
    var files = form.querySelector("input[type=file]");
    if (files && files.files && files.files.length) return false;
    var macros = form.querySelector("[data-macro-ids]");
    if (macros && macros.value) return false;
    var status = form.querySelector("select[name=status]");
    if (status && status.value) return false;
    return !form.querySelector("input[name=send_anyway]");
  }

  function sendReply(id) {
    var item = pending[id];
    send({ type: "reply", id: id, text: item.text, seen: item.seen });
  }

  function viaForm(form) {
    form.dataset.viaForm = "1";
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function onReplyFrame(frame) {
    var item = pending[frame.id];
    if (!item) return;
    delete pending[frame.id];
    var form = document.getElementById("reply-form");
    if (frame.type === "error") { if (form) viaForm(form); return; }
    var box = composer();
    if (box && box.value === item.raw) {
      box.value = "";
      box.dispatchEvent(new Event("input", { bubbles: true }));
    }
    var seen = form && form.querySelector("[data-seen-message]");
    if (seen && frame.message && frame.message.id > Number(seen.value || 0)) {
      seen.value = frame.message.id;
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.id !== "reply-form") return;
    stopTyping();
    if (form.dataset.viaForm) { delete form.dataset.viaForm; return; }
    if (!plainReply(form)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var box = composer();
    for (var key in pending) { if (pending[key].raw === box.value) return; } // sent already
    var seen = form.querySelector("[data-seen-message]");
    var id = "r" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
    pending[id] = { raw: box.value, text: box.value.trim(), seen: seen ? seen.value : "" };
    sendReply(id);
  }, true);
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-livechat-end]");
    if (button && panel && panel.contains(button)) send({ type: "end" });
  });
  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("focus", markRead);
  document.body.addEventListener("htmx:afterSwap", markRead);

  function start() {
    var found = document.querySelector("[data-livechat-panel]");
    if (found === panel) return;
    // The side panels are fetched, and may be fetched again, after the page: a new panel of
    // the same chat keeps the socket, so no visitor frame is lost while it reconnects.
    var same = found && socket && found.dataset.ticket === ticket;
    panel = found;
    if (same) {
      if (socket.readyState === WebSocket.OPEN) panel.dataset.connected = "";
      return;
    }
    if (socket) { var old = socket; socket = null; old.close(); }
    if (panel) { ticket = panel.dataset.ticket; connect(); }
  }
  window.__madoguchiAgentChat = start;
  start();
})();
