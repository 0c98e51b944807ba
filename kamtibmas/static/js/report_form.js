/* The public report form: category list per kind, extra questions, time window, the map
   (pin, "use my location", kelurahan lookup, offline kelurahan layer) and photo checks.
   The form works without this file; every piece here only makes it easier. */
(function () {
  "use strict";

  var form = document.getElementById("report-form");
  if (!form) { return; }
  document.documentElement.classList.add("js");

  function $(id) { return document.getElementById(id); }
  function byName(name) { return form.elements.namedItem(name); }

  var summary = $("form-errors");
  if (summary) { summary.focus(); }

  /* --- kind -> categories -> extra questions ------------------------------------------ */
  var categorySelect = byName("category");
  var allGroups = categorySelect ? Array.prototype.slice.call(categorySelect.querySelectorAll("optgroup")) : [];
  var groupByKind = {};
  allGroups.forEach(function (group) {
    var first = group.querySelector("option");
    if (first) { groupByKind[first.value.split(".")[0]] = group; }
  });

  function chosenKind() {
    var checked = form.querySelector('input[name="kind"]:checked');
    return checked ? checked.value : "";
  }

  function showCategories() {
    // Options are removed rather than hidden: some phone browsers ignore hidden options.
    var kind = chosenKind();
    var current = categorySelect.value;
    allGroups.forEach(function (group) {
      if (group.parentNode) { group.parentNode.removeChild(group); }
    });
    allGroups.forEach(function (group) {
      if (!kind || !groupByKind[kind] || group === groupByKind[kind]) {
        categorySelect.appendChild(group);
      }
    });
    categorySelect.value = current && (!kind || current.split(".")[0] === kind) ? current : "";
    showQuestions();
  }

  function showQuestions() {
    var code = categorySelect ? categorySelect.value : "";
    form.querySelectorAll(".questions").forEach(function (box) {
      box.hidden = box.getAttribute("data-category") !== code;
    });
  }

  form.querySelectorAll('input[name="kind"]').forEach(function (radio) {
    radio.addEventListener("change", showCategories);
  });
  if (categorySelect) {
    categorySelect.addEventListener("change", showQuestions);
    showCategories();
    showQuestions();
  }

  /* --- time window -------------------------------------------------------------------- */
  var windowToggle = $("window-toggle");
  var windowEnd = form.querySelector(".window-end");
  var endInput = byName("occurred_to");
  if (windowToggle && windowEnd && endInput) {
    windowToggle.checked = !!endInput.value || windowEnd.classList.contains("has-error");
    var syncWindow = function () {
      windowEnd.hidden = !windowToggle.checked;
      if (!windowToggle.checked) { endInput.value = ""; }
    };
    windowToggle.addEventListener("change", syncWindow);
    syncWindow();
  }

  /* --- photos ------------------------------------------------------------------------- */
  var photos = $("id_photos");
  var photoStatus = $("photo-status");
  if (photos && photoStatus) {
    photos.addEventListener("change", function () {
      var max = parseInt(form.getAttribute("data-max-photos"), 10);
      var maxBytes = parseInt(form.getAttribute("data-max-photo-bytes"), 10);
      var messages = [];
      if (photos.files.length > max) { messages.push(form.getAttribute("data-msg-too-many")); }
      for (var i = 0; i < photos.files.length; i++) {
        if (photos.files[i].size > maxBytes) {
          messages.push(form.getAttribute("data-msg-too-big"));
          break;
        }
      }
      photoStatus.textContent = messages.join(" ");
      photoStatus.hidden = messages.length === 0;
    });
  }

  /* --- map ---------------------------------------------------------------------------- */
  var mapBox = $("report-map");
  if (!mapBox || typeof L === "undefined") { return; }
  var msg = function (key) { return mapBox.getAttribute("data-msg-" + key) || ""; };
  var status = $("map-status");
  var latInput = byName("lat"), lonInput = byName("lon"), accInput = byName("location_accuracy_m");
  var kelSelect = byName("kelurahan");
  var byHandInput = byName("kelurahan_by_hand");
  var kelChosenByHand = !!(byHandInput && byHandInput.value === "1");
  var accuracyText = "";
  var lookupUrl = mapBox.getAttribute("data-lookup-url");
  var lookupSeq = 0;

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("field-error", !!isError);
  }

  var map = L.map(mapBox, { tap: true });
  mapBox.kamtibmasMap = map;  // a handle for automation and browser tests
  map.setView(
    [parseFloat(mapBox.getAttribute("data-lat")), parseFloat(mapBox.getAttribute("data-lon"))],
    parseInt(mapBox.getAttribute("data-zoom"), 10) || 12);
  var tilesUrl = mapBox.getAttribute("data-tiles");
  if (tilesUrl) {
    L.tileLayer(tilesUrl, { maxZoom: 19, attribution: mapBox.getAttribute("data-attribution") })
      .addTo(map);
  }
  loadBoundaries();

  var pin = null, circle = null;

  function placePin(lat, lon, accuracy) {
    var latlng = L.latLng(lat, lon);
    if (!pin) {
      pin = L.marker(latlng, { draggable: true, keyboard: true }).addTo(map);
      pin.on("dragend", function () {
        var p = pin.getLatLng();
        placePin(p.lat, p.lng, null);
      });
    } else {
      pin.setLatLng(latlng);
    }
    if (circle) { map.removeLayer(circle); circle = null; }
    if (accuracy) { circle = L.circle(latlng, { radius: accuracy, weight: 1 }).addTo(map); }
    latInput.value = lat.toFixed(6);
    lonInput.value = lon.toFixed(6);
    accInput.value = accuracy ? Math.round(accuracy) : "";
    accuracyText = accuracy ? msg("accuracy").replace("{m}", String(Math.round(accuracy))) : "";
    lookup(lat, lon);
  }

  function clearPin() {
    if (pin) { map.removeLayer(pin); pin = null; }
    if (circle) { map.removeLayer(circle); circle = null; }
    latInput.value = lonInput.value = accInput.value = "";
    if (!kelChosenByHand && kelSelect) { kelSelect.value = ""; }
    say("", false);
  }

  function lookup(lat, lon) {
    if (!lookupUrl) { say((msg("pin") + " " + accuracyText).trim(), false); return; }
    var seq = ++lookupSeq;
    var url = lookupUrl + (lookupUrl.indexOf("?") < 0 ? "?" : "&") +
      "lat=" + encodeURIComponent(lat) + "&lon=" + encodeURIComponent(lon);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { if (seq === lookupSeq) { showLookup(data); } })
      .catch(function () { if (seq === lookupSeq) { say(msg("lookup-error"), true); } });
  }

  function showLookup(data) {
    if (!data.inside) {
      say(data.message || msg("outside"), true);
      return;
    }
    if (kelSelect && !kelChosenByHand) { kelSelect.value = data.kelurahan_code || ""; }
    var text = msg("found") + ": " + data.kelurahan_name;
    if (data.kecamatan_name) { text += ", " + data.kecamatan_name; }
    if (data.unit_name) { text += " · " + data.unit_name; }
    if (data.is_approximate) { text += " (" + msg("approx") + ")"; }
    if (accuracyText) { text += ". " + accuracyText; }
    say(text, false);
  }

  function loadBoundaries() {
    var url = mapBox.getAttribute("data-geojson-url");
    if (!url || typeof fetch !== "function") { return; }
    fetch(url, { headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        var approximate = false;
        var layer = L.geoJSON(data, {
          interactive: false,
          style: function (feature) {
            var approx = !!(feature.properties && feature.properties.is_approximate);
            approximate = approximate || approx;
            return { color: "#0b2e59", weight: 1, fillColor: "#dfe8f3", fillOpacity: 0.25,
                     dashArray: approx ? "4 4" : null };
          },
          onEachFeature: function (feature, lyr) {
            if (feature.properties && feature.properties.name) {
              lyr.bindTooltip(feature.properties.name, { sticky: true });
            }
          }
        }).addTo(map);
        layer.bringToBack();
        if (approximate) { addApproxNote(); }
      })
      .catch(function () { /* the tiles or the address field still work */ });
  }

  function addApproxNote() {
    var note = L.control({ position: "bottomleft" });
    note.onAdd = function () {
      var div = L.DomUtil.create("div", "map-note");
      div.textContent = msg("approx-layer");
      return div;
    };
    note.addTo(map);
  }

  map.on("click", function (e) { placePin(e.latlng.lat, e.latlng.lng, null); });

  if (kelSelect) {
    kelSelect.addEventListener("change", function () {
      kelChosenByHand = !!kelSelect.value;
      if (byHandInput) { byHandInput.value = kelChosenByHand ? "1" : ""; }
    });
  }

  var clearButton = $("clear-pin");
  if (clearButton) { clearButton.addEventListener("click", clearPin); }

  var locateButton = $("locate-me");
  if (locateButton) {
    if (!("geolocation" in navigator)) { locateButton.hidden = true; }
    locateButton.addEventListener("click", function () {
      say(msg("locating"), false);
      navigator.geolocation.getCurrentPosition(function (pos) {
        var c = pos.coords;
        map.setView([c.latitude, c.longitude], Math.max(map.getZoom(), 16));
        placePin(c.latitude, c.longitude, c.accuracy);
      }, function () {
        say(msg("geo-error"), true);
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  // A pin kept from a failed submission.
  var startLat = parseFloat(latInput.value), startLon = parseFloat(lonInput.value);
  if (isFinite(startLat) && isFinite(startLon)) {
    var startAcc = parseFloat(accInput.value);
    map.setView([startLat, startLon], 16);
    placePin(startLat, startLon, isFinite(startAcc) ? startAcc : null);
  }
})();
