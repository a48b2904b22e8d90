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
})();
