/* Inbox: say how many review tasks are ticked for the bulk approval. The page works without it. */
(function () {
  "use strict";

  function update() {
    var form = document.getElementById("bulk-approve");
    var output = document.getElementById("bulk-count");
    if (!form || !output) return;
    var n = document.querySelectorAll('input[type=checkbox][name="tasks"]:checked').length;
    var text = n === 0 ? form.getAttribute("data-none")
      : n === 1 ? form.getAttribute("data-one")
      : form.getAttribute("data-many").replace("%(n)s", String(n));
    output.hidden = false;
    if (output.textContent !== text) {
      output.textContent = text;
      return text;
    }
    return null;
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box || box.type !== "checkbox") return;
    if (box.name !== "tasks" && !box.hasAttribute("data-select-all")) return;
    /* app.js ticks the rows for a "select all" box in its own listener; count after it. */
    window.setTimeout(function () {
      var said = update();
      if (said && window.RoleModel && RoleModel.announce) RoleModel.announce(said);
    }, 0);
  });

  document.addEventListener("DOMContentLoaded", update);
})();
