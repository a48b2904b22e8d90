/*! Madoguchi live chat widget. Embed:
 *  <script src="https://HOST/widget.js" data-channel="KEY" async></script>
 * Optional: data-user-id + data-user-hash (hex HMAC-SHA256 of the id with the channel secret,
 * computed on the shop's server), data-user-name, data-user-email, data-lang ("ja" / "en").
 * Everything lives in a shadow root: the page's CSS cannot reach in, and
 * nothing here leaks out. Frames are documented in livechat/PROTOCOL.md. */
(function () {
  "use strict";
  var script = document.currentScript ||
    document.querySelector("script[data-channel][src*='widget.js']");
  if (!script || window.__madoguchiChat) return;
  window.__madoguchiChat = true;

  var KEY = script.getAttribute("data-channel") || "";
  var BASE = new URL(script.src, location.href).origin;
  var LANG = (script.getAttribute("data-lang") || navigator.language || "ja").slice(0, 2) === "en"
    ? "en" : "ja";
  var STORE = "madoguchi-chat:" + KEY;
  var TEXT = {
    ja: {
      title: "チャットでお問い合わせ", open: "チャットを開く", close: "閉じる",
      placeholder: "メッセージを入力…", send: "送信", attach: "ファイルを添付",
      greeting: "こんにちは。ご用件をお聞かせください。", typing: "担当者が入力中…",
      joined: "%s がチャットに参加しました", read: "既読", sending: "送信中…",
      failed: "送信できませんでした", retry: "再送", connecting: "接続中…",
      offline: "接続が切れました。再接続しています…", name: "お名前", email: "メールアドレス",
      optional: "（任意）", start: "チャットを始める", articles: "関連する記事",
      back: "戻る", fullArticle: "記事をすべて読む", tooBig: "ファイルが大きすぎます",
      badType: "画像（PNG・JPEG・GIF・WebP）と PDF のみ送れます", newMessage: "新着メッセージ",
      you: "あなた", agent: "担当者", end: "チャットを終了",
      ended: "チャットを終了しました", endedAgent: "担当者がチャットを終了しました",
      rate: "今回の対応はいかがでしたか？", comment: "ご意見（任意）", sendRating: "評価を送る",
      thanks: "ご評価ありがとうございました。", transcript: "チャットの記録をメールで受け取る",
      transcriptSent: "チャットの記録を %s に送信しました", stars: "%s / 5",
      away: "ただいま対応できる担当者がいません。メッセージとメールアドレスを残していただければ、メールでご返信します。",
      awayUntil: "ただいま営業時間外です（再開: %s）。メッセージとメールアドレスを残していただければ、メールでご返信します。",
      followup: "メッセージを受け付けました。%s 宛にメールでご返信します。",
      loading: "読み込み中…", transferred: "%s が対応を引き継ぎました",
      transferredTeam: "%s チームにおつなぎします",
      bot: "自動応答", botIntro: "こちらの記事でご質問にお答えできるかもしれません。", person: "担当者と話す", solved: "解決しました",
      handedOff: "担当者におつなぎします。少々お待ちください。",
      botDone: "お役に立ててよかったです。ほかにご用件があれば、このままお送りください。"
    },
    en: {
      title: "Chat with us", open: "Open chat", close: "Close",
      placeholder: "Type a message…", send: "Send", attach: "Attach a file",
      greeting: "Hi! How can we help?", typing: "Agent is typing…",
      joined: "%s joined the chat", read: "Read", sending: "Sending…",
      failed: "Could not send", retry: "Retry", connecting: "Connecting…",
      offline: "Connection lost. Reconnecting…", name: "Name", email: "Email",
      optional: " (optional)", start: "Start chat", articles: "Related articles",
      back: "Back", fullArticle: "Read the full article", tooBig: "The file is too large",
      badType: "Only images (PNG, JPEG, GIF, WebP) and PDF files", newMessage: "New message",
      you: "You", agent: "Agent", end: "End chat",
      ended: "The chat has ended", endedAgent: "The agent ended the chat",
      rate: "How did we do?", comment: "Comments (optional)", sendRating: "Send rating",
      thanks: "Thank you for your feedback.", transcript: "Email me the transcript",
      transcriptSent: "Transcript sent to %s", stars: "%s of 5",
      away: "No one is available right now. Leave a message and your email address and we will reply by email.",
      awayUntil: "We are closed right now (back %s). Leave a message and your email address and we will reply by email.",
      followup: "Message received. We will reply to %s by email.",
      loading: "Loading…", transferred: "%s is now helping you",
      transferredTeam: "Transferring you to the %s team",
      bot: "Answer bot", botIntro: "These articles may answer your question.", person: "Talk to a person", solved: "That answered it",
      handedOff: "Connecting you to a person. Please wait a moment.",
      botDone: "Glad it helped! If there is anything else, just write here."
    }
  }[LANG];

  // ------------------------------------------------------------------ state
  var state = load();
  var config = null, socket = null, attempt = 0, retryTimer = 0, pingTimer = 0;
  var welcomed = false, needsProfile = false, offline = false, endCard = null, unread = 0, lastTypingSent = 0, typingTimer = 0;
  var agentTypingTimer = 0, suggestTimer = 0, suggestSeq = 0, titleTimer = 0;
  var pageTitle = document.title, rendered = {}, ui = {}, botCard = null;
  // The newest message id this page shows: a new page asks for the whole conversation, a
  // reconnect only for what it missed.
  var since = 0;

  function load() {
    try {
      var data = JSON.parse(localStorage.getItem(STORE) || "{}");
      if (!Array.isArray(data.outbox)) data.outbox = [];
      return data;
    } catch (error) { return { outbox: [] }; }
  }
  function save() {
    try { localStorage.setItem(STORE, JSON.stringify(state)); } catch (error) { /* private mode */ }
  }

  // ------------------------------------------------------------------ DOM helpers
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text; // outside text is only ever text
    return node;
  }
  function icon(path) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var p = document.createElementNS(ns, "path");
    p.setAttribute("d", path);
    svg.appendChild(p);
    return svg;
  }
  var ICON_CHAT = "M5 4h14a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2h-9l-5 4v-4H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";
  var ICON_CLOSE = "M6 6l12 12M18 6 6 18";
  var ICON_SEND = "M4 12 20 4l-5 16-3-7zm8 1 8-9";
  var ICON_CLIP = "m20 11.5-7.8 7.8a5 5 0 0 1-7.1-7.1l8.1-8.1a3.4 3.4 0 0 1 4.8 4.8l-8 8a1.7 1.7 0 0 1-2.4-2.4l7.2-7.2";

  var CSS = [
    ":host{all:initial}",
    "*{box-sizing:border-box;font-family:-apple-system,BlinkMacSystemFont,'Hiragino Sans','Noto Sans JP','Segoe UI',Meiryo,sans-serif}",
    ".root{position:fixed;bottom:20px;right:20px;z-index:2147483000;font-size:15px;line-height:1.5;color:#1f2328}",
    ".root.left{right:auto;left:20px}",
    "button{font:inherit;cursor:pointer}",
    "svg{width:22px;height:22px;fill:none;stroke:currentColor;stroke-width:1.8;stroke-linecap:round;stroke-linejoin:round}",
    ".launcher{width:58px;height:58px;border-radius:50%;border:0;background:var(--brand);color:#fff;box-shadow:0 6px 20px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center;position:relative}",
    ".launcher svg{width:28px;height:28px}",
    ".badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;border-radius:10px;background:#d1242f;color:#fff;font-size:12px;font-weight:700;display:flex;align-items:center;justify-content:center;padding:0 5px}",
    ".panel{position:absolute;bottom:72px;right:0;width:370px;height:min(600px,calc(100vh - 110px));background:#fff;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.22);display:flex;flex-direction:column;overflow:hidden}",
    ".left .panel{right:auto;left:0}",
    "[hidden]{display:none!important}",
    ".head{background:var(--brand);color:#fff;padding:14px 16px;display:flex;align-items:flex-start;gap:10px}",
    ".head h2{font-size:16px;margin:0;font-weight:700}.head p{margin:2px 0 0;font-size:13px;opacity:.92}",
    ".head div{flex:1}.x{background:transparent;border:0;color:#fff;padding:2px;border-radius:6px}",
    ".status{font-size:12px;background:#fff8c5;color:#6b5900;padding:4px 12px}",
    ".log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:8px;background:#f6f8fa}",
    ".msg{max-width:82%;padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid #e3e6ea;align-self:flex-start}",
    ".msg.me{align-self:flex-end;background:var(--brand);color:#fff;border-color:transparent}",
    ".who{font-size:11px;color:#59636e;margin:4px 0 -4px;display:flex;align-items:center;gap:6px}",
    ".av{width:20px;height:20px;border-radius:50%;background:var(--brand);color:#fff;font-size:11px;display:inline-flex;align-items:center;justify-content:center}",
    ".meta{font-size:11px;color:#59636e;align-self:flex-end;margin-top:-4px}.meta.err{color:#d1242f}",
    ".meta button{background:none;border:0;color:inherit;text-decoration:underline;padding:0 0 0 6px}",
    ".sys{align-self:center;font-size:12px;color:#59636e}",
    ".msg img{display:block;max-width:100%;max-height:220px;border-radius:8px;margin-top:4px}",
    ".msg a{color:inherit}",
    ".typing{font-size:12px;color:#59636e;padding:0 14px 4px;background:#f6f8fa}",
    ".sugg{border-top:1px solid #e3e6ea;padding:8px 12px;background:#fff}",
    ".sugg h3{font-size:12px;margin:0 0 4px;color:#59636e;font-weight:600}",
    ".sugg button{display:block;width:100%;text-align:left;background:#f6f8fa;border:1px solid #e3e6ea;border-radius:8px;padding:6px 10px;margin-top:4px;color:#0a5cc2}",
    ".article{flex:1;overflow-y:auto;padding:16px}.article h3{margin:8px 0}.article a{color:#0a5cc2}",
    ".back{background:none;border:0;color:#0a5cc2;padding:0}",
    ".form{padding:10px 12px;display:grid;grid-template-columns:1fr 1fr;gap:8px;background:#fff;border-bottom:1px solid #e3e6ea}",
    ".form .err,.form .primary,.form label:only-of-type{grid-column:1/-1}",
    "label{font-size:13px;font-weight:600;display:flex;flex-direction:column;gap:4px}",
    "input[type=text],input[type=email],textarea{font:inherit;font-size:16px;border:1px solid #c8ced6;border-radius:8px;padding:8px 10px;width:100%;color:#1f2328;background:#fff}",
    ".primary{background:var(--brand);color:#fff;border:0;border-radius:8px;padding:8px}",
    ".err{color:#d1242f;font-size:13px}",
    ".composer{display:flex;align-items:flex-end;gap:6px;padding:10px;border-top:1px solid #e3e6ea;background:#fff}",
    ".composer textarea{resize:none;max-height:120px;min-height:40px}",
    ".icon{background:none;border:0;color:#59636e;padding:8px;border-radius:8px}",
    ".icon.send{color:var(--brand)}",
    ":focus-visible{outline:2px solid var(--brand);outline-offset:2px}",
    ".away{font-size:13px;background:#eef4ff;color:#1f3a6b;padding:8px 12px;border-bottom:1px solid #d6e2f5}",
    ".endbtn{background:rgba(255,255,255,.18);border:0;color:#fff;border-radius:6px;padding:2px 8px;font-size:12px;white-space:nowrap}",
    ".card{align-self:stretch;background:#fff;border:1px solid #e3e6ea;border-radius:12px;padding:12px;display:flex;flex-direction:column;gap:8px;font-size:14px}",
    ".card h3{margin:0;font-size:14px}.card .row{display:flex;gap:6px;flex-wrap:wrap}",
    ".card .row button{flex:1;min-width:0;white-space:nowrap;border:1px solid #c8ced6;background:#fff;border-radius:8px;padding:6px;color:#1f2328}",
    ".card .row button[aria-pressed=true]{background:var(--brand);color:#fff;border-color:transparent}",
    ".card p{margin:0}.card .line{display:flex;flex-direction:column;gap:6px}.card .ok{color:#1a7f37}",
    ".card textarea{min-height:56px;resize:vertical}",
    ".bot .who{margin:0}.bot .ans{gap:2px;border-top:1px solid #e3e6ea;padding-top:6px}.bot .back{text-align:left;font-weight:600}.bot .ext{font-size:13px;color:#59636e}",
    ".card .row button.primary{background:var(--brand);color:#fff;border-color:transparent}",
    ".article .body{overflow-wrap:anywhere}.article .body img{max-width:100%;height:auto}",
    ".article .body table{border-collapse:collapse;display:block;overflow-x:auto}.article .body td,.article .body th{border:1px solid #d0d7de;padding:4px 6px}",
    "@media (max-width:480px){.root{bottom:14px;right:14px}.root.left{left:14px}",
    ".open .panel{position:fixed;inset:0;width:auto;height:100%;border-radius:0}.open .launcher{display:none}}"
  ].join("\n");

  // ------------------------------------------------------------------ build
  function build() {
    var host = el("madoguchi-chat"); // own tag: page rules for div never match it
    host.setAttribute("data-madoguchi-chat", "");
    var shadow = host.attachShadow({ mode: "open" });
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS); // constructed sheets need no 'unsafe-inline' on the shop's CSP
      shadow.adoptedStyleSheets = [sheet];
    } catch (error) {
      shadow.appendChild(el("style", null, CSS));
    }
    var root = ui.root = el("div", "root" + (config.position === "left" ? " left" : ""));
    root.style.setProperty("--brand", config.color || "#2563eb");
    ui.launcher = el("button", "launcher");
    ui.launcher.type = "button";
    ui.launcher.setAttribute("aria-label", TEXT.open);
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.appendChild(icon(ICON_CHAT));
    ui.badge = el("span", "badge");
    ui.badge.hidden = true;
    ui.launcher.appendChild(ui.badge);
    ui.launcher.addEventListener("click", function () { setOpen(!state.open); });

    var panel = ui.panel = el("section", "panel");
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", TEXT.title);
    panel.hidden = true;
    var head = el("header", "head"), titles = el("div");
    titles.appendChild(el("h2", null, TEXT.title));
    titles.appendChild(el("p", null, (config.greeting || {})[LANG] || TEXT.greeting));
    var close = el("button", "x");
    close.type = "button";
    close.setAttribute("aria-label", TEXT.close);
    close.appendChild(icon(ICON_CLOSE));
    close.addEventListener("click", function () { setOpen(false); });
    ui.endBtn = el("button", "endbtn", TEXT.end);
    ui.endBtn.type = "button";
    ui.endBtn.hidden = true;
    ui.endBtn.addEventListener("click", function () { sendFrame({ type: "end" }); });
    head.appendChild(titles);
    head.appendChild(ui.endBtn);
    head.appendChild(close);
    ui.away = el("div", "away");
    ui.away.hidden = true;
    ui.status = el("div", "status");
    ui.status.hidden = true;
    ui.status.setAttribute("role", "status");
    ui.log = el("div", "log");
    ui.log.setAttribute("aria-live", "polite");
    ui.typing = el("div", "typing", TEXT.typing);
    ui.typing.hidden = true;
    ui.article = el("div", "article");
    ui.article.hidden = true;
    ui.sugg = el("div", "sugg");
    ui.sugg.hidden = true;
    ui.form = buildForm();
    ui.composer = buildComposer();
    [head, ui.status, ui.away, ui.form, ui.log, ui.article, ui.typing, ui.sugg, ui.composer].forEach(
      function (node) { panel.appendChild(node); });
    root.appendChild(panel);
    root.appendChild(ui.launcher);
    shadow.appendChild(root);
    document.body.appendChild(host);
    if (state.open) setOpen(true);
    else if (state.token) connect(); // a returning visitor hears replies with the panel shut
  }

  function buildForm() {
    var form = el("form", "form");
    form.hidden = true;
    form.noValidate = true;
    function field(kind, mode) {
      if (mode === "off" && kind !== "email") return null;
      var label = el("label", null, TEXT[kind] + (mode === "optional" ? TEXT.optional : ""));
      label.hidden = mode === "off"; // shown when nobody is online: replies then go by email
      var input = el("input");
      input.type = kind === "email" ? "email" : "text";
      input.name = kind;
      input.autocomplete = kind;
      input.required = mode === "required";
      label.appendChild(input);
      form.appendChild(label);
      return input;
    }
    ui.nameInput = field("name", config.ask_name);
    ui.emailInput = field("email", config.ask_email);
    ui.emailLabel = ui.emailInput.parentNode;
    ui.formError = el("p", "err");
    ui.formError.hidden = true;
    form.appendChild(ui.formError);
    var submit = el("button", "primary", TEXT.start);
    submit.type = "submit";
    form.appendChild(submit);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      sendFrame({
        type: "profile",
        name: ui.nameInput ? ui.nameInput.value : "",
        email: ui.emailInput ? ui.emailInput.value : ""
      });
    });
    return form;
  }

  function buildComposer() {
    var box = el("div", "composer");
    var file = ui.file = el("input");
    file.type = "file";
    file.hidden = true;
    file.accept = "image/png,image/jpeg,image/gif,image/webp,application/pdf";
    file.addEventListener("change", function () {
      if (file.files[0]) upload(file.files[0]);
      file.value = "";
    });
    var clip = el("button", "icon");
    clip.type = "button";
    clip.setAttribute("aria-label", TEXT.attach);
    clip.appendChild(icon(ICON_CLIP));
    clip.addEventListener("click", function () { file.click(); });
    var text = ui.text = el("textarea");
    text.rows = 1;
    text.placeholder = TEXT.placeholder;
    text.setAttribute("aria-label", TEXT.placeholder);
    text.maxLength = 5000;
    text.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.shiftKey) return;
      // Enter that confirms a Japanese (IME) conversion must never send the message.
      if (event.isComposing || event.keyCode === 229) return;
      event.preventDefault();
      submitText();
    });
    text.addEventListener("input", onTextInput);
    var send = el("button", "icon send");
    send.type = "button";
    send.setAttribute("aria-label", TEXT.send);
    send.appendChild(icon(ICON_SEND));
    send.addEventListener("click", submitText);
    [file, clip, text, send].forEach(function (node) { box.appendChild(node); });
    return box;
  }

  // ------------------------------------------------------------------ open / close
  function setOpen(open) {
    state.open = open;
    save();
    ui.panel.hidden = !open;
    ui.root.classList.toggle("open", open);
    ui.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      unread = 0;
      showUnread();
      connect();
      markRead();
      window.setTimeout(function () {
        var first = ui.form.hidden ? ui.text : ui.form.querySelector("input");
        if (first) first.focus();
      }, 0);
    }
  }

  function showUnread() {
    ui.badge.hidden = !unread;
    ui.badge.textContent = String(unread);
    window.clearInterval(titleTimer);
    document.title = pageTitle;
    if (!unread) return;
    var flip = false;
    titleTimer = window.setInterval(function () {
      flip = !flip;
      document.title = flip ? "(" + unread + ") " + TEXT.newMessage : pageTitle;
    }, 1500);
  }

  function chime() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = chime.ctx || (chime.ctx = new Ctx());
      var osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.08, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.35);
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.35);
    } catch (error) { /* no audio: the badge and title still tell */ }
  }

  // ------------------------------------------------------------------ socket
  function connect() {
    if (socket || !("WebSocket" in window)) return;
    window.clearTimeout(retryTimer);
    showStatus(attempt ? TEXT.offline : TEXT.connecting);
    socket = new WebSocket(BASE.replace(/^http/, "ws") + "/ws/chat/");
    welcomed = false;
    socket.addEventListener("open", function () {
      var hello = {
        type: "hello", channel: KEY, token: state.token || "", since: since,
        lang: LANG, page: { url: location.href, title: document.title }
      };
      var userId = script.getAttribute("data-user-id");
      if (userId) {
        hello.identity = {
          user_id: userId, user_hash: script.getAttribute("data-user-hash") || "",
          name: script.getAttribute("data-user-name") || "",
          email: script.getAttribute("data-user-email") || ""
        };
      }
      sendFrame(hello, true);
    });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (error) { return; }
      onFrame(frame);
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      window.clearInterval(pingTimer);
      if (event.code === 4403) { showStatus(""); return; } // refused for good: stay quiet
      attempt += 1;
      showStatus(TEXT.offline);
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt - 1)) * (0.75 + Math.random() / 2);
      retryTimer = window.setTimeout(connect, delay);
    });
  }

  window.addEventListener("offline", function () {
    // Say so at once and queue what is typed; the socket may not notice for a long while.
    if (socket) socket.close();
  });
  window.addEventListener("online", function () {
    if (!socket && (state.open || state.token)) {
      window.clearTimeout(retryTimer);
      attempt = 0;
      connect();
    }
  });

  function sendFrame(frame, beforeWelcome) {
    frame.v = 1;
    if (socket && socket.readyState === 1 && (welcomed || beforeWelcome)) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function showStatus(text) {
    ui.status.hidden = !text;
    ui.status.textContent = text || "";
  }

  function onFrame(frame) {
    var handler = HANDLERS[frame.type];
    if (handler) handler(frame);
  }

  var HANDLERS = {
    welcome: function (frame) {
      welcomed = true;
      attempt = 0;
      state.token = frame.token;
      save();
      showStatus("");
      needsProfile = !!frame.needs_profile;
      showAvailability(frame.availability || { online: true });
      showForm();
      (frame.messages || []).forEach(renderMessage);
      if (frame.agent) ui.agent = frame.agent;
      markReadUpto(frame.read_upto || 0);
      if (frame.bot) showBot(frame.bot);
      pingTimer = window.setInterval(function () { sendFrame({ type: "ping" }); }, 25000);
      // Whatever was typed while the line was down goes now, with the same ids: the server
      // keeps one copy of each, so a message that did arrive before the drop is not doubled.
      if (!needsProfile) state.outbox.forEach(function (item) { sendMessage(item); });
      markRead();
    },
    ack: function (frame) {
      state.outbox = state.outbox.filter(function (item) { return item.id !== frame.id; });
      save();
      if (frame.message) renderMessage(frame.message);
      else setMeta(frame.id, "");
    },
    message: function (frame) {
      var message = frame.message;
      var fresh = !rendered["s" + message.id];
      renderMessage(message);
      if (fresh && message.from === "agent") {
        ui.typing.hidden = true;
        if (!state.open || document.hidden) { unread += 1; showUnread(); chime(); }
        markRead();
      }
    },
    typing: function (frame) {
      ui.typing.hidden = !frame.typing;
      window.clearTimeout(agentTypingTimer);
      if (frame.typing) {
        agentTypingTimer = window.setTimeout(function () { ui.typing.hidden = true; }, 8000);
      }
    },
    agent_joined: function (frame) {
      ui.agent = frame.agent;
      ui.log.appendChild(el("div", "sys", TEXT.joined.replace("%s", frame.agent.name)));
      scrollDown();
    },
    read: function (frame) { markReadUpto(frame.upto); },
    followup: function (frame) {
      ui.log.appendChild(el("div", "sys", TEXT.followup.replace("%s", frame.email || "")));
      scrollDown();
    },
    ended: function (frame) { showEndCard(frame); },
    bot: function (frame) { showBot(frame); },
    handed_off: function () { closeBot(TEXT.handedOff); },
    bot_done: function () { closeBot(TEXT.botDone); },
    transferred: function (frame) {
      if (frame.agent) ui.agent = frame.agent;
      var text = frame.agent ? TEXT.transferred.replace("%s", frame.agent.name)
        : TEXT.transferredTeam.replace("%s", frame.team || "");
      ui.log.appendChild(el("div", "sys", text));
      scrollDown();
    },
    rated: function () {
      if (!endCard) return;
      endCard.rating.textContent = "";
      endCard.rating.appendChild(el("p", "ok", TEXT.thanks));
    },
    transcript_queued: function (frame) {
      if (!endCard) return;
      endCard.mail.textContent = "";
      endCard.mail.appendChild(el("p", "ok", TEXT.transcriptSent.replace("%s", frame.email)));
    },
    profile_ok: function () {
      needsProfile = false;
      state.profiled = true;
      save();
      showForm();
      state.outbox.forEach(function (item) { sendMessage(item); });
      ui.text.focus();
    },
    survey: function (frame) {
      if (frame.url && /^https?:/.test(frame.url)) {
        var link = el("a", null, frame.text || frame.url);
        link.href = frame.url;
        link.target = "_blank";
        link.rel = "noopener";
        var line = el("div", "sys");
        line.appendChild(link);
        ui.log.appendChild(line);
        scrollDown();
      }
    },
    error: function (frame) {
      if (frame.code === "profile_required") { needsProfile = true; showForm(); return; }
      if (endCard && /^(bad_rating|bad_comment|not_ended|bad_email|email_required|no_chat|rate_limited|too_long)$/.test(frame.code) && !frame.id) {
        endCard.error.hidden = false;
        endCard.error.textContent = frame.error;
        return;
      }
      if (/^(bad_email|name_required|email_required)$/.test(frame.code)) {
        ui.formError.hidden = false;
        ui.formError.textContent = frame.error;
        return;
      }
      if (frame.id) {
        // Rate limits pass: keep it queued. Anything else will never be accepted: drop it.
        if (frame.code !== "rate_limited") {
          state.outbox = state.outbox.filter(function (item) { return item.id !== frame.id; });
          save();
        }
        setMeta(frame.id, TEXT.failed + " (" + frame.error + ")", true);
      }
    }
  };

  function showForm() {
    if (ui.emailLabel) {
      ui.emailLabel.hidden = config.ask_email === "off" && !offline;
      ui.emailInput.required = config.ask_email === "required" || offline;
      ui.emailLabel.firstChild.nodeValue = TEXT.email +
        (config.ask_email === "optional" && !offline ? TEXT.optional : "");
    }
    var ask = needsProfile || (!state.profiled && !Object.keys(rendered).length &&
      (config.ask_name !== "off" || config.ask_email !== "off"));
    ui.form.hidden = !ask;
    ui.composer.hidden = !!needsProfile;
    if (!needsProfile && !ask) state.profiled = true;
  }

  function showAvailability(availability) {
    offline = !availability.online;
    ui.away.hidden = !offline;
    if (!offline) return;
    var back = availability.back_at ? new Date(availability.back_at) : null;
    ui.away.textContent = back && !isNaN(back) ? TEXT.awayUntil.replace("%s", back.toLocaleString(
      LANG === "ja" ? "ja-JP" : "en-US",
      { month: "short", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit" }
    )) : TEXT.away;
  }

  // ------------------------------------------------------------------ answer bot
  function showBot(frame) {
    if (botCard && botCard.turn === frame.turn) return;
    closeBot("");
    var card = el("div", "card bot"), picked = 0;
    card.setAttribute("data-bot", "");
    var who = el("div", "who");
    who.appendChild(el("span", "av", "?"));
    who.appendChild(document.createTextNode(TEXT.bot));
    card.appendChild(who);
    card.appendChild(el("p", null, TEXT.botIntro));
    (frame.answers || []).forEach(function (answer, index) {
      if (!index) picked = answer.id;
      var item = el("div", "line ans");
      var open = el("button", "back", answer.title);
      open.type = "button";
      open.addEventListener("click", function () {
        picked = answer.id;
        openArticle({ id: answer.id, title: answer.title, summary: answer.extract, url: answer.url });
      });
      item.appendChild(open);
      if (answer.extract) item.appendChild(el("p", "ext", answer.extract));
      card.appendChild(item);
    });
    var row = el("div", "row");
    var solved = el("button", null, TEXT.solved);
    solved.type = "button";
    solved.addEventListener("click", function () { sendFrame({ type: "bot_solved", article: picked }); });
    var person = el("button", "primary", TEXT.person);
    person.type = "button";
    person.setAttribute("data-person", "");
    person.addEventListener("click", function () { sendFrame({ type: "handoff" }); });
    row.appendChild(solved);
    row.appendChild(person);
    card.appendChild(row);
    botCard = { turn: frame.turn, card: card, row: row };
    ui.log.appendChild(card);
    scrollDown();
  }

  function closeBot(text) {
    if (!botCard) return;
    botCard.row.textContent = "";
    if (text) botCard.row.appendChild(el("p", "ok", text));
    botCard = null;
    scrollDown();
  }

  // ------------------------------------------------------------------ end of chat
  function showEndCard(frame) {
    ui.endBtn.hidden = true;
    var card = el("div", "card");
    card.setAttribute("data-end", "");
    card.appendChild(el("h3", null, frame.by === "agent" ? TEXT.endedAgent : TEXT.ended));
    var rating = el("div", "line"), choices = (frame.csat || {}).choices || [], picked = 0;
    rating.appendChild(el("p", null, TEXT.rate));
    var row = el("div", "row");
    choices.forEach(function (choice) {
      var stars = !choice.label;
      var button = el("button", null, stars ? choice.value + " ★" : choice.label);
      button.type = "button";
      button.setAttribute("aria-pressed", "false");
      if (stars) button.setAttribute("aria-label", TEXT.stars.replace("%s", choice.value));
      button.addEventListener("click", function () {
        picked = choice.value;
        row.querySelectorAll("button").forEach(function (other) {
          other.setAttribute("aria-pressed", String(other === button));
        });
      });
      row.appendChild(button);
    });
    rating.appendChild(row);
    var comment = el("textarea");
    comment.placeholder = TEXT.comment;
    comment.setAttribute("aria-label", TEXT.comment);
    comment.maxLength = 2000;
    rating.appendChild(comment);
    var rate = el("button", "primary", TEXT.sendRating);
    rate.type = "button";
    rate.addEventListener("click", function () {
      if (picked) sendFrame({ type: "rate", rating: picked, comment: comment.value });
    });
    rating.appendChild(rate);
    if (choices.length) card.appendChild(rating);
    var mail = el("div", "line"), address = el("input");
    address.type = "email";
    address.autocomplete = "email";
    address.value = frame.email || "";
    address.placeholder = TEXT.email;
    address.setAttribute("aria-label", TEXT.email);
    var send = el("button", "primary", TEXT.transcript);
    send.type = "button";
    send.addEventListener("click", function () {
      sendFrame({ type: "transcript", email: address.value });
    });
    mail.appendChild(address);
    mail.appendChild(send);
    card.appendChild(mail);
    var error = el("p", "err");
    error.hidden = true;
    card.appendChild(error);
    endCard = { rating: rating, mail: mail, error: error };
    ui.log.appendChild(card);
    scrollDown();
  }

  // ------------------------------------------------------------------ messages
  function newId() {
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
  }

  function submitText() {
    var text = ui.text.value.trim();
    if (!text) return;
    ui.text.value = "";
    stopTyping();
    queueMessage({ id: newId(), text: text, attachments: [] });
  }

  function queueMessage(item) {
    endCard = null;
    state.outbox.push(item);
    state.profiled = true;
    ui.form.hidden = true;
    save();
    renderPending(item);
    sendMessage(item);
    hideSuggestions();
  }

  function sendMessage(item) {
    sendFrame({ type: "message", id: item.id, text: item.text, attachments: item.attachments });
  }

  function renderPending(item) {
    if (rendered["c" + item.id]) return;
    var bubble = el("div", "msg me", item.text || item.name || "");
    var meta = el("div", "meta", TEXT.sending);
    rendered["c" + item.id] = { bubble: bubble, meta: meta };
    ui.log.appendChild(bubble);
    ui.log.appendChild(meta);
    scrollDown();
  }

  function setMeta(clientId, text, failed) {
    var entry = rendered["c" + clientId];
    if (!entry) return;
    entry.meta.textContent = text;
    entry.meta.className = "meta" + (failed ? " err" : "");
  }

  function renderMessage(message) {
    if (rendered["s" + message.id]) return;
    var mine = message.from === "visitor";
    var pending = mine && rendered["c" + message.client_id];
    var bubble = pending ? pending.bubble : el("div", "msg" + (mine ? " me" : ""));
    bubble.textContent = message.text;
    (message.attachments || []).forEach(function (file) {
      var link = el("a");
      link.href = BASE + file.url;
      link.target = "_blank";
      link.rel = "noopener";
      if (/^image\//.test(file.type)) {
        var img = el("img");
        img.src = BASE + file.url;
        img.alt = file.name;
        link.appendChild(img);
      } else {
        link.textContent = "📎 " + file.name;
      }
      bubble.appendChild(link);
    });
    var entry = { bubble: bubble, meta: pending ? pending.meta : el("div", "meta", ""), id: message.id, mine: mine };
    entry.meta.textContent = "";
    rendered["s" + message.id] = entry;
    if (!pending) {
      if (!mine) {
        var who = el("div", "who");
        var agent = message.agent || ui.agent || { name: TEXT.agent, initial: "" };
        who.appendChild(el("span", "av", agent.initial || "·"));
        who.appendChild(document.createTextNode(agent.name));
        ui.log.appendChild(who);
      }
      ui.log.appendChild(bubble);
      if (mine) ui.log.appendChild(entry.meta);
    }
    if (message.id > since) since = message.id;
    if (!endCard) ui.endBtn.hidden = false;
    state.profiled = true;
    ui.form.hidden = !needsProfile;
    scrollDown();
  }

  function markReadUpto(upto) {
    Object.keys(rendered).forEach(function (key) {
      var entry = rendered[key];
      if (key.charAt(0) === "s" && entry.mine && entry.id <= upto) entry.meta.textContent = TEXT.read;
    });
  }

  function markRead() {
    if (state.open && !document.hidden && since) sendFrame({ type: "read", upto: since });
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && state.open) { unread = 0; showUnread(); markRead(); }
  });

  function scrollDown() { ui.log.scrollTop = ui.log.scrollHeight; }

  // ------------------------------------------------------------------ typing + suggestions
  function onTextInput() {
    var now = Date.now();
    if (now - lastTypingSent > 2500) {
      lastTypingSent = now;
      sendFrame({ type: "typing", typing: true, preview: ui.text.value.slice(0, 200) });
    }
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(stopTyping, 3000);
    window.clearTimeout(suggestTimer);
    suggestTimer = window.setTimeout(suggest, 350);
  }

  function stopTyping() {
    window.clearTimeout(typingTimer);
    if (lastTypingSent) { lastTypingSent = 0; sendFrame({ type: "typing", typing: false }); }
  }

  function suggest() {
    var query = ui.text.value.trim();
    var seq = ++suggestSeq;
    if (query.length < 2) { hideSuggestions(); return; }
    var url = BASE + "/widget/" + encodeURIComponent(KEY) + "/suggest/" + LANG + "/?q=" +
      encodeURIComponent(query.slice(0, 200));
    fetch(url, { credentials: "omit" }).then(function (response) {
      return response.ok ? response.json() : { results: [] };
    }).then(function (data) {
      if (seq !== suggestSeq) return; // an older answer arriving late
      showSuggestions((data.results || []).slice(0, 3));
    }).catch(hideSuggestions);
  }

  function showSuggestions(results) {
    ui.sugg.textContent = "";
    ui.sugg.hidden = !results.length;
    if (!results.length) return;
    ui.sugg.appendChild(el("h3", null, TEXT.articles));
    results.forEach(function (result) {
      var button = el("button", null, result.title);
      button.type = "button";
      button.addEventListener("click", function () { openArticle(result); });
      ui.sugg.appendChild(button);
    });
  }

  function hideSuggestions() {
    suggestSeq += 1;
    ui.sugg.hidden = true;
  }

  function openArticle(result) {
    var pane = ui.article;
    pane.textContent = "";
    var back = el("button", "back", "← " + TEXT.back);
    back.type = "button";
    var formShown = !ui.form.hidden;
    back.addEventListener("click", function () {
      pane.hidden = true;
      ui.log.hidden = false;
      ui.form.hidden = !formShown;
      ui.text.focus();
    });
    pane.appendChild(back);
    pane.appendChild(el("h3", null, result.title));
    var body = el("div", "body", result.summary || TEXT.loading);
    pane.appendChild(body);
    if (result.id) {
      fetch(BASE + "/widget/" + encodeURIComponent(KEY) + "/article/" + LANG + "/" +
        encodeURIComponent(result.id) + "/", { credentials: "omit" })
        .then(function (response) { if (!response.ok) throw new Error(); return response.json(); })
        .then(function (data) { showArticleBody(body, data.html); })
        .catch(function () { body.textContent = result.summary || ""; });
    }
    var link = el("a", null, TEXT.fullArticle + " ↗");
    link.href = BASE + result.url;
    link.target = "_blank";
    link.rel = "noopener";
    pane.appendChild(link);
    ui.log.hidden = true;
    ui.form.hidden = true;
    hideSuggestions();
    pane.hidden = false;
    back.focus();
  }

  function showArticleBody(body, html) {
    // Sanitized by the server (nh3); parsed inertly, then links and images made absolute.
    var doc = new DOMParser().parseFromString(String(html || ""), "text/html");
    body.textContent = "";
    doc.body.querySelectorAll("a[href], img[src]").forEach(function (node) {
      var attr = node.tagName === "A" ? "href" : "src";
      var url = new URL(node.getAttribute(attr), BASE + "/");
      if (!/^https?:$/.test(url.protocol)) { node.removeAttribute(attr); return; }
      node.setAttribute(attr, url.href);
      if (attr === "href") { node.target = "_blank"; node.rel = "noopener"; }
    });
    while (doc.body.firstChild) body.appendChild(document.adoptNode(doc.body.firstChild));
  }

  // ------------------------------------------------------------------ uploads
  function upload(file) {
    if (file.size > (config.max_upload_bytes || 10485760)) { notice(TEXT.tooBig); return; }
    if (!/^(image\/(png|jpeg|gif|webp)|application\/pdf)$/.test(file.type)) {
      notice(TEXT.badType);
      return;
    }
    if (!state.token) { connect(); notice(TEXT.connecting); return; }
    var body = new FormData();
    body.append("token", state.token);
    body.append("file", file);
    fetch(BASE + "/widget/" + encodeURIComponent(KEY) + "/upload/", {
      method: "POST", body: body, credentials: "omit"
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (!result.ok) { notice(TEXT.failed + " (" + result.data.error.message + ")"); return; }
      queueMessage({ id: newId(), text: "", name: "📎 " + result.data.name,
        attachments: [result.data.upload] });
    }).catch(function () { notice(TEXT.failed); });
  }

  function notice(text) {
    ui.log.appendChild(el("div", "sys err", text));
    scrollDown();
  }

  // ------------------------------------------------------------------ start
  function start() {
    fetch(BASE + "/widget/" + encodeURIComponent(KEY) + "/config/", { credentials: "omit" })
      .then(function (response) { if (!response.ok) throw new Error("no channel"); return response.json(); })
      .then(function (data) { config = data; build(); })
      .catch(function () { /* unknown or inactive channel: no widget, no noise */ });
  }
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
