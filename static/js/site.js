// Small behaviour shared by every page. Everything here is an enhancement: pages work without it.
(function () {
  "use strict";

  // Flash messages: dismissable; confirmations fade on their own, errors stay until read.
  function dismiss(flash) {
    flash.classList.add("is-leaving");
    window.setTimeout(function () {
      var stack = flash.parentNode;
      flash.remove();
      if (stack && !stack.children.length) stack.remove();
    }, 260);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-flash-close]");
    if (button) dismiss(button.closest("[data-flash]"));
  });
  document.querySelectorAll(".flash--success, .flash--info").forEach(function (flash) {
    window.setTimeout(function () { if (flash.isConnected) dismiss(flash); }, 6000);
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-history-back]")) window.history.back();
  });

  // The account menu is a <details>: close it on an outside click or Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  // A form sent twice by an impatient double click files things twice: disable on submit.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.method === "dialog" || event.defaultPrevented) return;
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
    // Re-enable if the user comes back to this page through the back/forward cache.
    window.addEventListener("pageshow", function () {
      form.querySelectorAll("button").forEach(function (button) { button.disabled = false; });
    }, { once: true });
  });
})();
