// NPS campaign form: show the percentage or the count field only when that sample is chosen.
// Without scripts both stay visible, and the server ignores the one not chosen.
(function () {
  "use strict";
  var form = document.querySelector("form[data-nps-form]");
  if (!form) return;
  function sync() {
    var checked = form.querySelector("input[name=sample_mode]:checked");
    var mode = checked ? checked.value : "all";
    form.querySelectorAll("[data-sample]").forEach(function (box) {
      box.hidden = box.getAttribute("data-sample") !== mode;
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "sample_mode") sync();
  });
  sync();
})();
