/* Well dashboard: keeps the "In progress" panel (running syncs, documents waiting to be read)
 * up to date. The panel carries data-progress-url; each run is [data-run=id] with
 * [data-run-field] counts, each workspace's reading backlog [data-reading=id]. When a run
 * finishes or the backlog empties, the page reloads once to show the new figures. */
(function () {
  "use strict";
  var panel = document.querySelector("[data-well-progress]");
  if (!panel || !window.fetch) { return; }
  var url = panel.getAttribute("data-progress-url");
  var shown = Array.prototype.map.call(document.querySelectorAll("[data-run]"), function (item) {
    return item.getAttribute("data-run");
  });
  var reading = {};
  document.querySelectorAll("[data-reading]").forEach(function (item) {
    var count = item.querySelector("[data-reading-count]");
    reading[item.getAttribute("data-reading")] = count ? parseInt(count.textContent, 10) : 0;
  });

  function update() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(update, 15000); return; }
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
        var emptied = false;
        Object.keys(reading).forEach(function (workspace) {
          var now = data.reading[workspace] || 0;
          var cell = document.querySelector('[data-reading="' + workspace + '"] [data-reading-count]');
          if (cell) { cell.textContent = String(now); }
          if (reading[workspace] > 0 && now === 0) { emptied = true; }
        });
        if (emptied || shown.some(function (id) { return !running[id]; })) {
          window.location.reload();
          return;
        }
        window.setTimeout(update, 4000);
      })
      .catch(function () { window.setTimeout(update, 15000); });
  }
  window.setTimeout(update, 4000);
})();
