/* The officer's phone page: arrived / left taps with GPS, notes, incidents seen.
   Every action gets a client UUID and goes into a queue in localStorage first; the queue is
   sent to the sync endpoint (POST JSON, session cookie, CSRF header) whenever the phone is
   online, with retry and backoff. The server applies actions idempotently by UUID, so a
   resend after a lost answer never duplicates anything. No build step, no dependencies
   besides Leaflet (optional: the page works without the map). */
(function () {
  "use strict";
  var dataEl = document.getElementById("field-data");
  if (!dataEl) { return; }
  var data = JSON.parse(dataEl.textContent);
  var t = JSON.parse(document.getElementById("field-i18n").textContent);
  var PREFIX = "kamtibmas.patrol." + data.user + ".";
  var QUEUE_KEY = PREFIX + "queue";
  var FAILED_KEY = PREFIX + "failed";
  var VISITS_KEY = PREFIX + "visits." + data.plan;
  var BATCH = 50;
  var MAX_DELAY_MS = 60000;
  var flushing = false;
  var retryTimer = null;
  var failures = 0;

  // ---- storage ---------------------------------------------------------------------------
  function load(key, fallback) {
    try {
      var raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) { return fallback; }
  }
  function save(key, value) { window.localStorage.setItem(key, JSON.stringify(value)); }

  function uuid() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); });
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
      "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, k) { return String(values[k]); });
  }

  // ---- visits known on this phone (server snapshot merged with local taps) ----------------
  var visits = load(VISITS_KEY, {});
  data.visits.forEach(function (v) {
    var mine = visits[v.visit] || {};
    visits[v.visit] = {
      stop: v.stop, arrived: mine.arrived || v.arrived, left: mine.left || v.left
    };
  });
  save(VISITS_KEY, visits);

  function visitsOf(stopId) {
    return Object.keys(visits).map(function (k) {
      var v = visits[k]; v.visit = k; return v;
    }).filter(function (v) { return String(v.stop || "") === String(stopId || ""); })
      .sort(function (a, b) { return a.arrived < b.arrived ? -1 : 1; });
  }

  // ---- queue and sync -------------------------------------------------------------------
  function queue() { return load(QUEUE_KEY, []); }

  // An action still waiting for GPS when the page was closed goes without a position.
  save(QUEUE_KEY, queue().map(function (a) { delete a.pending; return a; }));

  /* Queue an action at tap time (so the order of taps is kept); with ``gps`` the action
     waits (up to 10 s) for the position, and nothing after it is sent meanwhile. */
  function enqueue(action, gps) {
    action.id = uuid();
    if (gps) { action.pending = true; }
    var q = queue();
    q.push(action);
    save(QUEUE_KEY, q);
    renderStatus();
    if (!gps) { flush(); return; }
    withPosition(function (pos) {
      var current = queue();
      current.forEach(function (a) {
        if (a.id === action.id) { positioned(a, pos); delete a.pending; }
      });
      save(QUEUE_KEY, current);
      flush();
    });
  }

  function sendable(q) {
    var out = [];
    for (var i = 0; i < q.length && out.length < BATCH; i++) {
      if (q[i].pending) { break; }
      out.push(q[i]);
    }
    return out;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    var m = document.cookie.match(/(?:^|;\s*)(?:__Host-)?csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : (input ? input.value : "");
  }

  function scheduleRetry() {
    if (retryTimer) { return; }
    failures += 1;
    var delay = Math.min(MAX_DELAY_MS, 2000 * Math.pow(2, failures - 1));
    delay = delay * (0.75 + Math.random() * 0.5);
    retryTimer = window.setTimeout(function () { retryTimer = null; flush(); }, delay);
  }

  function flush() {
    var batch = sendable(queue());
    if (flushing || !batch.length) { renderStatus(); return; }
    if (navigator.onLine === false) { renderStatus(); scheduleRetry(); return; }
    flushing = true;
    renderStatus(t.syncing);
    fetch(data.syncUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ actions: batch })
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) {
        throw { login: true };
      }
      if (!response.ok) { throw { status: response.status }; }
      return response.json();
    }).then(function (body) {
      applyResults(body.results || []);
      failures = 0;
      flushing = false;
      if (sendable(queue()).length) { flush(); } else { renderStatus(); }
    }).catch(function (err) {
      flushing = false;
      renderStatus(err && err.login ? t.login : null);
      scheduleRetry();
    });
  }

  function applyResults(results) {
    var byId = {};
    results.forEach(function (r) { byId[r.id] = r; });
    var failed = load(FAILED_KEY, []);
    var remaining = [];
    queue().forEach(function (a) {
      var r = byId[a.id];
      if (!r) { remaining.push(a); return; }
      if (r.status === "rejected") {
        failed.push({ id: r.id, type: a.type, message: r.message || "" });
      }
    });
    save(QUEUE_KEY, remaining);
    save(FAILED_KEY, failed.slice(-20));
    renderFailures();
  }

  function renderStatus(text) {
    var el = document.getElementById("sync-status");
    if (!el) { return; }
    var n = queue().length;
    el.dataset.pending = String(n);
    if (text) { el.textContent = text; }
    else if (n) {
      el.textContent = fmt(t.waiting, { n: n }) +
        (navigator.onLine === false ? " · " + t.offline : "");
    } else { el.textContent = t.synced; }
    el.className = "sync-status" + (n ? " sync-waiting" : " sync-done");
  }

  function renderFailures() {
    var list = document.getElementById("sync-failures");
    var failed = load(FAILED_KEY, []);
    if (!list) { return; }
    list.hidden = !failed.length;
    list.innerHTML = "";
    failed.forEach(function (f) {
      var li = document.createElement("li");
      li.textContent = t.rejected + ": " + f.message;
      list.appendChild(li);
    });
  }

  // ---- GPS ------------------------------------------------------------------------------
  function withPosition(callback) {
    var gps = document.getElementById("gps-status");
    if (!navigator.geolocation) { callback(null); return; }
    if (gps) { gps.textContent = t.gpsWait; }
    var finished = false;
    function done(pos) {
      if (finished) { return; }
      finished = true;
      if (gps) {
        gps.textContent = pos ? fmt(t.gpsAcc, { m: Math.round(pos.accuracy_m) }) : t.noGps;
      }
      callback(pos);
    }
    window.setTimeout(function () { done(null); }, 10000);
    navigator.geolocation.getCurrentPosition(function (p) {
      done({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: p.coords.accuracy });
    }, function () { done(null); }, { enableHighAccuracy: true, timeout: 8000, maximumAge: 30000 });
  }

  function positioned(action, pos) {
    if (pos) { action.lat = pos.lat; action.lon = pos.lon; action.accuracy_m = pos.accuracy_m; }
    return action;
  }

  // ---- taps -----------------------------------------------------------------------------
  function stopIdOf(card) { return card.dataset.stop ? Number(card.dataset.stop) : null; }

  function arrive(card) {
    var at = new Date().toISOString();
    var visit = uuid();
    var stop = stopIdOf(card);
    visits[visit] = { stop: stop, arrived: at, left: null };
    save(VISITS_KEY, visits);
    renderCard(card);
    enqueue({
      type: "arrive", visit: visit, plan: data.plan, stop: stop, team: data.team, at: at
    }, true);
  }

  function leave(card) {
    var open = visitsOf(stopIdOf(card)).filter(function (v) { return !v.left; }).pop();
    if (!open) { return; }
    var at = new Date().toISOString();
    visits[open.visit].left = at;
    save(VISITS_KEY, visits);
    renderCard(card);
    enqueue({ type: "leave", visit: open.visit, at: at }, true);
  }

  function submitNotes(card, form) {
    var latest = visitsOf(stopIdOf(card)).pop();
    if (!latest) { return; }
    enqueue({
      type: "notes", visit: latest.visit, notes: form.elements.notes.value,
      residents_met: Number(form.elements.residents_met.value || 0),
      contact_notes: form.elements.contact_notes.value
    });
    form.querySelector("[data-role=notes-state]").textContent = t.saved;
  }

  function submitIncident(card, form) {
    var latest = visitsOf(stopIdOf(card)).pop();
    var state = form.querySelector("[data-role=incident-state]");
    if (!latest) { return; }
    if (!form.elements.category.value) { state.textContent = t.needCategory; return; }
    if (form.elements.description.value.trim().length < 10) {
      state.textContent = t.needText; return;
    }
    var action = {
      type: "incident", visit: latest.visit, category: form.elements.category.value,
      description: form.elements.description.value, at: new Date().toISOString()
    };
    enqueue(action, true);
    form.reset();
    state.textContent = t.reported;
  }

  function hhmm(iso) {
    var d = new Date(iso);
    return d.toLocaleTimeString("id-ID", {
      hour: "2-digit", minute: "2-digit", timeZone: "Asia/Makassar"
    });
  }

  function renderCard(card) {
    var list = visitsOf(stopIdOf(card));
    var latest = list[list.length - 1];
    var open = latest && !latest.left;
    var state = card.querySelector("[data-role=state]");
    if (!latest) { state.textContent = card.dataset.stop ? t.notVisited : ""; }
    else if (open) { state.textContent = fmt(t.onSite, { time: hhmm(latest.arrived) }); }
    else {
      var minutes = Math.round((new Date(latest.left) - new Date(latest.arrived)) / 60000);
      state.textContent = fmt(t.done, {
        from: hhmm(latest.arrived), to: hhmm(latest.left), minutes: minutes
      });
    }
    card.classList.toggle("stop-open", !!open);
    card.classList.toggle("stop-done", !!latest && !open);
    card.querySelector("[data-action=arrive]").disabled = !!open;
    card.querySelector("[data-action=leave]").disabled = !open;
    card.querySelector("[data-role=forms]").hidden = !latest;
  }

  var formsTemplate = document.getElementById("visit-forms");
  Array.prototype.forEach.call(document.querySelectorAll(".stop"), function (card) {
    card.appendChild(formsTemplate.content.cloneNode(true));  // one copy in the page payload
    card.querySelector("[data-action=arrive]").addEventListener("click", function () {
      arrive(card);
    });
    card.querySelector("[data-action=leave]").addEventListener("click", function () {
      leave(card);
    });
    card.querySelector("[data-form=notes]").addEventListener("submit", function (e) {
      e.preventDefault(); submitNotes(card, e.target);
    });
    card.querySelector("[data-form=incident]").addEventListener("submit", function (e) {
      e.preventDefault(); submitIncident(card, e.target);
    });
    renderCard(card);
  });

  // ---- map ------------------------------------------------------------------------------
  function drawMap() {
    var el = document.getElementById("field-map");
    if (!el || typeof L === "undefined" || !data.stops.length) {
      if (el) { el.hidden = true; }
      return;
    }
    var map = L.map(el);
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
    }
    var points = [];
    data.stops.forEach(function (s, i) {
      var icon = L.divIcon({ className: "stop-pin", html: String(i + 1), iconSize: [28, 28] });
      L.marker([s.lat, s.lon], { icon: icon, title: s.label }).addTo(map)
        .on("click", function () {
          var card = document.getElementById("stop-" + s.id);
          if (card) { card.scrollIntoView({ behavior: "smooth" }); }
        });
      (s.path && s.path.length ? s.path : [[s.lat, s.lon]]).forEach(function (p) {
        points.push(p);
      });
    });
    L.polyline(points, { color: "#154b8c", weight: 3, opacity: 0.7 }).addTo(map);
    map.fitBounds(L.latLngBounds(points).pad(0.2));
    el.kamtibmasMap = map;
  }
  drawMap();

  // ---- online / offline, service worker ------------------------------------------------
  window.addEventListener("online", function () {
    failures = 0;
    if (retryTimer) { window.clearTimeout(retryTimer); retryTimer = null; }
    flush();
  });
  window.addEventListener("offline", function () { renderStatus(); });
  var script = document.currentScript;
  if (script && script.dataset.sw && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(script.dataset.sw).catch(function () { /* optional */ });
  }
  renderFailures();
  flush();
  window.kamtibmasField = { flush: flush, queue: queue };
})();
