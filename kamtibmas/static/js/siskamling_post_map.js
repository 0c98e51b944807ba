/* Posts over the forecast risk: cells (gap / high / other risk) and post markers with the
   walking radius, from the JSON embedded in the page. */
(function () {
  "use strict";
  var el = document.getElementById("post-risk-map");
  var source = document.getElementById("post-map-data");
  if (!el || !source || typeof L === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var map = L.map(el).setView([-1.2379, 116.8529], 12);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  }
  fetch(el.dataset.boundaries, { headers: { "Accept": "application/geo+json" } })
    .then(function (r) { return r.json(); })
    .then(function (geo) {
      L.geoJSON(geo, { interactive: false,
        style: function () { return { color: "#0b2e59", weight: 1, fillOpacity: 0.03 }; }
      }).addTo(map).bringToBack();
    })
    .catch(function () { /* the layers still show */ });
  var radius = parseFloat(el.dataset.radius) || 500;
  var cells = data.features.filter(function (f) { return f.properties.kind !== "post"; });
  var posts = data.features.filter(function (f) { return f.properties.kind === "post"; });
  var cellLayer = L.geoJSON({ type: "FeatureCollection", features: cells }, {
    style: function (f) {
      var p = f.properties;
      if (p.kind === "gap") { return { color: "#b3261e", weight: 2, fillColor: "#b3261e", fillOpacity: 0.55 }; }
      if (p.kind === "high") { return { color: "#8a5a00", weight: 1, fillColor: "#e0a100", fillOpacity: 0.45 }; }
      return { stroke: false, fillColor: "#d9480f", fillOpacity: 0.1 + 0.35 * p.level };
    },
    onEachFeature: function (f, layer) {
      var label = el.dataset["label" + f.properties.kind.charAt(0).toUpperCase() + f.properties.kind.slice(1)];
      layer.bindPopup((label || "") + " · " + el.dataset.labelRisk + " " + f.properties.risk.toFixed(3));
    }
  }).addTo(map);
  var group = L.featureGroup().addTo(map);
  posts.forEach(function (f) {
    var c = f.geometry.coordinates, p = f.properties;
    var colour = p.active ? "#1a7f37" : "#6b6b6b";
    if (p.active) {
      L.circle([c[1], c[0]], { radius: radius, color: colour, weight: 1, fill: false, dashArray: "4 4",
                               interactive: false }).addTo(group);
    }
    var a = document.createElement("a");
    a.href = p.url;
    a.textContent = p.name + " (" + (p.active ? el.dataset.labelActive : el.dataset.labelInactive) + ")";
    L.circleMarker([c[1], c[0]], { radius: 7, weight: 2, color: colour, fillColor: colour,
                                   fillOpacity: p.active ? 0.9 : 0.3 }).bindPopup(a).addTo(group);
  });
  var bounds = cellLayer.getBounds();
  if (group.getLayers().length) { bounds = bounds.isValid() ? bounds.extend(group.getBounds()) : group.getBounds(); }
  if (bounds.isValid()) { map.fitBounds(bounds, { maxZoom: 16 }); }
})();
