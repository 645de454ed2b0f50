/* The project form: budget lines (add, remove, live total and remaining budget), fields shown
   only when they apply, and the guideline's Don't warnings while the officer types.
   The texts come from the page (#project-rules, built by the server from workflow.rules); the
   server still decides on save. Without this script the form works as a plain post. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-project-form]");
  var rulesNode = document.getElementById("project-rules");
  if (!form || !rulesNode) return;
  var rules = JSON.parse(rulesNode.textContent);
  var RM = window.RoleModel || {};
  var announce = RM.announce || function () {};
  var baht = RM.baht || function (n) { return Number(n).toFixed(2); };

  function fmt(template, params) {
    return String(template).replace(/%\((\w+)\)s/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(params, name) ? params[name] : all;
    });
  }

  function amountOf(text) {
    var cleaned = String(text || "").replace(/[,\s\u00a0]/g, "");
    if (!cleaned) return 0;
    var n = Number(cleaned);
    return isFinite(n) ? n : 0;
  }

  function describedBy(input, id, on) {
    var tokens = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    var at = tokens.indexOf(id);
    if (on && at < 0) tokens.push(id);
    if (!on && at >= 0) tokens.splice(at, 1);
    if (tokens.length) input.setAttribute("aria-describedby", tokens.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  /* Show a warning paragraph; say it aloud only when it newly appears. */
  function setWarning(node, text, speak) {
    if (!node) return;
    var wasHidden = node.hidden;
    node.textContent = text || "";
    node.hidden = !text;
    if (text && wasHidden && speak) announce(text);
  }

  /* --- Fields shown only when they apply ------------------------------------------------- */
  var dimension = form.querySelector("select[name=dimension]");
  var otherBox = form.querySelector("[data-when-dimension=other]");
  function syncDimension() {
    if (dimension && otherBox) otherBox.hidden = dimension.value !== "other";
  }

  var trainingBox = form.querySelector("[data-when-training]");
  var trainingKind = form.querySelector("select[name=training_kind]");
  var trainingLocal = form.querySelector("input[name=training_target_local]");
  var objectiveWarning = form.querySelector("[data-objective-warning]");
  function objective() {
    var checked = form.querySelector("input[name=primary_objective]:checked");
    return checked ? checked.value : "development";
  }
  function syncObjective(speak) {
    var training = objective() === "training";
    if (trainingBox) trainingBox.hidden = !training;
    var allowed = rules.trainingAllowedKinds.indexOf(trainingKind ? trainingKind.value : "") >= 0 &&
      !!(trainingLocal && trainingLocal.checked);
    setWarning(objectiveWarning, training && !allowed ? rules.training.text : "", speak);
  }

  /* --- Budget lines ---------------------------------------------------------------------- */
  var list = form.querySelector("[data-lines]");
  var template = document.getElementById("line-template");
  var addButton = form.querySelector("[data-add-line]");
  var totalOut = form.querySelector("[data-total]");
  var afterOut = form.querySelector("[data-after]");
  var meter = form.querySelector("[data-meter]");
  var capWarning = form.querySelector("[data-cap-warning]");
  var available = amountOf(form.getAttribute("data-available"));
  var committedOther = amountOf(form.getAttribute("data-committed-other"));
  var cap = amountOf(form.getAttribute("data-cap"));

  function rows() { return Array.prototype.slice.call(list.querySelectorAll("[data-line]")); }

  function isBlank(row) {
    return !row.querySelector("[data-line-description]").value.trim() &&
      !row.querySelector("[data-line-category]").value &&
      !row.querySelector("[data-line-amount]").value.trim() &&
      !row.querySelector(".error");
  }

  function indexOf(row) {
    var match = /^line-(\d+)-/.exec(row.querySelector("[data-line-description]").name);
    return match ? Number(match[1]) : -1;
  }

  function renumber() {
    rows().forEach(function (row, i) {
      var name = fmt(rules.texts.line, { number: i + 1 });
      row.querySelectorAll("[data-line-name]").forEach(function (n) { n.textContent = name; });
      row.querySelectorAll("[data-line-name-suffix]").forEach(function (n) { n.textContent = " " + name; });
    });
  }

  function syncLine(row, speak) {
    var select = row.querySelector("[data-line-category]");
    var warning = row.querySelector("[data-line-warning]");
    var rule = rules.categories[select.value];
    setWarning(warning, rule ? rule.text : "", speak);
    describedBy(select, warning.id, !!rule);
  }

  function totals(speak) {
    var total = rows().reduce(function (sum, row) {
      return sum + amountOf(row.querySelector("[data-line-amount]").value);
    }, 0);
    var after = available - total;
    if (totalOut) totalOut.textContent = baht(total);
    if (afterOut) afterOut.textContent = baht(after);
    if (meter) {
      var used = cap > 0 ? Math.max(0, Math.min(100, ((committedOther + total) * 100) / cap)) : 100;
      meter.querySelector("span").style.width = used.toFixed(0) + "%";
      meter.classList.toggle("over", after < 0);
    }
    if (capWarning) {
      var text = after < 0 ? fmt(rules.cap.text, { committed: baht(committedOther), budget: baht(total), cap: baht(cap) }) : "";
      setWarning(capWarning, text, speak);
    }
    return { total: total, after: after };
  }

  function addLine() {
    var next = rows().reduce(function (max, row) { return Math.max(max, indexOf(row)); }, -1) + 1;
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__i__/g, String(next));
    var row = holder.querySelector("[data-line]");
    row.querySelector("[data-remove-line]").hidden = false;
    list.appendChild(row);
    renumber();
    row.querySelector("[data-line-description]").focus();
    announce(fmt(rules.texts.lineAdded, { number: rows().length }));
  }

  function removeLine(row) {
    var all = rows();
    var at = all.indexOf(row);
    row.parentNode.removeChild(row);
    renumber();
    totals(false);
    var left = rows();
    var target = left[at] || left[at - 1];
    if (target) target.querySelector("[data-line-description]").focus();
    else if (addButton) addButton.focus();
    announce(rules.texts.lineRemoved);
  }

  if (list && template) {
    /* Without the script the page brings several blank rows; with it, one is enough. */
    rows().filter(isBlank).slice(1).forEach(function (row) {
      row.parentNode.removeChild(row);
    });
    rows().forEach(function (row) {
      row.querySelector("[data-remove-line]").hidden = false;
      syncLine(row, false);
    });
    renumber();
    if (addButton) {
      addButton.hidden = false;
      addButton.addEventListener("click", addLine);
    }
    list.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("[data-remove-line]");
      if (button) removeLine(button.closest("[data-line]"));
    });
    list.addEventListener("input", function (event) {
      if (event.target.matches("[data-line-amount]")) totals(false);
    });
    list.addEventListener("change", function (event) {
      var target = event.target;
      if (target.matches("[data-line-category]")) syncLine(target.closest("[data-line]"), true);
      if (target.matches("[data-line-amount]")) {
        var now = totals(true);
        announce(fmt(rules.texts.total, { total: baht(now.total), after: baht(now.after) }));
      }
    });
    totals(false);
  }

  /* --- The rest of the form -------------------------------------------------------------- */
  form.addEventListener("change", function (event) {
    var name = event.target.name;
    if (name === "dimension") syncDimension();
    if (name === "primary_objective" || name === "training_kind" || name === "training_target_local") {
      syncObjective(true);
    }
    if (name === "subdistricts") syncSelectAll();
  });

  var selectAll = form.querySelector("[data-select-all=subdistricts]");
  function syncSelectAll() {
    if (!selectAll) return;
    var boxes = form.querySelectorAll("input[name=subdistricts]");
    var checked = form.querySelectorAll("input[name=subdistricts]:checked");
    selectAll.checked = boxes.length > 0 && boxes.length === checked.length;
  }

  syncDimension();
  syncObjective(false);
  syncSelectAll();
})();
