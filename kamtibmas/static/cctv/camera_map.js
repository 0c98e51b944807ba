/* Cameras and their field-of-view sectors on a Leaflet map (data from cctv:cameras_geojson). */
(function () {
  "use strict";
  var el = document.getElementById("cctv-map");
  if (!el || typeof L === "undefined") { return; }
  var map = L.map(el).setView([-1.2379, 116.8529], 12);
  L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "&copy; OpenStreetMap" }).addTo(map);
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
})();
