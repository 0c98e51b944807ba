/* Proposed camera sites (numbered), the cells they newly cover and the existing cameras'
   sectors on a Leaflet map: placement data embedded in the page (#placement-data), cameras
   from cctv:cameras_geojson. */
(function () {
  "use strict";
  var el = document.getElementById("placement-map");
  if (!el || typeof L === "undefined") { return; }
  var map = L.map(el).setView([-1.2379, 116.8529], 12);
  L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "&copy; OpenStreetMap" }).addTo(map);
  function json(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); });
  }
  json(el.dataset.cameras).then(function (data) {
    L.geoJSON(data, { style: { color: "#555", weight: 1, fillOpacity: 0.15 } }).addTo(map);
  });
  var source = document.getElementById("placement-data");
  if (source) {
    var data = JSON.parse(source.textContent);
    var layer = L.geoJSON(data, {
      style: { color: "#d1242f", weight: 1, fillOpacity: 0.3 },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 8, color: "#d1242f", fillOpacity: 0.9 });
      },
      onEachFeature: function (f, l) {
        if (f.properties.kind !== "new") { return; }
        var text = el.dataset.labelNew + " " + f.properties.rank + " · " +
          el.dataset.labelGain + " " + f.properties.gain.toFixed(3);
        l.bindTooltip(String(f.properties.rank), { permanent: true, direction: "center" });
        l.bindPopup(document.createTextNode(text));
      }
    }).addTo(map);
    if (data.features.length) { map.fitBounds(layer.getBounds(), { maxZoom: 16 }); }
  }
})();
