/* Role Model Workflow — small progressive enhancements; every page works without them. */
(function () {
  "use strict";
  window.RoleModel = window.RoleModel || {};

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }
  RoleModel.csrfToken = function () { return cookie("csrftoken"); };

  /* Say something to screen-reader users (the #live region is on every page). */
  RoleModel.announce = function (text) {
    var live = document.getElementById("live");
    if (!live) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  };

  /* Baht with thousands separators and two decimals, whatever the page language. */
  RoleModel.baht = function (value) {
    var n = Number(value);
    if (!isFinite(n)) n = 0;
    return n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  };

  /* Forms marked data-confirm ask before they post. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  /* A "select all" checkbox: data-select-all="name of the row checkboxes". */
  document.addEventListener("change", function (event) {
    var box = event.target;
    var name = box.getAttribute && box.getAttribute("data-select-all");
    if (!name) return;
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (other) {
      if (!other.disabled) other.checked = box.checked;
    });
  });

  /* Move focus to the first error so keyboard and screen-reader users land on it. */
  document.addEventListener("DOMContentLoaded", function () {
    var first = document.querySelector(".field.invalid input, .field.invalid select, .field.invalid textarea, [data-focus-error]");
    if (first) first.focus();
  });
})();
