/* Forms with a place (Siskamling post, community event): tap the map to set the latitude and
   longitude inputs named by data-lat / data-lon (the inputs stay usable without the map).
   Kelurahan outlines are the offline base layer. Any element with class "pick-point-map". */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }
  Array.prototype.forEach.call(document.querySelectorAll(".pick-point-map"), pick);

  function pick(el) {
  var latInput = document.getElementById(el.dataset.lat);
  var lonInput = document.getElementById(el.dataset.lon);
  var map = L.map(el).setView([-1.2379, 116.8529], 12);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  }
  fetch(el.dataset.boundaries, { headers: { "Accept": "application/geo+json" } })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      L.geoJSON(data, { interactive: false,
        style: function () { return { color: "#0b2e59", weight: 1, fillOpacity: 0.05 }; }
      }).addTo(map).bringToBack();
    })
    .catch(function () { /* the inputs still work */ });
  var marker = null;
  function place(lat, lon, pan) {
    if (marker) { marker.setLatLng([lat, lon]); } else { marker = L.marker([lat, lon]).addTo(map); }
    if (pan) { map.setView([lat, lon], 16); }
  }
  function fromInputs() {
    var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
    if (isFinite(lat) && isFinite(lon)) { place(lat, lon, true); }
  }
  map.on("click", function (e) {
    latInput.value = e.latlng.lat.toFixed(6);
    lonInput.value = e.latlng.lng.toFixed(6);
    place(e.latlng.lat, e.latlng.lng, false);
  });
  latInput.addEventListener("change", fromInputs);
  lonInput.addEventListener("change", fromInputs);
  fromInputs();
  }
})();
