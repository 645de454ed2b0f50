/* Parts 1 and 2 of the report book: "Add a row" adds an empty row in the page.
   Without this script the same button posts the form, and the server answers with the
   rows typed so far and more empty rows (nothing is saved). Every row is a Django formset
   form; a new row is a copy of the formset's empty form with its index filled in. */
(function () {
  "use strict";

  var RM = window.RoleModel || {};
  var announce = RM.announce || function () {};

  function setUp(section) {
    var prefix = section.getAttribute("data-formset");
    var total = section.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var max = section.querySelector('input[name="' + prefix + '-MAX_NUM_FORMS"]');
    var list = section.querySelector("[data-rows]");
    var template = section.querySelector("template[data-row-template]");
    var button = section.querySelector("[data-add-row]");
    if (!total || !list || !template || !button) return;

    button.addEventListener("click", function (event) {
      event.preventDefault();
      var index = parseInt(total.value, 10) || 0;
      var limit = max ? parseInt(max.value, 10) : NaN;
      if (!isNaN(limit) && index >= limit) {
        announce(button.getAttribute("data-full") || "");
        return;
      }
      var holder = document.createElement("div");
      holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
      var row = holder.firstElementChild;
      if (!row) return;
      var number = row.querySelector("[data-row-number]");
      if (number) number.textContent = String(list.querySelectorAll("[data-row]").length + 1);
      list.appendChild(row);
      total.value = String(index + 1);
      var first = row.querySelector("input:not([type=hidden]):not([type=checkbox]), textarea, select");
      if (first) first.focus();
      var legend = row.querySelector("legend");
      announce((button.getAttribute("data-added") || "") + " " + (legend ? legend.textContent.trim() : ""));
    });
  }

  document.querySelectorAll("form[data-book-form] [data-formset]").forEach(setUp);
})();
