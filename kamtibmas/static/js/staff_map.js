/* Inbox map: markers of the filtered reports from the scoped JSON endpoint.
   Loaded lazily when the map box is opened; the page works without it. */
(function () {
  "use strict";
  var box = document.getElementById("inbox-map-box");
  var el = document.getElementById("inbox-map");
  if (!box || !el || typeof L === "undefined") { return; }
  var loaded = false;

  function popup(p) {
    var a = document.createElement("a");
    a.href = p.url;
    a.textContent = p.code;
    var div = document.createElement("div");
    div.appendChild(a);
    div.appendChild(document.createElement("br"));
    div.appendChild(document.createTextNode(p.category + " · " + p.status_label));
    return div;
  }

  function show(data) {
    var map = L.map(el).setView([-1.2379, 116.8529], 12);
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
    }
    boundaries(map);
    var group = L.featureGroup().addTo(map);
    data.features.forEach(function (f) {
      var c = f.geometry.coordinates;
      L.circleMarker([c[1], c[0]], {
        radius: 7, weight: 2, color: f.properties.overdue ? "#b3261e" : "#1f4e8c",
        fillOpacity: 0.6
      }).bindPopup(popup(f.properties)).addTo(group);
    });
    var note = document.getElementById("inbox-map-note");
    if (data.features.length) { map.fitBounds(group.getBounds(), { maxZoom: 16 }); }
    else if (note) { note.textContent = el.dataset.empty; }
    if (data.truncated && note) { note.textContent = el.dataset.truncated; }
  }

  // Kelurahan outlines: the offline base layer when tiles are blocked on a police network.
  function boundaries(map) {
    if (!el.dataset.boundaries) { return; }
    fetch(el.dataset.boundaries, { headers: { "Accept": "application/geo+json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        L.geoJSON(data, {
          interactive: false,
          style: function (f) {
            return { color: "#0b2e59", weight: 1, fillOpacity: 0.05,
                     dashArray: f.properties.is_approximate ? "4 4" : null };
          }
        }).addTo(map).bringToBack();
      })
      .catch(function () { /* the markers still show */ });
  }

  box.addEventListener("toggle", function () {
    if (!box.open || loaded) { return; }
    loaded = true;
    fetch(el.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(show)
      .catch(function () { loaded = false; });
  });
})();
