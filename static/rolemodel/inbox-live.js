/* Inbox, live: a task that arrives while the inbox is open is added at the top of the list,
 * and a task that someone else takes (or that is done) is marked and its claim and approval
 * controls are switched off. Listens to the events of live.js; the page works without it.
 *
 * A new row comes from GET /inbox/rows/<task>/ with the inbox's own query string (the server
 * answers 404 when the task is not in this view of the inbox). When the page has no table yet
 * (the empty state), or the row needs the bulk-approval form the page does not have, the list
 * region is reloaded instead (the page's <main>, fetched again; nothing is being typed there).
 * On page 2 and later nothing is inserted: the new task belongs at the top of page 1.
 */
(function () {
  "use strict";

  var config = document.getElementById("inbox-live-script");
  if (!config) return;
  var rowUrl = config.getAttribute("data-row-url") || "";
  var inboxUrl = config.getAttribute("data-inbox-url") || "/inbox/";
  var OPEN = { NEW: true, ASSIGNED: true, STARTED: true };
  var pending = {};
  var countsTimer = null;

  function say(name, values) {
    var text = config.getAttribute("data-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("%(" + key + ")s").join(values[key]);
    });
    return text;
  }

  function announce(text) {
    if (text && window.RoleModel && RoleModel.announce) RoleModel.announce(text);
  }

  function me() {
    var script = document.getElementById("live-script");
    return script ? script.getAttribute("data-user") : "";
  }

  /* The newest notice id when the page was rendered: older notices are already in the list. */
  function renderedLast() {
    var script = document.getElementById("live-script");
    var value = parseInt((script && script.getAttribute("data-last")) || "", 10);
    return isFinite(value) ? value : null;
  }
  var baseline = renderedLast();

  function query() {
    return window.location.search || "";
  }

  function onLaterPage() {
    var page = parseInt(new URLSearchParams(window.location.search).get("page") || "1", 10);
    return isFinite(page) && page > 1;
  }

  function getHtml(url) {
    return window.fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "text/html", "X-Requested-With": "XMLHttpRequest" },
    }).then(function (response) {
      return response.ok ? response.text() : null;
    });
  }

  function parseRow(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var row = template.content.querySelector("tr[id^='task-']");
    return row ? document.importNode(row, true) : null;
  }

  function titleOf(row) {
    var link = row.querySelector("td a");
    return link ? link.textContent.trim() : "";
  }

  /* The counts above the list ("3 tasks · 1 held by you …"), fetched again a moment later. */
  function refreshCounts() {
    window.clearTimeout(countsTimer);
    countsTimer = window.setTimeout(function () {
      getHtml(inboxUrl + query()).then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("inbox-counts");
        var current = document.getElementById("inbox-counts");
        if (fresh && current) current.innerHTML = fresh.innerHTML;
      }).catch(function () { /* the counts stay as they were */ });
    }, 400);
  }

  /* The whole list region again, for the empty state (no table to add a row to). */
  function reloadList(taskId) {
    return getHtml(inboxUrl + query()).then(function (html) {
      if (!html) return;
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.getElementById("main");
      var main = document.getElementById("main");
      if (!fresh || !main) return;
      var row = doc.getElementById("task-" + taskId);
      if (!row) return; /* not in this view of the inbox */
      while (main.firstChild) main.removeChild(main.firstChild);
      Array.prototype.slice.call(fresh.childNodes).forEach(function (node) {
        main.appendChild(document.importNode(node, true));
      });
      var added = document.getElementById("task-" + taskId);
      if (added) added.classList.add("fresh");
      announce(say("added", { title: titleOf(row) }));
    });
  }

  function addTask(taskId) {
    var body = document.querySelector("table.inbox tbody");
    if (!body || !rowUrl) return reloadList(taskId);
    return getHtml(rowUrl.replace(/\/0\/$/, "/" + taskId + "/") + query()).then(function (html) {
      if (!html) return; /* 404: not in this view of the inbox (filtered out, or already gone) */
      var row = parseRow(html);
      if (!row || document.getElementById(row.id)) return;
      if (row.querySelector("input[name='tasks']") && !document.getElementById("bulk-approve")) {
        return reloadList(taskId); /* its approval box needs the form the page lacks */
      }
      row.classList.add("fresh");
      body.insertBefore(row, body.firstChild);
      announce(say("added", { title: titleOf(row) }));
      refreshCounts();
    });
  }

  document.addEventListener("rolemodel:notification", function (event) {
    var detail = event.detail || {};
    var notice = detail.notification || {};
    if (!notice.task || onLaterPage()) return;
    /* A notice from the catch-up is news only if it came after the page was rendered. */
    if (!detail.live && (baseline === null || notice.id <= baseline)) return;
    var taskId = notice.task;
    if (pending[taskId] || document.getElementById("task-" + taskId)) return;
    pending[taskId] = true;
    Promise.resolve(addTask(taskId)).catch(function () { /* try again on the next notice */ })
      .then(function () { delete pending[taskId]; });
  });

  /* --- Someone else took it, or it is done ------------------------------------------------- */

  function untick(box) {
    if (box.checked) {
      box.checked = false;
      box.dispatchEvent(new Event("change", { bubbles: true })); /* inbox.js recounts */
    }
    box.disabled = true;
  }

  /* The "Held by" cell (the fourth; see approvals/inbox_row.html) names the new holder. */
  function showHolder(row, name) {
    var cell = row.cells && row.cells.length >= 4 ? row.cells[3] : null;
    if (!cell || !name) return;
    var box = cell.querySelector("div") || cell;
    box.textContent = name;
  }

  function mark(row, label, kind) {
    row.classList.remove("taken", "done", "fresh");
    row.classList.add(kind);
    var old = row.querySelector(".live-mark");
    if (old) old.parentNode.removeChild(old);
    var badge = document.createElement("span");
    badge.className = "badge live-mark " + (kind === "done" ? "ok" : "warn");
    badge.textContent = label;
    var cell = row.querySelector(".project-cell") || row.querySelector("td");
    var link = cell && cell.querySelector("a");
    if (link && link.parentNode === cell) {
      cell.insertBefore(badge, link.nextSibling);
      cell.insertBefore(document.createTextNode(" "), badge);
    } else if (cell) {
      cell.insertBefore(badge, cell.firstChild);
    }
    row.querySelectorAll("input[name='tasks']").forEach(untick);
    var controls = kind === "done"
      ? row.querySelectorAll(".task-actions button, .task-actions select")
      : row.querySelectorAll("form[action*='/claim/'] button");
    Array.prototype.forEach.call(controls, function (control) { control.disabled = true; });
    announce(titleOf(row) + ": " + label);
  }

  /* Released, or now mine (another tab): show the row as the server does now. */
  function refreshRow(row, taskId) {
    if (!rowUrl) return;
    var ticked = !!row.querySelector("input[name='tasks']:checked");
    getHtml(rowUrl.replace(/\/0\/$/, "/" + taskId + "/") + query()).then(function (html) {
      var fresh = html && parseRow(html);
      if (!fresh || !row.parentNode) return;
      var box = fresh.querySelector("input[name='tasks']");
      if (box && ticked) box.checked = true;
      row.parentNode.replaceChild(fresh, row);
    }).catch(function () { /* the row stays as it was */ });
  }

  document.addEventListener("rolemodel:task-update", function (event) {
    var update = event.detail || {};
    var row = document.getElementById("task-" + update.task_id);
    if (!row) return;
    if (!OPEN[update.status]) {
      mark(row, update.status === "DONE" ? say("done") : say("closed"), "done");
    } else if (update.owner !== null && update.owner !== undefined && String(update.owner) !== me()) {
      mark(row, say("taken", { name: update.owner_name || "" }), "taken");
      showHolder(row, update.owner_name);
    } else {
      refreshRow(row, update.task_id);
    }
    refreshCounts();
  });
})();
