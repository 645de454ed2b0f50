/* Role Model Workflow — the spend-line editor of the implementation page.
 *
 * Without this script the page posts its blank rows (empty rows are skipped). With it, rows can
 * be added and removed, the formset's TOTAL_FORMS and the rows' names follow, and the total is
 * summed as you type.
 */
(function () {
  "use strict";

  function init(editor) {
    var prefix = editor.getAttribute("data-prefix");
    var body = editor.querySelector("tbody");
    var template = editor.querySelector("template");
    var totalForms = editor.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var maxForms = editor.querySelector('input[name="' + prefix + '-MAX_NUM_FORMS"]');
    var output = editor.querySelector("[data-total]");
    var addButton = editor.querySelector("[data-add-row]");
    if (!body || !template || !totalForms || !output || !addButton) return;
    var pattern = new RegExp(prefix + "-(\\d+|__prefix__)-", "g");

    function rows() { return body.querySelectorAll("tr[data-row]"); }

    function say(attribute) {
      var text = editor.getAttribute(attribute);
      if (text && window.RoleModel && RoleModel.announce) RoleModel.announce(text);
    }

    function renumber() {
      rows().forEach(function (row, index) {
        row.querySelectorAll("input, select, textarea, label, p[id]").forEach(function (el) {
          ["name", "id", "for", "aria-describedby"].forEach(function (attribute) {
            var value = el.getAttribute(attribute);
            if (value) el.setAttribute(attribute, value.replace(pattern, prefix + "-" + index + "-"));
          });
        });
        row.querySelectorAll(".row-no").forEach(function (span) { span.textContent = String(index + 1); });
      });
      totalForms.value = String(rows().length);
      var max = maxForms ? parseInt(maxForms.value, 10) : NaN;
      addButton.disabled = isFinite(max) && rows().length >= max;
    }

    function sum() {
      var total = 0;
      body.querySelectorAll('input[name$="-amount"]').forEach(function (input) {
        var n = parseFloat(input.value);
        if (isFinite(n)) total += n;
      });
      output.textContent = RoleModel.baht(total);
    }

    function reveal(scope) {
      scope.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });
    }

    reveal(editor);

    addButton.addEventListener("click", function () {
      body.appendChild(template.content.cloneNode(true));
      renumber();
      var all = rows();
      var row = all[all.length - 1];
      reveal(row);
      var first = row.querySelector("input, select");
      if (first) first.focus();
      say("data-added");
    });

    body.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-remove-row]") : null;
      if (!button) return;
      var row = button.closest("tr");
      if (rows().length <= 1) {
        row.querySelectorAll("input, select, textarea").forEach(function (el) { el.value = ""; });
      } else {
        row.parentNode.removeChild(row);
      }
      renumber();
      sum();
      addButton.focus();
      say("data-removed");
    });

    body.addEventListener("input", sum);
    renumber();
    sum();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-spend-lines]").forEach(init);
  });
})();
