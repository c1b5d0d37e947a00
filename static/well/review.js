/* Well review queue and review screen: keyboard shortcuts and evidence boxes.
 *
 * No inline script (CSP script-src 'self'): the pages describe themselves with data
 * attributes and this file reads them.
 *   [data-shortcut="k"]       the element a key acts on: links and buttons are clicked,
 *                             a field (or the first field inside the element) gets focus
 *   [data-well-reveal="id"]   a button that shows the element #id and focuses its first field
 *   [data-well-toggle="id"]   a button that shows or hides #id
 *   [data-well-close]         closes the panel or dialog it sits in
 *   [data-evidence-page] + [data-evidence-box="x0 top x1 bottom"]
 *                             a field read at that box (PDF points, origin top-left) of that
 *                             page; hover or focus draws the box on the page image
 */
(function () {
  "use strict";

  var FIELD_SELECTOR = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])";

  function isTyping(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  /* A focused link or button does what Enter asks of it (follow, press), not a shortcut. */
  function isActivatable(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    return tag === "a" || tag === "button" || target.getAttribute("role") === "button";
  }

  function closeOpenPanels() {
    var closed = false;
    document.querySelectorAll("[data-well-help]:not([hidden]), .well-refuse:not([hidden])").forEach(function (panel) {
      panel.hidden = true;
      closed = true;
    });
    return closed;
  }

  function reveal(id) {
    var panel = document.getElementById(id);
    if (!panel) { return; }
    panel.hidden = false;
    var field = panel.querySelector(FIELD_SELECTOR);
    if (field) { field.focus(); if (field.select) { field.select(); } }
  }

  function toggle(id) {
    var panel = document.getElementById(id);
    if (panel) { panel.hidden = !panel.hidden; }
  }

  function act(element) {
    if (element.matches(FIELD_SELECTOR)) {
      element.focus();
      if (element.select) { element.select(); }
      return;
    }
    var tag = element.tagName.toLowerCase();
    if (tag !== "a" && tag !== "button") {
      var field = element.querySelector(FIELD_SELECTOR);
      if (field) { field.focus(); if (field.select) { field.select(); } return; }
      element.focus();
      return;
    }
    element.click();
  }

  /* --- the queue list ------------------------------------------------------------------- */
  /* The rows j/k move through, in page order: the money flags above the queue (each opens the
     flag's page), then the documents (each opens its review screen). */
  var QUEUE_ROWS = "[data-well-money-flags] tbody tr[data-money-flag], #result_list tbody tr";

  function queueRows() {
    return Array.prototype.slice.call(document.querySelectorAll(QUEUE_ROWS));
  }

  /* The link a row opens: a flag's own page, a document's review screen. */
  function rowLink(row) {
    return row.querySelector("th a, td a");
  }

  function currentRow(rows) {
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].classList.contains("well-current")) { return i; }
    }
    return -1;
  }

  function moveRow(delta) {
    var rows = queueRows();
    if (!rows.length) { return; }
    var index = currentRow(rows);
    if (index >= 0) { rows[index].classList.remove("well-current"); }
    index = Math.max(0, Math.min(rows.length - 1, index + delta));
    rows[index].classList.add("well-current");
    rows[index].scrollIntoView({ block: "nearest" });
    var link = rowLink(rows[index]);
    if (link) { link.focus({ preventScroll: true }); }
  }

  function queueKey(key) {
    var rows = queueRows();
    var index = currentRow(rows);
    if (key === "j") { moveRow(1); return true; }
    if (key === "k") { moveRow(-1); return true; }
    if ((key === "Enter" || key === "o") && index >= 0) {
      var link = rowLink(rows[index]);
      if (link) { link.click(); return true; }
    }
    if (key === "x" && index >= 0) {
      var box = rows[index].querySelector("input.action-select");
      if (box) { box.click(); return true; }
    }
    return false;
  }

  /* --- shortcuts ------------------------------------------------------------------------ */
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "Escape") {
      if (isTyping(event.target)) { event.target.blur(); event.preventDefault(); return; }
      if (closeOpenPanels()) { event.preventDefault(); }
      return;
    }
    if (isTyping(event.target)) { return; }
    var root = document.querySelector("[data-well-shortcuts]");
    if (!root) { return; }
    if (event.key === "?") {
      toggle("well-help");
      event.preventDefault();
      return;
    }
    if (root.getAttribute("data-well-shortcuts") === "queue") {
      if (event.key === "Enter" && isActivatable(event.target)) { return; }
      if (queueKey(event.key)) { event.preventDefault(); }
      return;
    }
    if (event.key === "Enter") { return; }
    var target = root.querySelector('[data-shortcut="' + CSS.escape(event.key) + '"]');
    if (!target) { return; }
    event.preventDefault();
    act(target);
  });

  document.addEventListener("click", function (event) {
    var element = event.target.closest ? event.target.closest("[data-well-reveal], [data-well-toggle], [data-well-close]") : null;
    if (!element) { return; }
    if (element.hasAttribute("data-well-reveal")) { reveal(element.getAttribute("data-well-reveal")); return; }
    if (element.hasAttribute("data-well-toggle")) { toggle(element.getAttribute("data-well-toggle")); return; }
    var panel = element.closest("[data-well-help], .well-refuse");
    if (panel) { panel.hidden = true; }
  });

  /* --- evidence boxes ------------------------------------------------------------------- */
  function showEvidence(row) {
    var number = row.getAttribute("data-evidence-page");
    var box = (row.getAttribute("data-evidence-box") || "").split(" ").map(parseFloat);
    var page = document.querySelector('.well-page[data-page-number="' + number + '"]');
    if (!page || box.length !== 4 || box.some(isNaN)) { return; }
    var width = parseFloat(page.getAttribute("data-page-width"));
    var height = parseFloat(page.getAttribute("data-page-height"));
    var image = page.querySelector("img");
    var marker = page.querySelector(".well-evidence");
    if (!width || !height || !image || !marker) { return; }
    /* The box is in PDF points with the origin at the top left; the image shows the whole
       page, so points scale by (shown size / page size) on each axis. Percentages of the
       image keep the box right when the pane is resized. */
    var pad = 2;
    marker.style.left = ((box[0] - pad) / width * 100) + "%";
    marker.style.top = ((box[1] - pad) / height * 100) + "%";
    marker.style.width = ((box[2] - box[0] + 2 * pad) / width * 100) + "%";
    marker.style.height = ((box[3] - box[1] + 2 * pad) / height * 100) + "%";
    marker.hidden = false;
    marker.setAttribute("data-showing", row.getAttribute("data-field") || "");
    revealInPane(marker);
  }

  /* Bring the box into view inside the pages pane only (never the whole window, so the
     field being read or typed in stays where it is). */
  function revealInPane(marker) {
    var pane = marker.closest(".well-pages");
    if (!pane) { return; }
    var top = marker.getBoundingClientRect().top - pane.getBoundingClientRect().top + pane.scrollTop;
    var visible = top >= pane.scrollTop && top <= pane.scrollTop + pane.clientHeight - 40;
    if (!visible) { pane.scrollTop = Math.max(0, top - pane.clientHeight / 3); }
  }

  function hideEvidence() {
    document.querySelectorAll(".well-evidence").forEach(function (marker) {
      marker.hidden = true;
      marker.removeAttribute("data-showing");
    });
  }

  function evidenceRow(target) {
    return target && target.closest ? target.closest("[data-evidence-box]") : null;
  }

  document.addEventListener("mouseover", function (event) {
    var row = evidenceRow(event.target);
    if (row) { hideEvidence(); showEvidence(row); }
  });
  document.addEventListener("mouseout", function (event) {
    var row = evidenceRow(event.target);
    if (row && !row.contains(event.relatedTarget) && !row.contains(document.activeElement)) { hideEvidence(); }
  });
  document.addEventListener("focusin", function (event) {
    var row = evidenceRow(event.target);
    hideEvidence();
    if (row) { showEvidence(row); }
  });

  /* A page image that fails to render says so instead of showing a broken image. */
  document.querySelectorAll(".well-page img").forEach(function (image) {
    image.addEventListener("error", function () {
      var note = document.createElement("p");
      note.className = "well-note";
      note.textContent = "This page could not be shown; download the PDF instead.";
      image.replaceWith(note);
    });
  });

  /* The queue opens with the first row current, so j/k and Enter work at once. */
  if (document.querySelector('[data-well-shortcuts="queue"]') && queueRows().length) {
    queueRows()[0].classList.add("well-current");
  }
})();
