/* Forecast map: the top cells of one forecast as squares coloured by rank, each with a popup
   saying why it is there; kelurahan outlines as the offline base layer. Leaflet only. */
(function () {
  "use strict";
  var el = document.getElementById("forecast-map");
  if (!el || typeof L === "undefined") { return; }
  var d = el.dataset;
  var t = JSON.parse(document.getElementById("forecast-map-i18n").textContent);
  var map = L.map(el).setView([-1.2379, 116.8529], 12);

  function getJSON(u) {
    return fetch(u, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }
  function colour(rank) {
    if (rank <= 5) { return "#7f0000"; }
    if (rank <= 10) { return "#d7301f"; }
    return "#fc8d59";
  }
  function popup(p) {
    var div = document.createElement("div");
    var head = document.createElement("strong");
    head.textContent = t.rank + " " + p.rank;
    div.appendChild(head);
    var list = document.createElement("ul");
    p.why.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      list.appendChild(li);
    });
    div.appendChild(list);
    return div;
  }

  if (d.tiles) {
    L.tileLayer(d.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  }
  getJSON(d.boundaries).then(function (data) {
    L.geoJSON(data, {
      interactive: false,
      style: function () { return { color: "#0b2e59", weight: 1, fill: false }; }
    }).addTo(map);
  }).catch(function () { /* the cells still show */ });

  getJSON(d.cells).then(function (data) {
    if (!data.features.length) { return; }
    var layer = L.geoJSON(data, {
      style: function (f) {
        var c = colour(f.properties.rank);
        return { color: c, weight: 1, fillColor: c, fillOpacity: 0.6 };
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup(popup(f.properties));
        layer.bindTooltip(String(f.properties.rank), { permanent: false });
      }
    }).addTo(map);
    map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [20, 20] });
  }).catch(function () { /* shown empty */ });
})();
