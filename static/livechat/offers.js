// Chat offers on every agent page: the inbox socket says `chat.offer` (only to the agent
// offered) and `chat.offer.closed`; the card shows the customer, the first words and a
// countdown, with Accept / Decline. The countdown is only a display: the server times offers
// out itself and sends `chat.offer.closed`. Labels and the CSRF token come from
// /agent/chat/offers/, which also lists offers that arrived before this page loaded.
(function () {
  "use strict";
  var M = window.Madoguchi;
  if (!M) return;
  var doc = document;
  var LIST_URL = "/agent/chat/offers/";
  var labels = null, csrf = "", box = null, cards = {}, ticker = 0;

  (function addStyles() {
    var script = doc.currentScript || doc.querySelector("script[src*='livechat/offers.js']");
    if (!script) return;
    var link = doc.createElement("link");
    link.rel = "stylesheet";
    link.href = script.src.replace(/offers\.js(\?.*)?$/, "offers.css");
    doc.head.appendChild(link);
  })();

  function el(tag, cls, text) {
    var node = doc.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text; // customers' words are only ever text
    return node;
  }

  function label(key, values) {
    var text = (labels && labels[key]) || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.replace("%(" + name + ")s", values[name]);
    });
    return text;
  }

  function container() {
    if (box && doc.body.contains(box)) return box;
    box = el("section", "chat-offers");
    box.setAttribute("aria-label", label("region"));
    box.setAttribute("aria-live", "assertive");
    box.setAttribute("data-chat-offers", "");
    doc.body.appendChild(box);
    return box;
  }

  function post(url) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function show(offer) {
    if (!labels) { load().then(function () { show(offer); }); return; }
    if (cards[offer.offer]) return;
    var expires = Date.parse(offer.expires_at);
    if (!(expires > Date.now())) return;
    var card = el("article", "chat-offer");
    card.setAttribute("data-chat-offer", String(offer.offer));
    var head = el("div", "chat-offer__head");
    head.appendChild(el("h2", "chat-offer__title", label("title")));
    var clock = el("span", "chat-offer__clock");
    head.appendChild(clock);
    card.appendChild(head);
    card.appendChild(el("p", "chat-offer__who", offer.customer || label("customer")));
    var waited = Math.max(0, Math.round((Date.now() - Date.parse(offer.waiting_since)) / 60000));
    card.appendChild(el("p", "chat-offer__meta",
      [offer.channel_name, "#" + offer.ticket, label("waiting", { minutes: waited })]
        .filter(Boolean).join(" · ")));
    if (offer.preview) card.appendChild(el("p", "chat-offer__preview", offer.preview));
    var bar = el("div", "chat-offer__bar"), fill = el("span");
    bar.appendChild(fill);
    card.appendChild(bar);
    var actions = el("div", "chat-offer__actions");
    var accept = el("button", "btn btn--primary btn--sm", label("accept"));
    accept.type = "button";
    accept.setAttribute("data-offer-accept", "");
    var decline = el("button", "btn btn--sm", label("decline"));
    decline.type = "button";
    decline.setAttribute("data-offer-decline", "");
    actions.appendChild(accept);
    actions.appendChild(decline);
    card.appendChild(actions);
    var note = el("p", "chat-offer__note");
    note.hidden = true;
    card.appendChild(note);

    var entry = cards[offer.offer] = {
      card: card, clock: clock, fill: fill, expires: expires,
      total: Math.max(1, (offer.timeout || 30) * 1000)
    };
    function busy(on) { accept.disabled = on; decline.disabled = on; }
    function fail(result) {
      busy(false);
      if (result && result.status === 409) { closeCard(offer.offer, result.data.error && result.data.error.code === "offer_expired" ? "expired" : "gone"); return; }
      note.hidden = false;
      note.className = "chat-offer__note chat-offer__note--error";
      note.textContent = label("failed");
    }
    accept.addEventListener("click", function () {
      busy(true);
      post(offer.accept_url).then(function (result) {
        if (!result.ok) { fail(result); return; }
        remove(offer.offer);
        window.location.assign(result.data.url || offer.url);
      }, fail);
    });
    decline.addEventListener("click", function () {
      busy(true);
      post(offer.decline_url).then(function (result) {
        if (!result.ok) { fail(result); return; }
        remove(offer.offer);
      }, fail);
    });
    container().appendChild(card);
    tick();
    if (!ticker) ticker = window.setInterval(tick, 250);
    accept.focus({ preventScroll: true });
  }

  function tick() {
    var now = Date.now(), any = false;
    Object.keys(cards).forEach(function (id) {
      var entry = cards[id];
      if (entry.closing) return;
      any = true;
      var left = Math.max(0, entry.expires - now);
      entry.clock.textContent = label("seconds", { seconds: Math.ceil(left / 1000) });
      entry.fill.style.transform = "scaleX(" + (left / entry.total).toFixed(3) + ")";
    });
    if (!any) { window.clearInterval(ticker); ticker = 0; }
  }

  function remove(id) {
    var entry = cards[id];
    if (!entry) return;
    delete cards[id];
    if (entry.card.parentNode) entry.card.parentNode.removeChild(entry.card);
  }

  function closeCard(id, outcome) {
    var entry = cards[id];
    if (!entry) return;
    if (outcome === "declined" || outcome === "accepted") { remove(id); return; }
    // Say why it went away, briefly: the agent may have been about to click.
    entry.closing = true;
    entry.card.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    var note = entry.card.querySelector(".chat-offer__note");
    note.hidden = false;
    note.textContent = label(outcome === "expired" ? "expired" : "gone");
    window.setTimeout(function () { remove(id); }, 4000);
  }

  function load() {
    return fetch(LIST_URL, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        labels = data.labels;
        csrf = data.csrf;
        (data.offers || []).forEach(show);
      })
      .catch(function () { /* the next socket open tries again */ });
  }

  M.on("chat.offer", function (event) { show(event); });
  M.on("chat.offer.closed", function (event) { closeCard(event.offer, event.outcome); });
  // An offer made while the socket was down was sent to nobody: ask for what is waiting.
  M.onOpen(function (count) { if (count > 1 || !labels) load(); });
})();
