// Automation form: show the time fields only for "Time passes", the keyword field only for
// events (a time automation has no triggering message). Without JS every field stays visible
// and the server explains what does not fit.
(function () {
  "use strict";
  function sync(select) {
    var timed = select.value === "time";
    document.querySelectorAll("[data-time-only]").forEach(function (el) { el.hidden = !timed; });
    document.querySelectorAll("[data-event-only]").forEach(function (el) { el.hidden = timed; });
  }
  function init() {
    var select = document.getElementById("id_event");
    if (!select) return;
    select.addEventListener("change", function () { sync(select); });
    sync(select);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
