/* Well dashboard: keeps the "In progress" panel of running syncs up to date.
 * The panel carries data-progress-url; each run is [data-run=id] with [data-run-field] counts.
 * When a run finishes (it leaves the answer) the page reloads once to show the new figures. */
(function () {
  "use strict";
  var panel = document.querySelector("[data-well-progress]");
  if (!panel || !window.fetch) { return; }
  var url = panel.getAttribute("data-progress-url");
  var shown = Array.prototype.map.call(document.querySelectorAll("[data-run]"), function (item) {
    return item.getAttribute("data-run");
  });

  function update() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var running = {};
        data.runs.forEach(function (run) {
          running[String(run.id)] = true;
          var item = document.querySelector('[data-run="' + run.id + '"]');
          if (!item) { return; }
          item.querySelectorAll("[data-run-field]").forEach(function (cell) {
            var name = cell.getAttribute("data-run-field");
            if (name in run) { cell.textContent = String(run[name]); }
          });
        });
        if (shown.some(function (id) { return !running[id]; })) {
          window.location.reload();
          return;
        }
        window.setTimeout(update, 4000);
      })
      .catch(function () { window.setTimeout(update, 15000); });
  }
  window.setTimeout(update, 4000);
})();
