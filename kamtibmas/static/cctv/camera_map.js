/* Cameras and their field-of-view sectors on a Leaflet map (data from cctv:cameras_geojson),
   with an optional layer of the forecast risk of the next 7 days (cctv:risk_geojson) drawn
   under the sectors; it is fetched only when switched on, per Polsek. */
(function () {
  "use strict";
  var el = document.getElementById("cctv-map");
  if (!el || typeof L === "undefined") { return; }
  var map = L.map(el).setView([-1.2379, 116.8529], 12);
  L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "&copy; OpenStreetMap" }).addTo(map);
  map.createPane("risk");
  map.getPane("risk").style.zIndex = 350;  /* above the tiles, below the sectors (400) */
  fetch(el.dataset.cameras, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        style: function (f) {
          return { color: f.properties.online ? "#1a7f37" : "#888", weight: 1, fillOpacity: 0.25 };
        },
        onEachFeature: function (f, l) {
          var a = document.createElement("a");
          a.href = "kamera/" + f.properties.id + "/";
          a.textContent = f.properties.name + " (" + f.properties.owner + ")";
          l.bindPopup(a);
        }
      }).addTo(map);
      if (data.features.length) { map.fitBounds(layer.getBounds(), { maxZoom: 17 }); }
    });

  var toggle = document.getElementById("cctv-risk-toggle");
  var unit = document.getElementById("cctv-risk-unit");
  var status = document.getElementById("cctv-risk-status");
  if (!toggle || !unit) { return; }
  var risk = null;

  function colour(level) {
    /* light yellow to dark red */
    var l = Math.max(0, Math.min(1, level));
    return "rgb(" + Math.round(255 - 90 * l) + "," + Math.round(220 - 200 * l) + ",40)";
  }

  function clear() {
    if (risk) { map.removeLayer(risk); risk = null; }
  }

  function load() {
    clear();
    if (!toggle.checked) { status.textContent = ""; return; }
    status.textContent = el.dataset.loading;
    var url = el.dataset.risk + "?unit=" + encodeURIComponent(unit.value);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { return r.text().then(function (t) { throw new Error(t); }); }
        return r.json();
      })
      .then(function (data) {
        clear();
        if (!toggle.checked) { return; }
        risk = L.geoJSON(data, {
          pane: "risk",
          interactive: false,
          style: function (f) {
            var c = colour(f.properties.level);
            return { color: c, weight: 0, fillColor: c, fillOpacity: 0.25 + 0.35 * f.properties.level };
          }
        }).addTo(map);
        status.textContent = el.dataset.legend;
      })
      .catch(function (err) { status.textContent = err.message; });
  }

  toggle.addEventListener("change", load);
  unit.addEventListener("change", function () { if (toggle.checked) { load(); } });
})();
