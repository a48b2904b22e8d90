// Presence: this page tells the socket which ticket the agent is on (viewing, typing) and shows
// who else is — above the composer on the ticket page, as small chips on inbox rows.
(function () {
  "use strict";
  var M = window.Madoguchi, doc = document;

  var HEARTBEAT_MS = 20000;
  var TYPING_EVERY_MS = 3000;
  var TYPING_FADE_MS = 8000;
  var page = M.ticketPage();
  var ticketId = page ? Number(page.dataset.ticketId) : null;
  var me = page ? page.dataset.me : null;
  var lastTyping = 0, heartbeat = null, state = "viewing", fade = null;

  function announce(next) {
    if (!ticketId) return;
    state = next;
    M.send({ v: 1, type: "presence", ticket: ticketId, state: next });
  }

  if (ticketId) {
    M.onOpen(function () {
      announce("viewing");
      window.clearInterval(heartbeat);
      heartbeat = window.setInterval(function () { announce(state); }, HEARTBEAT_MS);
    });
    M.on("local.typing", function () {
      var now = Date.now();
      if (now - lastTyping > TYPING_EVERY_MS) { lastTyping = now; announce("typing"); }
      window.clearTimeout(fade);
      fade = window.setTimeout(function () { announce("viewing"); }, TYPING_FADE_MS);
    });
    window.addEventListener("pagehide", function () { announce("left"); });
  }

  function chip(viewer) {
    var span = doc.createElement("span");
    span.className = "presence-chip presence-chip--" + viewer.state;
    span.title = viewer.name;
    span.textContent = (viewer.name || "?").charAt(0);
    return span;
  }

  function renderBar(viewers) {
    var bar = doc.getElementById("presence-bar");
    if (!bar) return;
    bar.textContent = "";
    var typing = [], viewing = [];
    viewers.forEach(function (viewer) {
      bar.appendChild(chip(viewer));
      (viewer.state === "typing" ? typing : viewing).push(viewer.name);
    });
    var text = doc.createElement("span");
    text.className = "presence-bar__text";
    var parts = [];
    if (typing.length) parts.push(M.format(bar.dataset.labelTyping, { names: typing.join(", ") }));
    if (viewing.length) parts.push(M.format(bar.dataset.labelViewing, { names: viewing.join(", ") }));
    text.textContent = parts.join(" · ");
    bar.appendChild(text);
    bar.classList.toggle("is-typing", typing.length > 0);
  }

  function renderRow(ticket, viewers) {
    var holder = doc.querySelector("[data-presence-for='" + ticket + "']");
    if (!holder) return;
    holder.textContent = "";
    viewers.forEach(function (viewer) { holder.appendChild(chip(viewer)); });
  }

  M.on("presence", function (event) {
    var others = (event.viewers || []).filter(function (viewer) { return String(viewer.id) !== me; });
    if (ticketId && event.ticket === ticketId) renderBar(others);
    renderRow(event.ticket, event.viewers || []);
  });

  // The server-rendered bar already lists who was there; give it the same wording.
  var bar = doc.getElementById("presence-bar");
  if (bar && bar.querySelector(".presence-chip")) {
    renderBar(Array.prototype.map.call(bar.querySelectorAll(".presence-chip"), function (el) {
      return { name: el.title, state: el.classList.contains("presence-chip--typing") ? "typing" : "viewing" };
    }));
  }
})();
