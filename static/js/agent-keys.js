// One keydown listener for the single-key shortcuts the other modules registered (M.key).
(function () {
  "use strict";
  var M = window.Madoguchi, doc = document;

  function openHelp() {
    var dialog = doc.getElementById("kbd-help");
    if (!dialog || !dialog.showModal) return false;
    dialog.showModal();
    return true;
  }
  M.key("?", openHelp);

  doc.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.isComposing || M.isTyping(event.target)) return;
    if (doc.querySelector("dialog[open]")) return;
    var handlers = M.keyHandlers(event.key);
    for (var i = 0; i < handlers.length; i += 1) {
      if (handlers[i](event)) { event.preventDefault(); return; }
    }
  });

  doc.addEventListener("click", function (event) {
    if (event.target.closest("[data-kbd-help]")) openHelp();
  });
})();
