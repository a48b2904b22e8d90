// The ticket page, around the conversation: the side panels arrive in a second request (htmx,
// `data-side-lazy`) so the page itself answers fast; if that request fails the agent is told
// instead of watching "Loading…" forever. A message's time shows how long ago it was on hover,
// computed when the pointer arrives (cached timeline HTML never carries a stale "2 hours ago").
(function () {
  "use strict";
  var doc = document;

  function sideFailed(event) {
    var box = event.target && event.target.closest && event.target.closest("[data-side-lazy]");
    if (!box) return;
    var text = box.querySelector(".side-lazy__loading");
    if (text) {
      text.textContent = box.dataset.labelFailed;
      text.setAttribute("role", "alert");
    }
    box.classList.add("side-lazy--failed");
  }
  doc.addEventListener("htmx:responseError", sideFailed);
  doc.addEventListener("htmx:sendError", sideFailed);

  var UNITS = [
    ["year", 365 * 24 * 3600], ["month", 30 * 24 * 3600], ["week", 7 * 24 * 3600],
    ["day", 24 * 3600], ["hour", 3600], ["minute", 60], ["second", 1]
  ];
  var format = null;

  function ago(date) {
    if (!window.Intl || !Intl.RelativeTimeFormat) return "";
    if (!format) format = new Intl.RelativeTimeFormat(doc.documentElement.lang || undefined, { numeric: "auto" });
    var seconds = (date.getTime() - Date.now()) / 1000;
    for (var i = 0; i < UNITS.length; i++) {
      if (Math.abs(seconds) >= UNITS[i][1] || UNITS[i][0] === "second") {
        return format.format(Math.round(seconds / UNITS[i][1]), UNITS[i][0]);
      }
    }
    return "";
  }

  function titleTime(event) {
    var time = event.target && event.target.closest && event.target.closest("time.msg__time");
    if (!time) return;
    var date = new Date(time.getAttribute("datetime"));
    if (!isNaN(date.getTime())) time.title = ago(date);
  }
  doc.addEventListener("mouseover", titleTime);
  doc.addEventListener("focusin", titleTime);
})();
