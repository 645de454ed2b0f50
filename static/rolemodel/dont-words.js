/* The project form: a warning under the title and under a budget line's description when the
   text reads like one of the guideline's Don'ts (its words: #dont-words, built by the server
   from workflow.rules). A warning never stops the officer saving; the chief weighs it. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-project-form]");
  var dataNode = document.getElementById("dont-words");
  if (!form || !dataNode) return;
  var data = JSON.parse(dataNode.textContent);
  var counter = 0;

  function fmt(template, params) {
    return String(template).replace(/%\((\w+)\)s/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(params, name) ? params[name] : all;
    });
  }

  function trainingAllowed() {
    var objective = form.querySelector("input[name=primary_objective]:checked");
    var kind = form.querySelector("select[name=training_kind]");
    var local = form.querySelector("input[name=training_target_local]");
    return !!(objective && objective.value === "training" && kind &&
      data.trainingAllowedKinds.indexOf(kind.value) >= 0 && local && local.checked);
  }

  function warningsFor(text, place) {
    var lowered = String(text || "").toLowerCase();
    var allowed = trainingAllowed();
    var found = [];
    Object.keys(data.words).forEach(function (code) {
      var words = data.words[code];
      for (var i = 0; i < words.length; i++) {
        if (allowed && data.trainingWords.indexOf(words[i]) >= 0) continue;
        if (lowered.indexOf(words[i].toLowerCase()) >= 0) {
          found.push(data.clauses[code] + ": " + fmt(data.text, { place: place, word: words[i], rule: data.rules[code] }));
          break;
        }
      }
    });
    return found;
  }

  function sync(input, place) {
    var id = input.getAttribute("data-dont-warning");
    var node = id ? document.getElementById(id) : null;
    if (!node) {
      counter += 1;
      id = "dont-warning-" + counter;
      node = document.createElement("p");
      node.className = "warning";
      node.id = id;
      node.setAttribute("data-dont-text-warning", "");
      node.hidden = true;
      input.setAttribute("data-dont-warning", id);
      input.insertAdjacentElement("afterend", node);
    }
    var found = warningsFor(input.value, place);
    node.textContent = found.join(" ");
    node.hidden = !found.length;
    var tokens = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    var at = tokens.indexOf(id);
    if (found.length && at < 0) tokens.push(id);
    if (!found.length && at >= 0) tokens.splice(at, 1);
    if (tokens.length) input.setAttribute("aria-describedby", tokens.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  function syncAll() {
    var title = form.querySelector("input[name=title]");
    if (title) sync(title, data.places.title);
    Array.prototype.forEach.call(form.querySelectorAll("[data-line-description]"), function (input, i) {
      sync(input, fmt(data.places.budget_line, { number: i + 1 }));
    });
  }

  form.addEventListener("input", function (event) {
    var target = event.target;
    if (target.matches("input[name=title], [data-line-description]")) syncAll();
  });
  form.addEventListener("change", syncAll);
  syncAll();
})();
