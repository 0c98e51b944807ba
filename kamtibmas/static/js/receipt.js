/* The receipt page: a print button (hidden without JavaScript; the browser's own print works). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
