/* Patrol plan map: numbered stops per team and their routes (road paths where the plan has
   them, straight lines otherwise); grey dots for the next-best places not on a route. */
(function () {
  "use strict";
  var el = document.getElementById("plan-map");
  var source = document.getElementById("plan-map-data");
  if (!el || !source || typeof L === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var COLORS = ["#1f4e8c", "#b8322a", "#2a7f3f", "#8a4fb8", "#c77700", "#00707a"];
  var map = L.map(el).setView([-1.2379, 116.8529], 12);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  }
  if (el.dataset.boundaries) {
    fetch(el.dataset.boundaries, { headers: { "Accept": "application/geo+json" } })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        L.geoJSON(geo, { interactive: false,
          style: function () { return { color: "#0b2e59", weight: 1, fillOpacity: 0.03 }; }
        }).addTo(map).bringToBack();
      })
      .catch(function () { /* the stops still show */ });
  }
  var bounds = [];
  data.candidates.forEach(function (p) {
    L.circleMarker([p.lat, p.lon], { radius: 4, color: "#777", weight: 1, fillOpacity: 0.4 })
      .bindTooltip(p.label || "").addTo(map);
  });
  data.teams.forEach(function (team, k) {
    var color = COLORS[k % COLORS.length];
    if (team.line.length > 1) {
      L.polyline(team.line, { color: color, weight: 3, opacity: 0.8 }).addTo(map);
    }
    team.stops.forEach(function (p) {
      bounds.push([p.lat, p.lon]);
      L.marker([p.lat, p.lon], {
        icon: L.divIcon({ className: "stop-number", iconSize: [22, 22],
          html: '<span style="display:block;width:22px;height:22px;border-radius:11px;color:#fff;' +
                'text-align:center;font:bold 12px/22px sans-serif;background:' + color + '">' +
                p.order + "</span>" })
      }).bindTooltip(team.name + " #" + p.order + ": " + (p.label || "") + " (" + p.minutes + "')")
        .addTo(map);
    });
  });
  if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 }); }
}());
