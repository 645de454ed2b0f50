/* Live notices on every page: the unread badge in the header and short toasts.
 *
 * Opens /ws/notifications/ and says hello with the last notice id this tab has seen (kept in
 * sessionStorage per user), so a reload, the next page or a reconnect picks up exactly what it
 * missed. Notices from that catch-up are summed up in one toast ("3 new notices"); notices
 * pushed afterwards get a toast each. A drop is retried with backoff (1 s doubling to 30 s,
 * with jitter); a close with 4401 (not logged in) stops and asks the user to log in again.
 *
 * Other scripts listen on document for:
 *   "rolemodel:notification"  detail {notification, live}  (live false: from a catch-up)
 *   "rolemodel:task-update"   detail = the task.update message
 *   "rolemodel:read"          detail = the read message
 * The page works without this script: the badge is rendered by the server.
 */
(function () {
  "use strict";
  window.RoleModel = window.RoleModel || {};

  var script = document.getElementById("live-script");
  if (!script || !("WebSocket" in window)) return;
  var userId = script.getAttribute("data-user") || "";
  if (!userId) return;

  var UNAUTHENTICATED = 4401;
  var MIN_DELAY = 1000;
  var MAX_DELAY = 30000;
  var TOAST_MS = 6000;
  var MAX_TOASTS = 3;
  var STORE_KEY = "rolemodel.notices.last." + userId;
  var english = document.documentElement.lang === "en";

  var socket = null;
  var attempts = 0;
  var retryTimer = null;
  var stopped = false; /* logged out (4401) or leaving the page */
  var live = false; /* caught up on this connection: what arrives now is news */
  var lastId = null; /* the newest id seen, as sent in hello */
  var sessionStart = null; /* lastId when this connection said hello */
  var backlog = 0; /* unread notices in this connection's catch-up */
  var seen = {}; /* ids already handled in this page */
  var unread = null;

  function readStored() {
    try {
      var value = window.sessionStorage.getItem(STORE_KEY);
      return value === null ? null : parseInt(value, 10);
    } catch (e) {
      return null;
    }
  }

  function remember(id) {
    if (lastId !== null && id <= lastId) return;
    lastId = id;
    try {
      window.sessionStorage.setItem(STORE_KEY, String(id));
    } catch (e) { /* private mode: the page still works, it only forgets on reload */ }
  }

  function setState(state) {
    document.body.setAttribute("data-live", state);
  }

  /* --- The badge ------------------------------------------------------------------------ */

  function setUnread(count) {
    if (typeof count !== "number" || !isFinite(count)) return;
    unread = Math.max(0, count);
    var badge = document.getElementById("unread-badge");
    var label = document.getElementById("unread-label");
    if (badge) {
      badge.textContent = String(unread);
      badge.hidden = unread === 0;
    }
    if (label) label.hidden = unread === 0;
  }

  /* --- Toasts --------------------------------------------------------------------------- */

  function container() {
    return document.getElementById("toasts");
  }

  function text(name, fallback) {
    var box = container();
    return (box && box.getAttribute("data-" + name)) || fallback;
  }

  function dismiss(toast) {
    if (!toast || !toast.parentNode) return;
    window.clearTimeout(toast._timer);
    var hadFocus = toast.contains(document.activeElement);
    toast.parentNode.removeChild(toast);
    if (hadFocus) {
      var link = document.getElementById("notices-link");
      (link || document.getElementById("main") || document.body).focus();
    }
  }

  function schedule(toast) {
    window.clearTimeout(toast._timer);
    if (toast._sticky) return;
    toast._timer = window.setTimeout(function () { dismiss(toast); }, TOAST_MS);
  }

  /* A toast: a live region of its own (filled after it is in the page, so that it is read out),
   * a link to the notices, and a dismiss button. It stays while hovered or focused. */
  function toast(message, options) {
    var box = container();
    if (!box) return null;
    options = options || {};
    var existing = box.querySelectorAll(".toast");
    for (var i = 0; i <= existing.length - MAX_TOASTS; i++) dismiss(existing[i]);

    var node = document.createElement("div");
    node.className = "toast" + (options.kind ? " " + options.kind : "");
    node.setAttribute("role", "status");
    node.setAttribute("aria-live", "polite");
    node.setAttribute("aria-atomic", "true");
    node._sticky = !!options.sticky;
    box.appendChild(node);

    window.setTimeout(function () {
      var body = document.createElement(options.href ? "a" : "p");
      body.className = "toast-text";
      body.textContent = message;
      if (options.href) body.href = options.href;
      node.appendChild(body);
      if (options.linkText && options.linkHref) {
        var more = document.createElement("a");
        more.className = "toast-link";
        more.href = options.linkHref;
        more.textContent = options.linkText;
        node.appendChild(more);
      }
      var close = document.createElement("button");
      close.type = "button";
      close.className = "toast-close";
      close.setAttribute("aria-label", text("dismiss", "Dismiss"));
      close.textContent = "\u00d7";
      close.addEventListener("click", function () { dismiss(node); });
      node.appendChild(close);
    }, 50);

    node.addEventListener("mouseenter", function () { window.clearTimeout(node._timer); });
    node.addEventListener("mouseleave", function () { if (!node.contains(document.activeElement)) schedule(node); });
    node.addEventListener("focusin", function () { window.clearTimeout(node._timer); });
    node.addEventListener("focusout", function (event) {
      if (!node.contains(event.relatedTarget)) schedule(node);
    });
    node.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        dismiss(node);
      }
    });
    schedule(node);
    return node;
  }

  /* Escape anywhere closes the toasts (unless something else used the key). */
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    var box = container();
    if (!box) return;
    Array.prototype.slice.call(box.querySelectorAll(".toast:not(.login)")).forEach(dismiss);
  });

  function noticesUrl() {
    var link = document.getElementById("notices-link");
    return text("notices-url", "") || (link && link.getAttribute("href")) || "";
  }

  function showNotice(notice) {
    var message = english ? (notice.text_en || notice.text_th) : (notice.text_th || notice.text_en);
    toast(message, { href: noticesUrl() || null });
  }

  function showSummary(count) {
    if (count <= 0) return;
    var message = count === 1 ? text("one", "One new notice")
      : text("many", "%(n)s new notices").replace("%(n)s", String(count));
    toast(message, { href: noticesUrl() || null });
  }

  function showLogin() {
    var box = container();
    if (box && box.querySelector(".toast.login")) return;
    toast(text("login", "Please log in again"), {
      kind: "login",
      sticky: true,
      linkText: text("login-link", "Log in"),
      linkHref: text("login-url", "/accounts/login/"),
    });
  }

  /* --- Messages ------------------------------------------------------------------------- */

  function emit(name, detail) {
    var event;
    try {
      event = new CustomEvent(name, { detail: detail });
    } catch (e) {
      event = document.createEvent("CustomEvent");
      event.initCustomEvent(name, false, false, detail);
    }
    document.dispatchEvent(event);
  }

  function onNotification(notice) {
    if (!notice || typeof notice.id !== "number" || seen[notice.id]) return;
    seen[notice.id] = true;
    /* Without a starting id (the API could not say) the catch-up is history, not news. */
    var isNews = sessionStart !== null && notice.id > sessionStart;
    remember(notice.id);
    if (live) {
      if (!notice.read) setUnread((unread || 0) + 1);
      showNotice(notice);
    } else if (isNews && !notice.read) {
      backlog += 1;
    }
    emit("rolemodel:notification", { notification: notice, live: live });
  }

  function onCaughtUp(message) {
    if (typeof message.last_id === "number" && message.last_id > 0) remember(message.last_id);
    if (message.more) {
      send({ type: "hello", after: lastId || 0 });
      return;
    }
    setUnread(message.unread_count);
    attempts = 0;
    if (!live) {
      live = true;
      setState("live");
      showSummary(backlog);
      backlog = 0;
    }
  }

  /* Read on another tab: the notices page (if this is it) shows them read too. */
  function markItemsRead(message) {
    var ids = {};
    (message.ids || []).forEach(function (id) { ids[id] = true; });
    document.querySelectorAll(".notice.unread[data-notice-id]").forEach(function (item) {
      if (!message.all && !ids[item.getAttribute("data-notice-id")]) return;
      item.classList.remove("unread");
      item.querySelectorAll(".notice-new, form.notice-read").forEach(function (node) {
        node.parentNode.removeChild(node);
      });
    });
  }

  function onRead(message) {
    setUnread(message.unread_count);
    markItemsRead(message);
    emit("rolemodel:read", message);
  }

  function onMessage(event) {
    var message;
    try {
      message = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (!message || typeof message !== "object") return;
    if (message.type === "notification") onNotification(message.notification);
    else if (message.type === "caught_up") onCaughtUp(message);
    else if (message.type === "task.update") emit("rolemodel:task-update", message);
    else if (message.type === "read") onRead(message);
  }

  /* --- The connection ------------------------------------------------------------------- */

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function url() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + "/ws/notifications/";
  }

  function connect() {
    if (stopped) return;
    window.clearTimeout(retryTimer);
    retryTimer = null;
    live = false;
    backlog = 0;
    sessionStart = lastId;
    setState("connecting");
    var current;
    try {
      current = new WebSocket(url());
    } catch (e) {
      retry();
      return;
    }
    socket = current;
    current.onopen = function () {
      send({ type: "hello", after: lastId || 0 });
    };
    current.onmessage = function (event) {
      if (current === socket) onMessage(event);
    };
    current.onclose = function (event) {
      if (current !== socket) return;
      socket = null;
      live = false;
      if (event.code === UNAUTHENTICATED) {
        stopped = true;
        setState("logged-out");
        showLogin();
        return;
      }
      if (!stopped) retry();
    };
  }

  function retry() {
    if (stopped || retryTimer !== null) return;
    setState("offline");
    var ceiling = Math.min(MAX_DELAY, MIN_DELAY * Math.pow(2, attempts));
    attempts += 1;
    var delay = Math.max(MIN_DELAY, Math.round(ceiling / 2 + Math.random() * ceiling / 2));
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      connect();
    }, delay);
  }

  /* Back online: try now instead of waiting out the backoff. */
  window.addEventListener("online", function () {
    if (!stopped && socket === null) {
      window.clearTimeout(retryTimer);
      retryTimer = null;
      connect();
    }
  });

  /* Leaving the page closes the socket on purpose: no reconnect, no error. */
  window.addEventListener("pagehide", function () {
    stopped = true;
    if (socket) socket.close(1000);
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && stopped && document.body.getAttribute("data-live") !== "logged-out") {
      stopped = false;
      attempts = 0;
      connect();
    }
  });

  /* Where to start: this tab's last id; on a tab's first page, the newest id when the page
   * was rendered (so that old notices are not fetched again); without either, ask the API. */
  function start() {
    var stored = readStored();
    if (stored !== null && isFinite(stored)) {
      lastId = stored;
      connect();
      return;
    }
    var rendered = parseInt(script.getAttribute("data-last") || "", 10);
    if (isFinite(rendered)) {
      remember(rendered);
      connect();
      return;
    }
    window.fetch("/api/v1/notifications/?page_size=1", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (body) {
      var newest = body && body.results && body.results[0];
      remember(newest ? newest.id : 0);
    }).catch(function () {
      lastId = null;
    }).then(connect);
  }

  RoleModel.live = {
    userId: userId,
    toast: toast,
    state: function () { return document.body.getAttribute("data-live") || ""; },
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
