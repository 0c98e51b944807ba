/* Incident pages: a small map showing the record's point (detail), or a map to click to set
   the latitude and longitude fields (create/edit form). The fields work without it. */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }
  var CENTER = [-1.2379, 116.8529];

  function base(el) {
    var map = L.map(el).setView(CENTER, 12);
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
    }
    if (el.dataset.boundaries) {
      // Kelurahan outlines: the offline base layer when tiles are blocked.
      fetch(el.dataset.boundaries, { headers: { "Accept": "application/geo+json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          L.geoJSON(data, {
            interactive: false,
            style: function () { return { color: "#0b2e59", weight: 1, fillOpacity: 0.05 }; }
          }).addTo(map).bringToBack();
        })
        .catch(function () { /* the point still shows */ });
    }
    return map;
  }

  var view = document.getElementById("incident-map");
  if (view) {
    var point = [Number(view.dataset.lat), Number(view.dataset.lon)];
    var map = base(view);
    L.circleMarker(point, { radius: 8, weight: 2, color: "#1f4e8c", fillOpacity: 0.6 }).addTo(map);
    map.setView(point, 15);
  }

  var pick = document.getElementById("incident-pick-map");
  var form = document.getElementById("incident-form");
  if (!pick || !form) { return; }
  var lat = form.elements.namedItem("lat");
  var lon = form.elements.namedItem("lon");
  var pickMap = base(pick);
  var marker = null;

  function place(latlng, pan) {
    if (marker) { marker.setLatLng(latlng); }
    else { marker = L.marker(latlng).addTo(pickMap); }
    if (pan) { pickMap.setView(latlng, Math.max(pickMap.getZoom(), 15)); }
  }

  function fromFields() {
    var a = parseFloat(lat.value), b = parseFloat(lon.value);
    if (isFinite(a) && isFinite(b)) { place([a, b], true); }
    else if (marker) { pickMap.removeLayer(marker); marker = null; }
  }

  pickMap.on("click", function (e) {
    lat.value = e.latlng.lat.toFixed(6);
    lon.value = e.latlng.lng.toFixed(6);
    place(e.latlng, false);
  });
  lat.addEventListener("change", fromFields);
  lon.addEventListener("change", fromFields);
  var clear = document.getElementById("clear-point");
  if (clear) {
    clear.addEventListener("click", function () { lat.value = ""; lon.value = ""; fromFields(); });
  }
  fromFields();
})();
