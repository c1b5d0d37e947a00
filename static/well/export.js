/* The export page's "Select all" box uses an inline onchange handler, which the CSP
 * (script-src 'self') blocks; bind the same function from a static file instead. */
(function () {
  "use strict";
  document.querySelectorAll("input.select-toggle").forEach(function (toggle) {
    toggle.addEventListener("change", function (event) {
      if (typeof window.onSelectToggleChange === "function") { window.onSelectToggleChange(event); }
    });
  });
})();
