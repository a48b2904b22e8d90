// The ticket page: live timeline, header and properties; the composer (IME-safe keys, collision
// warning when a colleague replies meanwhile, @mentions in notes).
(function () {
  "use strict";
  var M = window.Madoguchi, doc = document;

  function scroller() { return doc.getElementById("timeline-scroll"); }

  function scrollToLatest() {
    var box = scroller();
    if (box && box.scrollHeight > box.clientHeight) box.scrollTop = box.scrollHeight;
  }

  var refreshTimeline = M.refresher(function () {
    var page = M.ticketPage();
    var timeline = doc.getElementById("timeline");
    if (!page || !timeline) return null;
    var box = scroller();
    var atBottom = !box || box.scrollHeight - box.scrollTop - box.clientHeight < 60;
    var known = {};
    timeline.querySelectorAll("[data-message]").forEach(function (m) { known[m.dataset.message] = true; });
    return M.fetchPartial(page.dataset.timelineUrl).then(function (html) {
      if (html === null) return;
      timeline.innerHTML = html;
      timeline.querySelectorAll("[data-message]").forEach(function (m) {
        if (!known[m.dataset.message]) M.markFresh(m);
      });
      if (atBottom) scrollToLatest();
      checkCollision();
    });
  });

  // Someone else changed this ticket: bring its header and (unless being edited) properties up to date.
  var refreshTicketChrome = M.refresher(function () {
    var page = M.ticketPage();
    if (!page) return null;
    return fetch(window.location.pathname, { credentials: "same-origin" }).then(function (response) {
      return response.ok && !response.redirected ? response.text() : null;
    }).then(function (html) {
      if (!html) return;
      var fresh = new DOMParser().parseFromString(html, "text/html");
      var swap = function (selector) {
        var now = doc.querySelector(selector), next = fresh.querySelector(selector);
        if (now && next) now.replaceWith(doc.importNode(next, true));
      };
      swap(".ticket-head__meta");
      var props = doc.querySelector("[data-props]");
      if (props && !props.classList.contains("is-dirty") && !props.contains(doc.activeElement)) {
        swap("[data-props]");
        watchProperties();
      }
    });
  });

  function onThisTicket(event) {
    var page = M.ticketPage();
    return page && String(event.ticket) === page.dataset.ticketId;
  }

  ["message.created", "ticket.updated", "delivery.updated", "ticket.created"].forEach(function (type) {
    M.on(type, function (event) {
      if (!onThisTicket(event)) return;
      refreshTimeline();
      if (type === "ticket.updated" || type === "message.created") refreshTicketChrome();
    });
  });
  M.onOpen(function (opens) {
    if (!M.ticketPage()) return;
    refreshTimeline();
    if (opens > 1) refreshTicketChrome(); // the first open follows a fresh render
  });

  function watchProperties() {
    var form = doc.querySelector("[data-props]");
    if (!form) return;
    var initial = new URLSearchParams(new FormData(form)).toString();
    var check = function () {
      form.classList.toggle("is-dirty", new URLSearchParams(new FormData(form)).toString() !== initial);
    };
    form.addEventListener("input", check);
    form.addEventListener("change", check);
  }

  // ------------------------------------------------------------------ collision warning
  // A colleague's public reply that arrived after this page was rendered: say so above the
  // composer (the server refuses a blind send too). Checked after each timeline refresh.
  function checkCollision() {
    var form = doc.getElementById("reply-form");
    var page = M.ticketPage();
    if (!form || !page) return;
    var seen = Number(form.querySelector("[data-seen-message]").value || 0);
    var names = [];
    doc.querySelectorAll("#timeline .msg--agent[data-message]").forEach(function (m) {
      if (Number(m.dataset.message) > seen && m.dataset.author !== page.dataset.me) {
        var name = m.querySelector(".msg__author");
        if (name && names.indexOf(name.textContent) === -1) names.push(name.textContent);
      }
    });
    var warning = form.querySelector("[data-collision-warning]");
    if (!names.length || !warning) return;
    var text = warning.querySelector("[data-collision-text]");
    text.textContent = M.format(text.dataset.label, { names: names.join(", ") });
    warning.hidden = false;
  }


  // ------------------------------------------------------------------ composer
  function setupComposer() {
    var form = doc.getElementById("reply-form");
    if (!form) return;
    var body = form.querySelector("textarea");
    var initial = body.value;
    var sending = false;
    form.addEventListener("submit", function () { sending = true; });
    body.addEventListener("keydown", function (event) {
      // Enter while a Japanese IME is composing confirms the conversion, nothing else.
      if (event.isComposing || event.keyCode === 229) return;
      if (mentionKeydown(event)) return;
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      } else if (event.key === "Escape") {
        body.blur();
      }
    });
    body.addEventListener("input", function (event) {
      M.emit({ type: "local.typing" });
      if (!event.isComposing) mentionSuggest(body);
    });
    body.addEventListener("compositionend", function () { mentionSuggest(body); });
    // Losing a half-written answer to a stray click hurts: ask first.
    window.addEventListener("beforeunload", function (event) {
      if (!sending && body.value.trim() && body.value !== initial) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    if (form.querySelector(".errorlist, .form-errors")) body.focus();
  }

  function focusComposer(mode) {
    var form = doc.getElementById("reply-form");
    if (!form) return false;
    var radio = form.querySelector(mode === "note" ? "#mode-note" : "#mode-reply");
    if (radio && !radio.disabled) radio.checked = true;
    var body = form.querySelector("textarea");
    body.focus();
    body.setSelectionRange(body.value.length, body.value.length);
    return true;
  }
  M.focusComposer = focusComposer;

  M.key("r", function () { return focusComposer("reply"); });
  M.key("n", function () { return focusComposer("note"); });
  // a: assign to me, s: solve — through the properties form, as if picked by hand.
  function setProperty(name, value) {
    var form = doc.querySelector("[data-props]");
    var field = form && form.elements[name];
    if (!field || !value) return false;
    field.value = value;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
    return true;
  }
  M.key("a", function () {
    var page = M.ticketPage();
    return !!page && setProperty("assignee", page.dataset.me);
  });
  M.key("s", function () { return !!M.ticketPage() && setProperty("status", "solved"); });
  M.key("u", function () {
    var back = doc.querySelector("[data-back]");
    if (!back) return false;
    window.location.href = back.href;
    return true;
  });

  // ------------------------------------------------------------------ @mentions
  var agents = null, mentionStart = -1, mentionIndex = 0;

  function mentionAgents() {
    if (agents === null) {
      var data = doc.getElementById("mention-agents");
      try { agents = data ? JSON.parse(data.textContent) : []; } catch (error) { agents = []; }
    }
    return agents;
  }

  function mentionList() { return doc.querySelector("[data-mention-list]"); }

  function closeMentions() {
    var list = mentionList();
    if (list) { list.hidden = true; list.textContent = ""; }
    mentionStart = -1;
  }

  function mentionSuggest(body) {
    var list = mentionList();
    var note = doc.getElementById("mode-note");
    if (!list || !note || !note.checked) { closeMentions(); return; }
    var before = body.value.slice(0, body.selectionStart);
    var match = /(^|[\s(（、。])@([^\s@]{0,30})$/.exec(before);
    if (!match) { closeMentions(); return; }
    var typed = match[2].toLowerCase();
    var found = mentionAgents().filter(function (agent) {
      return agent.handle.toLowerCase().indexOf(typed) === 0 || agent.name.toLowerCase().indexOf(typed) !== -1;
    }).slice(0, 6);
    if (!found.length) { closeMentions(); return; }
    mentionStart = before.length - match[2].length - 1;
    mentionIndex = 0;
    list.textContent = "";
    found.forEach(function (agent, index) {
      var item = doc.createElement("li");
      item.setAttribute("role", "option");
      item.dataset.handle = agent.handle;
      item.textContent = agent.name + " ";
      var handle = doc.createElement("span");
      handle.className = "muted";
      handle.textContent = "@" + agent.handle;
      item.appendChild(handle);
      if (index === 0) item.setAttribute("aria-selected", "true");
      item.addEventListener("mousedown", function (event) { event.preventDefault(); insertMention(agent.handle); });
      list.appendChild(item);
    });
    list.hidden = false;
  }

  function insertMention(handle) {
    var body = doc.querySelector("#reply-form textarea");
    if (!body || mentionStart < 0) return;
    var end = body.selectionStart;
    body.value = body.value.slice(0, mentionStart) + "@" + handle + " " + body.value.slice(end);
    var caret = mentionStart + handle.length + 2;
    body.setSelectionRange(caret, caret);
    closeMentions();
    body.focus();
  }

  function mentionKeydown(event) {
    var list = mentionList();
    if (!list || list.hidden) return false;
    var items = list.querySelectorAll("[role=option]");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      items[mentionIndex].removeAttribute("aria-selected");
      mentionIndex = (mentionIndex + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      items[mentionIndex].setAttribute("aria-selected", "true");
      return true;
    }
    if ((event.key === "Enter" || event.key === "Tab") && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      insertMention(items[mentionIndex].dataset.handle);
      return true;
    }
    if (event.key === "Escape") { event.preventDefault(); closeMentions(); return true; }
    return false;
  }

  scrollToLatest();
  setupComposer();
  watchProperties();
})();
