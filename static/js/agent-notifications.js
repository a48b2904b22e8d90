// The bell: unread count in the header, the list when opened, live on the agent's own socket.
(function () {
  "use strict";
  var M = window.Madoguchi, doc = document;

  var bell = doc.querySelector("[data-bell]");
  if (!bell) return;
  var panel = bell.querySelector("[data-bell-panel]");
  var count = bell.querySelector("[data-bell-count]");

  function setCount(n) {
    count.textContent = String(n);
    count.hidden = !n;
  }

  var reload = M.refresher(function () {
    return M.fetchPartial(panel.dataset.url).then(function (html) {
      if (html === null) return;
      panel.innerHTML = html;
      if (window.htmx) window.htmx.process(panel);
      var inner = panel.querySelector("[data-unread]");
      if (inner) setCount(Number(inner.dataset.unread));
    });
  });

  bell.addEventListener("toggle", function () { if (bell.open) reload(); });
  M.on("notification.created", function () { setCount(Number(count.textContent || 0) + 1); reload(); });
  M.on("notification.read", reload);
  // "Mark all read" swaps the panel through htmx: take the new count from it.
  doc.body.addEventListener("htmx:afterSwap", function (event) {
    if (!panel.contains(event.detail.target) && event.detail.target !== panel) return;
    var inner = panel.querySelector("[data-unread]");
    if (inner) setCount(Number(inner.dataset.unread));
  });
  doc.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && bell.open) { bell.open = false; bell.querySelector("summary").focus(); }
  });
  doc.addEventListener("click", function (event) {
    if (bell.open && !bell.contains(event.target)) bell.open = false;
  });
})();
