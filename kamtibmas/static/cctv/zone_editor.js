/* Zone editor: draw zones and privacy masks on the camera's picture (an SVG overlay whose
   viewBox is the source frame, so every point is stored in source-frame pixels). The state lives
   in the form's two JSON fields (#zone-json, #mask-json); the server validates on save. */
(function () {
  "use strict";
  var form = document.getElementById("zone-form");
  if (!form) { return; }
  var T = JSON.parse(document.getElementById("zone-strings").textContent);
  var svg = document.getElementById("zone-svg");
  var stage = document.getElementById("zone-stage");
  var zoneField = document.getElementById("zone-json");
  var maskField = document.getElementById("mask-json");
  var widthField = document.getElementById("zone-width");
  var heightField = document.getElementById("zone-height");
  var statusLine = document.getElementById("zone-status");
  var buttons = {
    close: document.getElementById("zone-close"),
    undo: document.getElementById("zone-undo"),
    cancel: document.getElementById("zone-cancel")
  };
  var NS = "http://www.w3.org/2000/svg";
  var DEFAULTS = { loitering: { seconds: 30 }, intrusion: {}, crowd: { min_objects: 5 } };
  var state = { zones: [], masks: [], mode: null, points: [], redraw: null };

  function say(text) { statusLine.textContent = text; }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function frame() {
    var w = parseInt(widthField.value, 10), h = parseInt(heightField.value, 10);
    return { w: w > 0 ? w : 1920, h: h > 0 ? h : 1080 };
  }
  function parseList(field) {
    try {
      var value = JSON.parse(field.value || "[]");
      return Array.isArray(value) ? value : null;
    } catch (e) { return null; }
  }
  function load() {
    var zones = parseList(zoneField), masks = parseList(maskField);
    if (zones === null || masks === null) { say(T.badJson); return false; }
    state.zones = zones.filter(function (z) { return z && typeof z === "object"; });
    state.masks = masks;
    return true;
  }
  function store() {
    zoneField.value = JSON.stringify(state.zones);
    maskField.value = JSON.stringify(state.masks);
  }

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function pointsAttr(points) {
    return points.map(function (p) { return p[0] + "," + p[1]; }).join(" ");
  }
  function drawShape(points, cls, label) {
    if (!Array.isArray(points) || points.length < 2) { return; }
    var valid = points.every(function (p) { return Array.isArray(p) && p.length === 2; });
    if (!valid) { return; }
    el("polygon", { points: pointsAttr(points), "class": cls, "vector-effect": "non-scaling-stroke" }, svg);
    if (label) {
      var f = frame();
      var text = el("text", { x: points[0][0], y: points[0][1], "class": "zone-label",
        "font-size": Math.max(12, Math.round(f.w / 45)) }, svg);
      text.textContent = label;
    }
  }
  function renderSvg() {
    var f = frame();
    svg.setAttribute("viewBox", "0 0 " + f.w + " " + f.h);
    stage.style.aspectRatio = f.w + " / " + f.h;
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    state.masks.forEach(function (m) { drawShape(m, "zone-mask"); });
    state.zones.forEach(function (z, i) {
      if (state.redraw !== i) { drawShape(z.polygon, "zone-shape", z.name || String(i + 1)); }
    });
    if (state.points.length) {
      var cls = state.mode === "mask" ? "zone-draft zone-draft-mask" : "zone-draft";
      el("polyline", { points: pointsAttr(state.points), "class": cls, "vector-effect": "non-scaling-stroke" }, svg);
      var r = Math.max(3, Math.round(f.w / 200));
      state.points.forEach(function (p) { el("circle", { cx: p[0], cy: p[1], r: r, "class": "zone-point" }, svg); });
    }
  }

  function ruleOf(zone, kind) {
    var rules = Array.isArray(zone.rules) ? zone.rules : [];
    for (var i = 0; i < rules.length; i += 1) { if (rules[i] && rules[i].kind === kind) { return rules[i]; } }
    return null;
  }
  function numberOrText(value) {
    var n = Number(value);
    return value.trim() !== "" && isFinite(n) ? n : value;
  }
  function input(id, labelText, value, onInput, attrs) {
    var wrap = document.createElement("div");
    wrap.className = "zone-field";
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = labelText;
    var field = document.createElement("input");
    field.id = id;
    field.value = value === undefined || value === null ? "" : value;
    Object.keys(attrs || {}).forEach(function (k) { field.setAttribute(k, attrs[k]); });
    field.addEventListener("input", function () { onInput(field.value); store(); renderSvg(); });
    wrap.appendChild(label);
    wrap.appendChild(field);
    return wrap;
  }
  function ruleControls(zone, i, kind, key, labelText, fieldText, attrs) {
    var box = document.createElement("div");
    box.className = "zone-rule";
    var check = document.createElement("input");
    check.type = "checkbox";
    check.id = "zone-" + i + "-" + kind;
    var rule = ruleOf(zone, kind);
    check.checked = rule !== null;
    var label = document.createElement("label");
    label.htmlFor = check.id;
    label.textContent = labelText;
    box.appendChild(check);
    box.appendChild(label);
    check.addEventListener("change", function () {
      zone.rules = (Array.isArray(zone.rules) ? zone.rules : []).filter(function (r) { return !r || r.kind !== kind; });
      if (check.checked) {
        var added = { kind: kind };
        Object.keys(DEFAULTS[kind]).forEach(function (k) { added[k] = DEFAULTS[kind][k]; });
        zone.rules.push(added);
      }
      store();
      renderLists();
      var again = document.getElementById("zone-" + i + "-" + kind);
      if (again) { again.focus(); }
    });
    if (rule !== null) {
      box.appendChild(input("zone-" + i + "-" + kind + "-" + key, fieldText, rule[key], function (v) {
        if (v.trim() === "" && kind === "intrusion") { delete rule[key]; } else { rule[key] = kind === "intrusion" ? v : numberOrText(v); }
      }, attrs));
    }
    return box;
  }
  function button(text, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }
  function zoneItem(zone, i) {
    var set = document.createElement("fieldset");
    set.className = "zone-item";
    var legend = document.createElement("legend");
    legend.textContent = fill(T.zoneNumber, { n: i + 1 });
    set.appendChild(legend);
    set.appendChild(input("zone-" + i + "-name", T.name, zone.name, function (v) { zone.name = v; }, { maxlength: "60" }));
    set.appendChild(ruleControls(zone, i, "loitering", "seconds", T.loitering, T.seconds, { inputmode: "decimal" }));
    set.appendChild(ruleControls(zone, i, "intrusion", "hours", T.intrusion, T.hours, { placeholder: "22:00-05:00" }));
    set.appendChild(ruleControls(zone, i, "crowd", "min_objects", T.crowd, T.objects, { inputmode: "numeric" }));
    var actions = document.createElement("div");
    actions.className = "zone-actions";
    actions.appendChild(button(T.redraw, function () { start("zone", i); }));
    actions.appendChild(button(T.deleteZone, function () {
      state.zones.splice(i, 1); store(); renderAll(); say(T.deleted);
    }));
    set.appendChild(actions);
    return set;
  }
  function maskItem(mask, i) {
    var row = document.createElement("p");
    row.className = "zone-item";
    row.appendChild(document.createTextNode(fill(T.maskNumber, { n: i + 1, points: Array.isArray(mask) ? mask.length : 0 }) + " "));
    row.appendChild(button(T.deleteMask, function () {
      state.masks.splice(i, 1); store(); renderAll(); say(T.deleted);
    }));
    return row;
  }
  function renderList(container, items, render, emptyText) {
    container.textContent = "";
    if (!items.length) {
      var p = document.createElement("p");
      p.className = "muted";
      p.textContent = emptyText;
      container.appendChild(p);
    }
    items.forEach(function (item, i) { container.appendChild(render(item, i)); });
  }
  function renderLists() {
    renderList(document.getElementById("zone-list"), state.zones, zoneItem, T.noZones);
    renderList(document.getElementById("mask-list"), state.masks, maskItem, T.noMasks);
  }
  function renderButtons() {
    buttons.close.disabled = state.points.length < 3;
    buttons.undo.disabled = state.points.length === 0;
    buttons.cancel.disabled = state.mode === null;
    stage.classList.toggle("zone-drawing", state.mode !== null);
    Array.prototype.forEach.call(document.querySelectorAll("[data-draw]"), function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-draw") === state.mode));
    });
  }
  function renderAll() { renderSvg(); renderLists(); renderButtons(); }

  function progress() {
    var text = state.mode === "mask" ? T.drawingMask : T.drawingZone;
    say(fill(text, { n: state.points.length }));
  }
  function start(mode, redraw) {
    state.mode = mode;
    state.points = [];
    state.redraw = redraw === undefined ? null : redraw;
    renderAll();
    progress();
  }
  function stop(message) {
    state.mode = null;
    state.points = [];
    state.redraw = null;
    renderAll();
    say(message || "");
  }
  function close() {
    if (state.points.length < 3) { say(T.needThree); return; }
    var polygon = state.points.slice();
    var focusId = null;
    if (state.mode === "mask") {
      state.masks.push(polygon);
    } else if (state.redraw !== null && state.zones[state.redraw]) {
      state.zones[state.redraw].polygon = polygon;
      focusId = "zone-" + state.redraw + "-name";
    } else {
      state.zones.push({ name: fill(T.defaultName, { n: state.zones.length + 1 }), polygon: polygon, rules: [] });
      focusId = "zone-" + (state.zones.length - 1) + "-name";
    }
    var wasMask = state.mode === "mask";
    store();
    stop(wasMask ? T.maskAdded : T.zoneAdded);
    if (focusId) {
      var field = document.getElementById(focusId);
      if (field) { field.focus(); field.select(); }
    }
  }
  function pointAt(event) {
    var box = svg.getBoundingClientRect();
    var f = frame();
    var x = (event.clientX - box.left) / box.width * f.w;
    var y = (event.clientY - box.top) / box.height * f.h;
    return [Math.round(Math.min(Math.max(x, 0), f.w)), Math.round(Math.min(Math.max(y, 0), f.h))];
  }
  svg.addEventListener("click", function (event) {
    if (state.mode === null) { say(T.chooseFirst); return; }
    var p = pointAt(event);
    var first = state.points[0];
    var near = Math.max(6, frame().w / 80);
    if (first && state.points.length >= 3 && Math.abs(p[0] - first[0]) <= near && Math.abs(p[1] - first[1]) <= near) {
      close();
      return;
    }
    if (state.points.length >= 50) { say(T.tooMany); return; }
    state.points.push(p);
    renderSvg();
    renderButtons();
    progress();
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-draw]"), function (b) {
    b.addEventListener("click", function () { start(b.getAttribute("data-draw")); });
  });
  buttons.close.addEventListener("click", close);
  buttons.undo.addEventListener("click", function () { state.points.pop(); renderSvg(); renderButtons(); progress(); });
  buttons.cancel.addEventListener("click", function () { stop(T.cancelled); });
  document.addEventListener("keydown", function (event) {
    if (state.mode !== null && event.key === "Escape") { stop(T.cancelled); }
  });
  [zoneField, maskField].forEach(function (field) {
    field.addEventListener("change", function () { if (load()) { renderAll(); } });
  });
  [widthField, heightField].forEach(function (field) { field.addEventListener("input", renderSvg); });
  form.addEventListener("submit", function () { if (state.mode !== null && state.points.length >= 3) { close(); } });

  if (load()) { renderAll(); }
}());
