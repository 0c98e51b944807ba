/* Crime map: layers from the scoped analysis endpoints, all with the page's URL filters.
   Clustered points (grouped on a pixel grid by the server for each zoom and view), the density
   surface as a server-rendered image overlay, Gi* cells, the kelurahan choropleth, and the
   kelurahan outlines as the offline base layer (tiles may be blocked on a police network).
   Click anywhere for the numbers of that cell. No external library besides Leaflet. */
(function () {
  "use strict";
  var el = document.getElementById("crime-map");
  if (!el || typeof L === "undefined") { return; }
  var d = el.dataset;
  var t = JSON.parse(document.getElementById("crime-map-i18n").textContent);
  var query = d.query;
  var centre = d.centre.split(",").map(Number);
  var map = L.map(el).setView(centre, 12);
  var note = document.getElementById("map-note");
  var control = L.control.layers(null, null, { collapsed: false }).addTo(map);

  function url(base, extra) { return base + "?" + query + (extra ? "&" + extra : ""); }
  function getJSON(u) {
    return fetch(u, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }
  function text(parent, tag, content) {
    var node = document.createElement(tag);
    node.textContent = content;
    parent.appendChild(node);
    return node;
  }
  function rows(pairs) {
    var div = document.createElement("div");
    pairs.forEach(function (p) { text(div, "div", p[0] + ": " + p[1]); });
    return div;
  }

  if (d.tiles) {
    L.tileLayer(d.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  }

  // Offline base layer: kelurahan outlines.
  var outlines = L.layerGroup().addTo(map);
  control.addOverlay(outlines, t.outlines);
  getJSON(d.boundaries).then(function (data) {
    L.geoJSON(data, {
      interactive: false,
      style: function (f) {
        return { color: "#0b2e59", weight: 1, fill: false,
                 dashArray: f.properties.is_approximate ? "4 4" : null };
      }
    }).addTo(outlines);
  }).catch(function () { /* other layers still work */ });

  // Density surface.
  var density = L.layerGroup().addTo(map);
  control.addOverlay(density, t.density);
  getJSON(url(d.densityMeta)).then(function (meta) {
    var legend = document.getElementById("density-legend");
    legend.textContent = "";
    if (meta.empty) { text(legend, "p", t.empty); return; }
    L.imageOverlay(url(d.densityPng), meta.bounds, { opacity: 0.85, interactive: false })
      .addTo(density);
    map.fitBounds(meta.bounds);
    text(legend, "p", t.density + " (" + meta.unit + ")");
    var list = document.createElement("ul");
    list.className = "legend";
    meta.legend.forEach(function (stop) {
      var li = document.createElement("li");
      var sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = stop.colour;
      li.appendChild(sw);
      li.appendChild(document.createTextNode("≥ " + stop.value));
      list.appendChild(li);
    });
    legend.appendChild(list);
    note.textContent = meta.total + " " + t.incidents;
  }).catch(function () { /* shown as empty */ });

  // Gi* cells.
  var hotspots = L.layerGroup().addTo(map);
  control.addOverlay(hotspots, t.hotspots);
  getJSON(url(d.hotspots)).then(function (data) {
    L.geoJSON(data, {
      style: function (f) {
        return { color: f.properties.colour, weight: 0.5, fillColor: f.properties.colour,
                 fillOpacity: 0.55 };
      },
      onEachFeature: function (f, layer) {
        layer.options.bubblingMouseEvents = false;
        var p = f.properties;
        layer.bindPopup(rows([[p.label, ""], [t.count, p.count], [t.gi, p.z],
                              ["p", p.p.toPrecision(2)]]));
      }
    }).addTo(hotspots);
  });

  // Kelurahan choropleth (Balikpapan only).
  if (d.choropleth) {
    var choropleth = L.layerGroup();
    control.addOverlay(choropleth, t.choropleth);
    getJSON(url(d.choropleth)).then(function (data) {
      var top = 0;
      data.features.forEach(function (f) { top = Math.max(top, f.properties.rate_km2 || 0); });
      L.geoJSON(data, {
        style: function (f) {
          var v = top ? (f.properties.rate_km2 || 0) / top : 0;
          return { color: "#555", weight: 0.7, fillColor: "#7a0177",
                   fillOpacity: v ? 0.1 + 0.7 * v : 0 };
        },
        onEachFeature: function (f, layer) {
          layer.options.bubblingMouseEvents = false;
          var p = f.properties;
          layer.bindPopup(rows([[p.name, p.kecamatan], [t.incidents, p.count],
                                [t.area, p.area_km2 + " km²"], [t.per_km2, p.rate_km2]]));
        }
      }).addTo(choropleth);
    });
  }

  // Clustered points: the server groups them on a pixel grid for this zoom and view.
  var points = L.layerGroup().addTo(map);
  control.addOverlay(points, t.points);
  var pending = null;
  function loadPoints() {
    if (!map.hasLayer(points)) { return; }
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
      return v.toFixed(5);
    }).join(",");
    var request = url(d.points, "z=" + map.getZoom() + "&bbox=" + bbox);
    pending = request;
    getJSON(request).then(function (data) {
      if (pending !== request) { return; }
      points.clearLayers();
      data.items.forEach(function (item) {
        var marker;
        if (item.n > 1) {
          var size = 18 + Math.min(22, Math.round(Math.log(item.n) * 4));
          marker = L.marker([item.lat, item.lon], {
            icon: L.divIcon({ className: "cluster", html: String(item.n),
                              iconSize: [size, size] })
          });
          marker.on("click", function () { map.setView([item.lat, item.lon], map.getZoom() + 2); });
        } else {
          marker = L.circleMarker([item.lat, item.lon], { radius: 5, weight: 1, color: "#0b2e59",
                                                          fillOpacity: 0.7 });
          if (item.category) { marker.bindPopup(rows([[item.category, item.date]])); }
        }
        marker.addTo(points);
      });
    }).catch(function () { /* keep the old markers */ });
  }
  map.on("moveend", loadPoints);
  map.on("overlayadd", function (e) { if (e.layer === points) { loadPoints(); } });
  loadPoints();

  // Click: the numbers of the cell under the pointer.
  map.on("click", function (e) {
    if (!map.hasLayer(density)) { return; }
    getJSON(url(d.cell, "lat=" + e.latlng.lat.toFixed(6) + "&lon=" + e.latlng.lng.toFixed(6)))
      .then(function (data) {
        if (!data.cell) { return; }
        var c = data.cell;
        var pairs = [[t.count + " (" + c.cell_m + " m)", c.count],
                     [t.density_value, c.density_km2 + " " + t.per_km2]];
        if (c.gi) { pairs.push([t.gi + " (" + c.gi.cell_m + " m)", c.gi.z + " · " + c.gi.label]); }
        L.popup().setLatLng(e.latlng).setContent(rows(pairs)).openOn(map);
      });
  });
})();
