/* Import batch page: polls the batch's JSON status every second and moves the progress bar;
   when the import has finished, reloads the page once to show the server-rendered result.
   Without JavaScript the page still works: reload it by hand. */
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.finished === "1" || !window.fetch) { return; }
  var bar = document.getElementById("import-bar");
  var percent = document.getElementById("import-percent");
  var state = document.getElementById("import-state");
  var failures = 0;

  function show(data) {
    var p = Math.max(0, Math.min(1, Number(data.progress) || 0));
    if (bar) { bar.value = p; }
    if (percent) { percent.textContent = Math.round(p * 100) + "%"; }
    if (state) {
      state.textContent = data.state_label;
      state.className = "badge badge-" + data.state;
    }
    box.querySelectorAll("[data-count]").forEach(function (el) {
      var value = data[el.getAttribute("data-count")];
      if (value !== undefined) { el.textContent = value; }
    });
  }

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) {
        failures = 0;
        show(data);
        if (data.finished) { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        failures += 1;
        window.setTimeout(poll, Math.min(30000, 1000 * Math.pow(2, failures)));
      });
  }

  window.setTimeout(poll, 1000);
})();
