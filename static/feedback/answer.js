// One click in the mail: the survey page arrives with the customer's choice preselected and
// submits it at once (a POST with the CSRF token). A link scanner that runs no script only
// sees the form, so nothing is recorded for it; without scripts the customer presses the button.
(function () {
  "use strict";
  var form = document.querySelector("form[data-survey-form][data-autosubmit]");
  if (!form || !form.querySelector("input[type=radio]:checked")) return;
  var button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  // requestSubmit keeps the browser's own validation; old browsers fall back to submit().
  window.setTimeout(function () {
    if (button) button.disabled = false;
    if (form.requestSubmit) form.requestSubmit(button || undefined);
    else form.submit();
  }, 0);
})();
