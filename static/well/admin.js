// A list cell cut by the CSS ellipsis shows its whole text on hover.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const cell of document.querySelectorAll("#result_list tbody td, #result_list tbody th")) {
    const text = cell.textContent.trim();
    if (text && !cell.title && cell.scrollWidth > cell.clientWidth) {
      cell.title = text;
    }
  }
});
