// Article editor: a Markdown preview rendered by the server (the same renderer and sanitizer
// as on save, so what you see is what readers get), and images uploaded and inserted at the
// cursor. Without this script the editor still saves, and images upload through the form below.
(function () {
  "use strict";

  var editor = document.querySelector("[data-kb-editor]");
  if (!editor) return;
  var csrf = editor.querySelector("input[name=csrfmiddlewaretoken]").value;
  var DELAY_MS = 400;

  function post(url, body, accept) {
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: accept || "application/json" },
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.detail || String(response.status));
        return data;
      });
    });
  }

  function status(textarea, text) {
    var line = editor.querySelector('[data-kb-status-for="' + textarea.id + '"]');
    if (line) line.textContent = text;
  }

  editor.querySelectorAll("[data-kb-tools]").forEach(function (tools) { tools.hidden = false; });

  // ------------------------------------------------------------------ preview
  editor.querySelectorAll("[data-kb-preview-for]").forEach(function (button) {
    var textarea = document.getElementById(button.dataset.kbPreviewFor);
    var pane = editor.querySelector('[data-kb-preview="' + textarea.id + '"]');
    var timer = null;
    function render() {
      var body = new FormData();
      body.append("body", textarea.value);
      post(editor.dataset.previewUrl, body)
        // The server's HTML has been through sanitize_html: the same markup the article shows.
        .then(function (data) { pane.innerHTML = data.html; })
        .catch(function (error) { pane.textContent = error.message; });
    }
    button.addEventListener("click", function () {
      var open = pane.hidden;
      pane.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      if (open) render();
    });
    textarea.addEventListener("input", function () {
      if (pane.hidden) return;
      window.clearTimeout(timer);
      timer = window.setTimeout(render, DELAY_MS);
    });
  });

  // ------------------------------------------------------------------ images
  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart || 0;
    var end = textarea.selectionEnd || start;
    var before = textarea.value.slice(0, start);
    var gap = before && !before.endsWith("\n") ? "\n" : "";
    textarea.value = before + gap + text + "\n" + textarea.value.slice(end);
    textarea.dispatchEvent(new Event("input"));
    textarea.focus();
  }

  editor.querySelectorAll("[data-kb-image-for]").forEach(function (input) {
    var textarea = document.getElementById(input.dataset.kbImageFor);
    input.addEventListener("change", function () {
      if (!input.files.length) return;
      var body = new FormData();
      body.append("image", input.files[0]);
      status(textarea, editor.dataset.uploading || "…");
      post(editor.dataset.imageUrl, body)
        .then(function (data) { insertAtCursor(textarea, data.markdown); status(textarea, ""); })
        .catch(function (error) { status(textarea, error.message); })
        .then(function () { input.value = ""; });
    });
  });
})();
