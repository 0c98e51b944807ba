/* Public crime map: kelurahan choropleth and, zoomed in, 500 m cells, both from the open-data
   GeoJSON (counts under 3 arrive as the label "<3" only). Kelurahan outlines are the offline
   base layer, since tiles may be blocked. Popups are built as text, never as HTML. */
(function () {
  "use strict";
  var el = document.getElementById("stats-map");
  if (!el || typeof L === "undefined") { return; }
  document.documentElement.classList.add("js");
  var d = el.dataset;
  var t = JSON.parse(document.getElementById("stats-map-i18n").textContent);
  var colours = d.colours.split(",");
  var map = L.map(el).setView([-1.2379, 116.8529], 12);
  el.kamtibmasMap = map;
  if (d.tiles) { L.tileLayer(d.tiles, { maxZoom: 18, attribution: "© OpenStreetMap" }).addTo(map); }

  function getJSON(u) {
    return fetch(u, { headers: { "Accept": "application/geo+json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }
  function colour(p, breaks) {
    if (p.count === undefined) { return colours[0]; }
    var k = 1;
    while (k < breaks.length && p.count >= breaks[k]) { k += 1; }
    return colours[k];
  }
  function layer(breaks) {
    return L.geoJSON(null, {
      style: function (f) {
        return { color: "#0b2e59", weight: 1, fillOpacity: 0.7, fillColor: colour(f.properties, breaks) };
      },
      onEachFeature: function (f, l) {
        var p = f.properties, div = document.createElement("div");
        div.textContent = (p.kelurahan || t.cell) + ": " + p.count_label;
        l.bindPopup(div);
      }
    });
  }
  var outlines = L.geoJSON(null, {
    interactive: false, style: { color: "#44505f", weight: 1, fill: false }
  }).addTo(map);
  var kelurahan = layer(d.breaks.split(",").map(Number)).addTo(map);
  var cells = layer(d.cellBreaks.split(",").map(Number));

  getJSON(d.boundaries).then(function (data) { outlines.addData(data); }).catch(function () {});
  getJSON(d.kelurahan).then(function (data) {
    kelurahan.addData(data);
    if (data.features.length) { map.fitBounds(kelurahan.getBounds()); }
    el.setAttribute("data-loaded", String(data.features.length));
  }).catch(function () { document.getElementById("map-status").textContent = t.failed; });
  if (d.cells) {
    getJSON(d.cells).then(function (data) { cells.addData(data); }).catch(function () {});
    map.on("zoomend", function () {
      if (map.getZoom() >= 14) { map.removeLayer(kelurahan); cells.addTo(map); }
      else { map.removeLayer(cells); kelurahan.addTo(map); }
    });
  }
})();
