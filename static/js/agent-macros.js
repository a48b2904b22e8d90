// The macro picker on the ticket page: m (or the Macros button) opens it, type to filter,
// ↑/↓ and Enter insert the macro's text (placeholders filled in by the server) into the reply.
// Its ticket changes travel with the reply; a macro without text applies its changes at once.
(function () {
  "use strict";
  var M = window.Madoguchi, doc = document;

  var dialog = doc.getElementById("macro-dialog");
  var page = M.ticketPage();
  if (!dialog || !page) return;
  var search = dialog.querySelector("[data-macro-search]");
  var options = dialog.querySelector("[data-macro-options]");
  var warnings = dialog.querySelector("[data-macro-warnings]");
  var macros = [], active = 0, seq = 0, timer = null;

  function load() {
    var mine = ++seq;
    var url = page.dataset.macrosUrl + "?q=" + encodeURIComponent(search.value.trim());
    return M.fetchJson(url).then(function (data) {
      if (!data || mine !== seq) return;
      macros = data.macros;
      active = 0;
      render();
    });
  }

  function render() {
    options.textContent = "";
    if (!macros.length) {
      var empty = doc.createElement("li");
      empty.className = "macro-options__empty";
      empty.textContent = options.dataset.empty;
      options.appendChild(empty);
      return;
    }
    macros.forEach(function (macro, index) {
      var item = doc.createElement("li");
      item.setAttribute("role", "option");
      item.id = "macro-option-" + macro.id;
      item.dataset.index = String(index);
      if (index === active) item.setAttribute("aria-selected", "true");
      var name = doc.createElement("strong");
      name.textContent = macro.name;
      item.appendChild(name);
      if (macro.internal) item.appendChild(badge(options.dataset.noteLabel));
      if (macro.preview) {
        var preview = doc.createElement("span");
        preview.className = "macro-options__preview";
        preview.textContent = macro.preview;
        item.appendChild(preview);
      }
      if (macro.actions.length) {
        var actions = doc.createElement("span");
        actions.className = "macro-options__actions";
        actions.textContent = macro.actions.join(" · ");
        item.appendChild(actions);
      }
      item.addEventListener("click", function () { choose(index); });
      options.appendChild(item);
    });
    search.setAttribute("aria-activedescendant", "macro-option-" + macros[active].id);
  }

  function badge(text) {
    var span = doc.createElement("span");
    span.className = "tag";
    span.textContent = text;
    return span;
  }

  function move(step) {
    if (!macros.length) return;
    active = (active + step + macros.length) % macros.length;
    render();
    var item = options.querySelector("[aria-selected]");
    if (item) item.scrollIntoView({ block: "nearest" });
  }

  function open() {
    if (!dialog.showModal) return false;
    warnings.hidden = true;
    search.value = "";
    dialog.showModal();
    search.focus();
    load();
    return true;
  }

  function choose(index) {
    var macro = macros[index];
    if (!macro) return;
    if (!macro.has_text) {
      // Actions only: nothing to write, so apply now (a normal POST; the page reloads).
      var form = dialog.querySelector("[data-macro-apply-form]");
      form.action = dialog.dataset.applyUrl.replace("/0/apply/", "/" + macro.id + "/apply/");
      form.submit();
      return;
    }
    M.fetchJson(dialog.dataset.renderUrl.replace(/\/0\/$/, "/" + macro.id + "/")).then(function (data) {
      if (!data) return;
      insert(data);
      if (data.warnings.length) {
        // Say what could not be filled in, next to the composer, for a moment.
        var note = doc.querySelector("[data-collision-warning]");
        if (note) {
          note.querySelector("[data-collision-text]").textContent = data.warnings.join(" ");
          note.hidden = false;
        }
      }
      dialog.close();
    });
  }

  function insert(data) {
    var form = doc.getElementById("reply-form");
    if (!form) return;
    M.focusComposer(data.internal ? "note" : "reply");
    var body = form.querySelector("textarea");
    var start = body.selectionStart, end = body.selectionEnd;
    var before = body.value.slice(0, start), after = body.value.slice(end);
    var gap = before && !/\n$/.test(before) ? "\n" : "";
    body.value = before + gap + data.body + after;
    var caret = (before + gap + data.body).length;
    body.setSelectionRange(caret, caret);
    body.dispatchEvent(new Event("input", { bubbles: true }));
    if (data.status) {
      var status = form.querySelector("select[name=status]");
      if (status) status.value = data.status;
    }
    var ids = form.querySelector("[data-macro-ids]");
    var list = ids.value ? ids.value.split(",") : [];
    if (list.indexOf(String(data.id)) === -1) list.push(String(data.id));
    ids.value = list.slice(-10).join(",");
  }

  search.addEventListener("input", function (event) {
    if (event.isComposing) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(load, 150);
  });
  search.addEventListener("compositionend", function () { load(); });
  search.addEventListener("keydown", function (event) {
    if (event.isComposing || event.keyCode === 229) return;
    if (event.key === "ArrowDown") { event.preventDefault(); move(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); move(-1); }
    else if (event.key === "Enter") { event.preventDefault(); choose(active); }
  });
  doc.addEventListener("click", function (event) {
    if (event.target.closest("[data-macro-open]")) open();
  });
  M.key("m", open);
})();
