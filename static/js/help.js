// Help center: articles suggested as you type, in the search box (a combobox) and beside the
// contact form's subject (deflection: the answer may already be written). An enhancement only:
// the search form submits to a results page and the contact form works without any of this.
(function () {
  "use strict";

  var DELAY_MS = 180;
  var MIN_CHARS = 2;

  // One request at a time per box: a newer keystroke aborts the older request.
  function suggester(url, onResults) {
    var timer = null;
    var controller = null;
    var last = null;
    return function (query) {
      query = query.trim();
      window.clearTimeout(timer);
      if (query.length < MIN_CHARS) {
        last = null;
        onResults(query, []);
        return;
      }
      timer = window.setTimeout(function () {
        if (query === last) return;
        last = query;
        if (controller) controller.abort();
        controller = new AbortController();
        fetch(url + "?q=" + encodeURIComponent(query), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          signal: controller.signal,
        })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) { onResults(query, data.results || []); })
          .catch(function (error) { if (error.name !== "AbortError") onResults(query, []); });
      }, DELAY_MS);
    };
  }

  // Titles and summaries are outside text: only ever set as textContent, never as HTML.
  function articleLink(result) {
    var link = document.createElement("a");
    link.href = result.url;
    var title = document.createElement("span");
    title.className = "kb-suggest__title";
    title.textContent = result.title;
    link.appendChild(title);
    if (result.summary) {
      var summary = document.createElement("span");
      summary.className = "kb-suggest__summary";
      summary.textContent = result.summary;
      link.appendChild(summary);
    }
    return link;
  }

  // ------------------------------------------------------------------ the search box
  function setupCombobox(form) {
    var input = form.querySelector("[data-kb-suggest-input]");
    if (!input) return;
    var list = document.createElement("ul");
    list.id = input.id + "-suggestions";
    list.className = "kb-suggest";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    form.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    var active = -1;

    function options() { return list.querySelectorAll("[role=option]"); }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach(function (option, i) { option.setAttribute("aria-selected", String(i === active)); });
      input.setAttribute("aria-activedescendant", all[active].id);
    }
    var suggest = suggester(form.dataset.kbSuggest, function (query, results) {
      if (query !== input.value.trim()) return;
      list.textContent = "";
      results.forEach(function (result, i) {
        var item = document.createElement("li");
        item.id = list.id + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.appendChild(articleLink(result));
        list.appendChild(item);
      });
      if (results.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        active = -1;
      } else {
        close();
      }
    });

    input.addEventListener("input", function () { suggest(input.value); });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.assign(options()[active].querySelector("a").href);
      } else if (event.key === "Escape") {
        close();
      }
    });
    // Keep the list open while a suggestion is being clicked, close it when focus leaves.
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    input.addEventListener("blur", close);
  }

  // ------------------------------------------------------------------ the contact form
  // Deflection counting: the visit, suggestions shown and an article opened are reported by
  // beacon (it survives leaving the page), keyed by the form's one-time token. No typed text
  // and no personal data leave the page this way.
  function deflectionBeacon(box) {
    var form = box.closest("form");
    var token = form && form.querySelector("input[name=form_token]");
    var csrf = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    var url = box.dataset.kbBeacon;
    if (!url || !token || !token.value || !csrf || !navigator.sendBeacon) {
      return function () {};
    }
    return function (event, extra) {
      var data = new URLSearchParams();
      data.append("csrfmiddlewaretoken", csrf.value);
      data.append("form", token.value);
      data.append("event", event);
      Object.keys(extra).forEach(function (key) { data.append(key, String(extra[key])); });
      navigator.sendBeacon(url, data);
    };
  }

  // The box is a live region that stays in the page; only the panel inside it shows and hides,
  // so screen readers announce the suggestions when they appear.
  function setupDeflection(box) {
    var input = document.getElementById(box.dataset.kbSuggestFor);
    var panel = box.querySelector("[data-kb-suggest-panel]");
    var list = box.querySelector("[data-kb-suggest-list]");
    if (!input || !panel || !list) return;
    var beacon = deflectionBeacon(box);
    var suggest = suggester(box.dataset.kbDeflect, function (query, results) {
      if (query !== input.value.trim()) return;
      list.textContent = "";
      results.forEach(function (result) {
        var item = document.createElement("li");
        var link = articleLink(result);
        link.addEventListener("click", function () { beacon("opened", { article: result.id }); });
        item.appendChild(link);
        list.appendChild(item);
      });
      panel.hidden = !results.length;
      if (results.length) beacon("suggested", { count: results.length });
    });
    beacon("view", {});
    input.addEventListener("input", function () { suggest(input.value); });
    if (input.value) suggest(input.value);
  }

  // ------------------------------------------------------------------ the answer bot
  // When the customer pauses after writing their message, the bot is asked once per
  // distinct text; its answers show above the send button with a "this solved my
  // problem" button each. Everything from the server is set as text, never as HTML.
  var BOT_MIN_CHARS = 6;

  function setupBot(box) {
    var message = document.getElementById(box.dataset.kbBotFor);
    var subject = document.getElementById(box.dataset.kbBotSubject);
    var list = box.querySelector("[data-kb-bot-list]");
    var title = box.querySelector("[data-kb-bot-title]");
    var thanks = box.querySelector("[data-kb-bot-thanks]");
    var hint = box.querySelector("[data-kb-bot-hint]");
    var form = box.closest("form");
    var token = form && form.querySelector("input[name=form_token]");
    if (!message || !list || !window.fetch) return;
    var asked = null;
    var controller = null;

    function post(url, fields) {
      var body = new URLSearchParams();
      Object.keys(fields).forEach(function (key) { body.append(key, fields[key]); });
      return fetch(url, { method: "POST", body: body, credentials: "omit", signal: controller.signal })
        .then(function (response) { return response.ok ? response.json() : null; });
    }

    function solved(questionToken, answer, button) {
      button.disabled = true;
      var url = box.dataset.kbBotSolvedUrl.replace("TOKEN", encodeURIComponent(questionToken));
      post(url, { article: answer.id }).then(function (data) {
        if (!data || !data.solved) { button.disabled = false; return; }
        list.textContent = "";
        title.hidden = true;
        hint.hidden = true;
        thanks.hidden = false;
        thanks.focus();
      }).catch(function () { button.disabled = false; });
    }

    function show(data) {
      list.textContent = "";
      var answers = (data && data.answers) || [];
      box.hidden = !answers.length;
      if (!answers.length) return;
      title.textContent = data.confident ? title.dataset.titleSure : title.dataset.titleMaybe;
      answers.forEach(function (answer) {
        var item = document.createElement("li");
        item.className = "kb-bot__answer";
        var head = document.createElement("div");
        head.className = "kb-bot__head";
        var link = document.createElement("a");
        link.href = answer.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.textContent = answer.title;
        link.title = box.dataset.labelOpen;
        head.appendChild(link);
        var badge = document.createElement("span");
        var sure = answer.confidence >= 0.85;
        badge.className = "kb-bot__confidence" + (sure ? " kb-bot__confidence--sure" : "");
        badge.textContent = sure ? box.dataset.labelSure : box.dataset.labelMaybe;
        head.appendChild(badge);
        item.appendChild(head);
        var extract = document.createElement("p");
        extract.className = "kb-bot__extract";
        extract.textContent = answer.extract;
        item.appendChild(extract);
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn--sm";
        button.textContent = box.dataset.labelSolved;
        button.addEventListener("click", function () { solved(data.token, answer, button); });
        item.appendChild(button);
        list.appendChild(item);
      });
    }

    function ask() {
      var question = ((subject ? subject.value.trim() + "\n" : "") + message.value.trim()).trim();
      if (message.value.trim().length < BOT_MIN_CHARS || question === asked) return;
      asked = question;
      if (controller) controller.abort();
      controller = new AbortController();
      post(box.dataset.kbBot, {
        question: question.slice(0, 2000),
        source: "contact",
        form: token ? token.value : "",
      }).then(show).catch(function (error) { if (error.name !== "AbortError") show(null); });
    }

    // Asked when the customer pauses typing, not when the field loses focus: the blur that a
    // click on "Send" causes would push the button away under the pointer.
    var pause = null;
    var sending = false;
    message.addEventListener("input", function () {
      clearTimeout(pause);
      pause = setTimeout(function () { if (!sending) ask(); }, 1200);
    });
    if (form) {
      form.addEventListener("submit", function () {
        sending = true;
        clearTimeout(pause);
        if (controller) controller.abort();
      });
    }
  }

  document.querySelectorAll("form[data-kb-suggest]").forEach(setupCombobox);
  document.querySelectorAll("[data-kb-bot]").forEach(setupBot);
  document.querySelectorAll("[data-kb-deflect]").forEach(setupDeflection);
})();
