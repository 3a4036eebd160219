/**
 * The dashboard's one script, served as /static/app.js: live jobs (server-sent
 * events carry the table body, rendered and escaped by the server), a page
 * waiting for its custody check reloads when it is done, and the media map is
 * drawn on a canvas the user can zoom into. No framework, no build step.
 */
export const CLIENT_SCRIPT = String.raw`
'use strict';
(function () {
  var jobs = document.getElementById('jobs-body');
  var waiting = document.querySelector('[data-wait-case]');
  var liveMap = document.querySelector('[data-live-job]');
  if (jobs || waiting || liveMap) {
    var events = new EventSource('/events');
    events.addEventListener('jobs', function (e) {
      if (jobs) jobs.innerHTML = JSON.parse(e.data);
      if (liveMap) fetch('/jobs/' + encodeURIComponent(liveMap.getAttribute('data-live-job')) + '/map.json', { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : null; }).then(function (m) { if (m) { map = m; draw(); } });
    });
    events.addEventListener('checked', function (e) {
      if (waiting && waiting.getAttribute('data-wait-case') === JSON.parse(e.data)) location.reload();
    });
  }

  var canvas = document.querySelector('canvas.map');
  var dataNode = document.getElementById('map-data');
  var map = dataNode ? JSON.parse(dataNode.textContent) : null;
  var view = map ? { from: 0, to: map.size } : null;
  var COLS = 128, ROWS = 32, CELL = 8;
  var COLOUR = { read: '#2e9d4f', unreadable: '#d0142c', unread: '#c9ced6' };
  var RANK = { read: 0, unread: 1, unreadable: 2 };

  function cellState(from, to) {
    var worst = null;
    var b = map.blocks;
    var lo = 0, hi = b.length - 1;
    while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (b[mid].pos <= from) lo = mid; else hi = mid - 1; }
    for (var i = lo; i < b.length && b[i].pos < to; i++) {
      if (b[i].pos + b[i].size <= from) continue;
      if (worst === null || RANK[b[i].state] > RANK[worst]) worst = b[i].state;
    }
    return worst;
  }
  function draw() {
    if (!canvas || !map) return;
    if (view.to > map.size || view.to <= view.from) view = { from: 0, to: map.size };
    var ctx = canvas.getContext('2d');
    canvas.width = COLS * CELL; canvas.height = ROWS * CELL;
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, canvas.width, canvas.height);
    var span = view.to - view.from, cells = COLS * ROWS;
    for (var c = 0; c < cells; c++) {
      var a = view.from + Math.floor(span * c / cells), z = view.from + Math.floor(span * (c + 1) / cells);
      if (z <= a) continue;
      var s = cellState(a, z);
      if (!s) continue;
      ctx.fillStyle = COLOUR[s];
      ctx.fillRect((c % COLS) * CELL, Math.floor(c / COLS) * CELL, CELL - 1, CELL - 1);
    }
    var label = document.getElementById('map-view');
    if (label) label.textContent = 'showing bytes ' + view.from + ' to ' + (view.to - 1) + ' (' + (span / cells < 1 ? 'under 1' : Math.round(span / cells)) + ' bytes a square)';
  }
  if (canvas && map) {
    canvas.addEventListener('click', function (e) {
      var r = canvas.getBoundingClientRect();
      var col = Math.floor((e.clientX - r.left) / r.width * COLS), row = Math.floor((e.clientY - r.top) / r.height * ROWS);
      var span = view.to - view.from;
      if (span <= COLS * ROWS) return;
      var at = view.from + Math.floor(span * (row * COLS + col) / (COLS * ROWS));
      var width = Math.max(COLS * ROWS, Math.floor(span / 16));
      var from = Math.max(0, Math.min(map.size - width, at - Math.floor(width / 2)));
      view = { from: from, to: from + width };
      draw();
    });
    var out = document.getElementById('map-out'), all = document.getElementById('map-all');
    if (out) out.addEventListener('click', function () {
      var span = view.to - view.from, mid = view.from + span / 2, width = Math.min(map.size, span * 16);
      var from = Math.max(0, Math.min(map.size - width, Math.floor(mid - width / 2)));
      view = { from: from, to: from + width }; draw();
    });
    if (all) all.addEventListener('click', function () { view = { from: 0, to: map.size }; draw(); });
    draw();
  }
})();
`;
