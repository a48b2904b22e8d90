// SLA on the agent's socket: warnings and breaches refresh the inbox list (its SLA badges), and
// the manager's "Now" dashboard re-fetches its panel as soon as open work changes (polling
// stays as the fallback when the socket is down).
(function () {
  "use strict";
  var M = window.Madoguchi, doc = document;
  if (!M) return;

  var refreshNow = M.refresher(function () {
    var panel = doc.getElementById("now-panel");
    if (panel && window.htmx) window.htmx.trigger(panel, "sla-refresh");
  });

  ["sla.warning", "sla.breached"].forEach(function (type) {
    M.on(type, function () {
      if (M.ticketList() && M.refreshList) M.refreshList();
      refreshNow();
    });
  });
  ["ticket.created", "message.created", "ticket.updated"].forEach(function (type) {
    M.on(type, refreshNow);
  });

  // A warning or breach on a ticket this agent must act on (assignee, team manager): a notice
  // with a link, written by the server in the agent's language, until they dismiss it.
  function flashStack() {
    var stack = doc.querySelector(".flash-stack");
    if (!stack) {
      stack = doc.createElement("ul");
      stack.className = "flash-stack";
      stack.setAttribute("role", "status");
      stack.setAttribute("aria-live", "polite");
      doc.body.appendChild(stack);
    }
    return stack;
  }
  M.on("sla.alert", function (event) {
    if (!event || !event.text) return;
    var item = doc.createElement("li");
    item.className = "flash " + (event.breached ? "flash--error" : "flash--warning");
    item.dataset.slaAlert = String(event.ticket);
    var link = doc.createElement("a");
    link.className = "flash__text";
    link.href = event.url || "#";
    link.textContent = event.text;  // text, never HTML: the subject comes from a customer
    var close = doc.createElement("button");
    close.type = "button";
    close.className = "flash__close";
    close.setAttribute("aria-label", event.dismiss || "×");
    close.textContent = "×";
    close.addEventListener("click", function () { item.remove(); });
    item.appendChild(link);
    item.appendChild(close);
    var stack = flashStack();
    var old = stack.querySelector('[data-sla-alert="' + String(Number(event.ticket)) + '"]');
    if (old) old.remove();  // the breach replaces the warning for the same ticket
    stack.appendChild(item);
  });
})();
