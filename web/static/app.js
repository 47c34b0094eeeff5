// SPDX-License-Identifier: MIT
// chokepoint dashboard: plain JavaScript, no dependencies. All state lives
// in the URL query (page, target, range or from/to, refresh, filters), so
// every view can be bookmarked and shared. Text from the API is only ever
// set through textContent, never parsed as HTML.
'use strict';

const RANGES = { '1h': 3600, '6h': 21600, '24h': 86400, '7d': 604800, '30d': 2592000, '1y': 31536000 };
let refreshTimer = null;
let renderSeq = 0;

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'style') e.style.cssText = v; // CSSOM: allowed by the CSP
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

function state() { return new URLSearchParams(location.search); }

function link(params) {
  const q = new URLSearchParams();
  const cur = state();
  for (const k of ['range', 'from', 'to', 'refresh']) if (cur.get(k)) q.set(k, cur.get(k));
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.set(k, v);
  return '/?' + q.toString();
}

function go(params, replace) {
  const q = state();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') q.delete(k); else q.set(k, v);
  }
  const url = '/?' + q.toString();
  if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  render();
}

function nav(e) {
  // Same-origin links re-render in place; the URL is the state.
  const a = e.target.closest('a');
  if (!a || a.origin !== location.origin || a.pathname !== '/' || e.ctrlKey || e.metaKey) return;
  e.preventDefault();
  history.pushState(null, '', a.href);
  render();
}

async function api(path) {
  const r = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((body.error || r.statusText) + (body.param ? ' (' + body.param + ')' : ''));
  return body;
}

// Events come from the agent's database, which may not be open (a full
// disk): the page still renders, with the reason where the events go.
function events(path) {
  return api(path).catch((e) => ({ events: [], error: e.message }));
}

function timeRange() {
  const q = state();
  if (q.get('from') && q.get('to')) return { from: q.get('from'), to: q.get('to') };
  const r = RANGES[q.get('range')] ? q.get('range') : '1h';
  return { from: '-' + (r === '24h' ? '1d' : r === '1y' ? '365d' : r), to: 'now' };
}

function theme() { return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light'; }

function fmtNum(v, unit) {
  if (v === null || v === undefined) return '–';
  if (unit === '%') return (v * 100).toFixed(1) + '%';
  const a = Math.abs(v);
  const pre = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [d, p] of pre) if (a >= d) return (v / d).toFixed(2) + ' ' + p + (unit || '');
  return (Number.isInteger(v) ? String(v) : v.toFixed(a < 1 ? 3 : 2)) + (unit ? ' ' + unit : '');
}

// A firmware item: its version, or the revisions an entity reports.
function fwVersion(f) {
  if (f.version) return f.version;
  return [f.firmware_rev && 'FW ' + f.firmware_rev, f.software_rev && 'SW ' + f.software_rev,
    f.hardware_rev && 'HW ' + f.hardware_rev].filter(Boolean).join(' · ');
}

function fmtTime(ms) {
  if (!ms) return '–';
  const d = new Date(ms);
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

// How long ago, short ("45s", "12m", "3h 5m", "2d 4h"), for "since" columns;
// the exact time goes in the cell's title.
function fmtAgo(ms) {
  if (!ms) return '–';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm';
  if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
  return Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h';
}

function sinceCell(ms) {
  return el('td', { class: 'num hide-narrow', title: fmtTime(ms) }, fmtAgo(ms));
}

function bar(ratio) {
  const p = Math.max(0, Math.min(1, ratio || 0));
  return el('div', { class: 'bar' + (p >= 0.85 ? ' hot' : p >= 0.7 ? ' warm' : ''), title: fmtNum(ratio, '%') },
    el('span', { style: 'width:' + (p * 100).toFixed(1) + '%' }));
}

function pill(state) { return el('span', { class: 'pill ' + state }, state); }

// For display: wraps, and leaves out what the row already says (and a port's
// ifindex when its name is there).
function labelText(labels, skip) {
  const l = labels || {};
  return Object.entries(l).filter(([k]) => !(skip || []).includes(k) && !(k === 'ifindex' && l.ifname))
    .map(([k, v]) => k + '=' + v).join(' ');
}

function labelStr(labels) {
  return Object.entries(labels || {}).map(([k, v]) => k + '=' + v).join(',');
}

// A graph: fetched (so a failure shows), drawn from a blob URL; dragging
// across it zooms to that time span using the plot area the server reports.
function graph(target, metric, labels, opts) {
  const tr = timeRange();
  const q = new URLSearchParams({ from: tr.from, to: tr.to, theme: theme(),
    w: String((opts && opts.w) || 520), h: String((opts && opts.h) || 140) });
  if (labels) q.set('labels', labels);
  const src = '/graph/' + encodeURIComponent(target) + '/' + encodeURIComponent(metric) + '.png?' + q;
  const img = el('img', { alt: metric + ' ' + labels, 'data-src': src, width: q.get('w') });
  const sel = el('div', { class: 'sel', hidden: true });
  const box = el('div', { class: 'graph' }, img, sel);
  fetch(src).then(async (r) => {
    if (!r.ok) { box.replaceChildren(el('div', { class: 'error' }, metric + ': ' + ((await r.json().catch(() => ({}))).error || r.status))); return; }
    const area = (r.headers.get('X-Graph-Area') || '').split(',').map(Number);
    const blob = await r.blob();
    // A page replaced before its graph arrived does not draw it. The blob URL
    // lives as long as its page (revoked when the page is replaced, see
    // dispose()): revoked straight from onload, Chromium may still be reading
    // it and reports the read as aborted.
    if (img.closest('main[data-disposed]')) return;
    img.onload = () => { img.dataset.loaded = '1'; };
    img.src = URL.createObjectURL(blob);
    if (area.length === 6) zoomable(img, sel, area);
  }).catch(() => {});
  return box;
}

function zoomable(img, sel, area) {
  const [left, , width, , start, end] = area;
  let x0 = null;
  const tAt = (x) => {
    const scale = img.naturalWidth / img.getBoundingClientRect().width;
    const px = Math.max(0, Math.min(width, x * scale - left));
    return Math.round(start + (end - start) * px / width);
  };
  const off = (e) => e.clientX - img.getBoundingClientRect().left;
  img.addEventListener('mousedown', (e) => { e.preventDefault(); x0 = off(e); sel.hidden = false; sel.style.left = x0 + 'px'; sel.style.width = '0'; });
  img.addEventListener('mousemove', (e) => {
    if (x0 === null) return;
    const x = off(e);
    sel.style.left = Math.min(x, x0) + 'px';
    sel.style.width = Math.abs(x - x0) + 'px';
  });
  const done = (e) => {
    if (x0 === null) return;
    const x = off(e), a = tAt(Math.min(x, x0)), b = tAt(Math.max(x, x0));
    x0 = null; sel.hidden = true;
    if (b - a >= 60) go({ from: String(a), to: String(b), range: null });
  };
  img.addEventListener('mouseup', done);
  img.addEventListener('mouseleave', () => { x0 = null; sel.hidden = true; });
}

function table(headers, rows, opts) {
  const sortable = opts && opts.sortable;
  const tbody = el('tbody', null, rows);
  const ths = headers.map((h, i) => {
    const th = el('th', { class: (h.num ? 'num ' : '') + (sortable && h.key ? 'sort' : '') + (h.narrow ? ' hide-narrow' : '') }, h.label);
    if (sortable && h.key) th.addEventListener('click', () => opts.onSort(h.key));
    return th;
  });
  return el('div', { class: 'scroll' }, el('table', null, el('thead', null, el('tr', null, ths)), tbody));
}

// ------------------------------------------------------------- pages

async function pageOverview(main) {
  const [ov, tg, ev] = await Promise.all([api('/api/v1/overview'), api('/api/v1/targets'), events('/api/v1/events?limit=10')]);
  main.append(el('h1', null, 'Where is it choking?'));
  const grid = el('div', { class: 'grid' });
  main.append(grid);
  const kindOf = new Map(tg.targets.map((t) => [t.name, t.kind]));
  const pageOf = (name) => (kindOf.get(name) === 'host' ? 'host' : 'device');
  if (ov.bottlenecks_api) {
    // The USE-method ranking (agent/bottleneck.c), worst first.
    const card = el('div', { class: 'card wide', id: 'bottlenecks' }, el('h2', null, 'Bottlenecks'));
    grid.append(card);
    api('/api/v1/bottlenecks?limit=10').then((b) => {
      const list = b.bottlenecks || [];
      if (!list.length) { card.append(el('p', { class: 'muted' }, 'No bottleneck right now.')); return; }
      card.append(table([{ label: '#', num: true }, { label: 'resource' }, { label: 'now / p95' }, { label: 'for', num: true, narrow: true }],
        list.map((x) => el('tr', null,
          el('td', { class: 'num' }, x.rank),
          el('td', null, el('a', { href: link(x.kind === 'port' ? { page: 'device', name: x.target, filter: x.instance }
            : { page: pageOf(x.target), name: x.target }) }, x.resource),
            x.fault ? el('span', { class: 'pill down' }, 'fault') : null,
            el('div', { class: 'muted' }, typeof x.summary === 'string' ? x.summary : (x.class || ''))),
          el('td', null, bar(x.utilization && x.utilization.now), fmtNum(x.utilization && x.utilization.now, '%'),
            el('div', { class: 'muted' }, 'p95 ' + fmtNum(x.utilization && x.utilization.p95, '%') + ' · ' + (x.trend || ''))),
          sinceCell(x.since_ms)))));
    }).catch((e) => card.append(el('p', { class: 'error' }, e.message)));
  }
  if (ov.alerts_api) {
    const card = el('div', { class: 'card', id: 'alerts' }, el('h2', null, 'Active alerts'));
    grid.append(card);
    api('/api/v1/alerts?limit=0').then((a) => {
      const list = (a.alerts || []).filter((x) => x.status !== 'ok' && x.status !== 'resolved');
      if (!list.length) { card.append(el('p', { class: 'muted' }, 'No alert firing.')); return; }
      // One cell says what and where, so the card stays readable at a third
      // of the page: target and rule, the labels under them.
      card.append(table([{ label: 'alert' }, { label: 'value', num: true }, { label: 'state' }, { label: 'for', num: true, narrow: true }],
        list.slice(0, 20).map((x) => el('tr', null,
          el('td', null, el('a', { href: link({ page: pageOf(x.target), name: x.target }) }, x.target), ' ',
            el('span', { class: 'sev-' + x.severity }, x.rule),
            el('div', { class: 'muted' }, labelText(x.labels, ['metric', 'target', 'role']))),
          el('td', { class: 'num' }, fmtNum(x.value), el('div', { class: 'muted' }, 'limit ' + fmtNum(x.threshold))),
          el('td', null, pill(x.status === 'firing' ? 'firing' : x.status)),
          sinceCell(x.since_ms)))));
    }).catch((e) => card.append(el('p', { class: 'error' }, e.message)));
  }
  grid.append(el('div', { class: 'card', id: 'top-ports' }, el('h2', null, 'Most utilised ports'),
    ov.ports.length ? table([{ label: 'device' }, { label: 'port' }, { label: 'in' }, { label: 'out' }],
      ov.ports.map((p) => el('tr', null,
        el('td', null, el('a', { href: link({ page: 'device', name: p.target }) }, p.target)),
        el('td', null, el('a', { href: link({ page: 'device', name: p.target, port: p.ifindex }) }, p.ifname)),
        el('td', null, bar(p.in_util), fmtNum(p.in_util, '%')),
        el('td', null, bar(p.out_util), fmtNum(p.out_util, '%'))))) : el('p', { class: 'muted' }, 'No ports polled yet.')));
  grid.append(el('div', { class: 'card', id: 'top-hosts' }, el('h2', null, 'Hosts under most pressure'),
    ov.hosts.length ? table([{ label: 'host' }, { label: 'worst' }, { label: 'level' }],
      ov.hosts.map((h) => el('tr', null,
        el('td', null, el('a', { href: link({ page: 'host', name: h.target }) }, h.target)),
        el('td', null, h.worst),
        el('td', null, bar(h.pressure), fmtNum(h.pressure, '%'))))) : el('p', { class: 'muted' }, 'No host signals yet.')));
  const up = tg.targets.filter((t) => t.state === 'up').length;
  grid.append(el('div', { class: 'card', id: 'targets' }, el('h2', null, 'Targets ', el('span', { class: 'muted' }, up + ' of ' + tg.targets.length + ' up')),
    table([{ label: 'name' }, { label: 'kind' }, { label: 'state' }, { label: 'series', num: true }, { label: 'last poll', narrow: true }],
      tg.targets.map((t) => el('tr', null,
        el('td', null, el('a', { href: link({ page: t.kind === 'host' ? 'host' : 'device', name: t.name }) }, t.name)),
        el('td', null, t.role || t.kind),
        el('td', null, pill(t.state), t.reason ? el('div', { class: 'muted' }, t.reason) : null),
        el('td', { class: 'num' }, t.series),
        el('td', { class: 'hide-narrow' }, fmtTime(t.last_poll_ms)))))));
  grid.append(el('div', { class: 'card', id: 'recent-events' }, el('h2', null, 'Recent events'), eventsTable(ev.events, ev.error)));
}

function eventsTable(events, error) {
  if (error) return el('p', { class: 'error' }, error);
  if (!events.length) return el('p', { class: 'muted' }, 'No events.');
  return table([{ label: 'time' }, { label: 'target' }, { label: 'kind' }, { label: 'what' }],
    events.map((e) => el('tr', null,
      el('td', null, fmtTime(e.time_ms)),
      el('td', null, el('a', { href: link({ page: 'device', name: e.target }) }, e.target)),
      el('td', { class: 'sev-' + e.severity }, e.kind),
      el('td', null, e.message))));
}

const PORT_COLS = [
  { key: 'ifindex', label: '#', num: true }, { key: 'name', label: 'port' }, { key: 'alias', label: 'alias', narrow: true },
  { key: 'oper_status', label: 'status' }, { key: 'speed_bps', label: 'speed', num: true, narrow: true },
  { key: 'in_util', label: 'in', num: true }, { key: 'out_util', label: 'out', num: true },
  { key: 'errors', label: 'errors/s', num: true }, { key: 'discards', label: 'discards/s', num: true },
];

function portStatus(p) {
  if (p.admin_status === 2) return 'pending';
  return p.oper_status === 1 ? 'up' : p.oper_status === null ? 'pending' : 'down';
}

function inventoryTree(items) {
  const byParent = new Map();
  for (const it of items) {
    const p = it.contained_in || 0;
    if (!byParent.has(p)) byParent.set(p, []);
    byParent.get(p).push(it);
  }
  const seen = new Set();
  const build = (parent) => el('ul', null, (byParent.get(parent) || []).map((it) => {
    if (seen.has(it.index)) return null;
    seen.add(it.index);
    const extra = [it.model, it.serial && 'S/N ' + it.serial, it.hardware_rev && 'HW ' + it.hardware_rev,
      it.firmware_rev && 'FW ' + it.firmware_rev, it.software_rev && 'SW ' + it.software_rev].filter(Boolean).join(' · ');
    return el('li', null, el('strong', null, it.name || it.descr || it.key), ' ', el('span', { class: 'muted' }, it.class || ''),
      extra ? el('div', { class: 'muted' }, extra) : null, build(it.index));
  }));
  return el('div', { class: 'tree' }, build(0));
}

async function pageDevice(main) {
  const q = state();
  const name = q.get('name');
  const [d, ev] = await Promise.all([api('/api/v1/devices/' + encodeURIComponent(name)),
    events('/api/v1/events?limit=20&target=' + encodeURIComponent(name))]);
  if (d.target && d.target.kind === 'host') {
    // Event and firmware tables link every target here: a host has its page.
    history.replaceState(null, '', link({ page: 'host', name }));
    main.dataset.page = 'host';
    return pageHost(main, d, ev);
  }
  main.append(el('h1', null, d.name, ' ', pill(d.target.state || 'up'), ' ',
    el('a', { class: 'muted', href: link({ page: 'metrics', name }) }, 'all metrics')));
  const sys = d.sys;
  main.append(el('div', { class: 'grid' },
    el('div', { class: 'card', id: 'sys' }, el('h2', null, 'System'),
      table([{ label: '' }, { label: '' }], [['description', sys.descr], ['name', sys.name], ['object id', sys.object_id],
        ['uptime', sys.uptime_s === null ? '–' : (sys.uptime_s / 86400).toFixed(1) + ' days'], ['version', sys.version]]
        .map(([k, v]) => el('tr', null, el('td', { class: 'muted' }, k), el('td', null, v === null || v === undefined ? '–' : v))))),
    el('div', { class: 'card', id: 'firmware' }, el('h2', null, 'Firmware'),
      d.firmware.length ? el('ul', null, d.firmware.map((f) => el('li', null, (f.component || f.key) + ': ' + fwVersion(f)))) : el('p', { class: 'muted' }, 'none reported'))));
  const sortKey = q.get('sort') || 'util';
  const filter = (q.get('filter') || '').toLowerCase();
  const val = (p, k) => k === 'util' ? Math.max(p.in_util || 0, p.out_util || 0)
    : k === 'errors' ? (p.in_errors_ps || 0) + (p.out_errors_ps || 0)
    : k === 'discards' ? (p.in_discards_ps || 0) + (p.out_discards_ps || 0)
    : k === 'in_util' || k === 'out_util' ? p[k] || 0 : p[k];
  let ports = d.interfaces.filter((p) => !filter || (p.name + ' ' + p.alias).toLowerCase().includes(filter));
  ports.sort((a, b) => {
    const x = val(a, sortKey), y = val(b, sortKey);
    if (typeof x === 'number' && typeof y === 'number') return sortKey === 'ifindex' ? x - y : y - x;
    return String(x).localeCompare(String(y));
  });
  const openPort = q.get('port');
  const fin = el('input', { class: 'filter', type: 'search', placeholder: 'filter ports by name', value: q.get('filter') || '', id: 'port-filter' });
  fin.addEventListener('change', () => go({ filter: fin.value }, true));
  const rows = [];
  for (const p of ports) {
    rows.push(el('tr', { class: String(p.ifindex) === openPort ? 'open' : '', 'data-ifindex': p.ifindex },
      el('td', { class: 'num' }, p.ifindex),
      el('td', null, el('a', { href: link({ page: 'device', name, port: p.ifindex, sort: q.get('sort'), filter: q.get('filter') }) }, p.name)),
      el('td', { class: 'hide-narrow' }, p.alias),
      el('td', null, pill(portStatus(p))),
      el('td', { class: 'num hide-narrow' }, fmtNum(p.speed_bps, 'bit/s')),
      el('td', { class: 'num' }, bar(p.in_util), fmtNum(p.in_util, '%'), el('div', { class: 'muted' }, fmtNum(p.in_bps, 'bit/s'))),
      el('td', { class: 'num' }, bar(p.out_util), fmtNum(p.out_util, '%'), el('div', { class: 'muted' }, fmtNum(p.out_bps, 'bit/s'))),
      el('td', { class: 'num' }, fmtNum((p.in_errors_ps || 0) + (p.out_errors_ps || 0))),
      el('td', { class: 'num' }, fmtNum((p.in_discards_ps || 0) + (p.out_discards_ps || 0)))));
    if (String(p.ifindex) === openPort) {
      const l = 'ifindex=' + p.ifindex;
      // Only series that exist (a port without counters has no rate yet).
      const gs = [['in_bps', 'if_in_octets_per_second'], ['out_bps', 'if_out_octets_per_second'],
        ['in_util', 'if_in_util_ratio'], ['out_util', 'if_out_util_ratio']]
        .filter(([f]) => p[f] !== null && p[f] !== undefined).map(([, m]) => graph(name, m, l));
      rows.push(el('tr', { class: 'open' }, el('td', { colspan: 9 }, el('div', { class: 'graphs', id: 'port-graphs' },
        gs.length ? gs : el('p', { class: 'muted' }, 'No traffic series for this port yet.')))));
    }
  }
  main.append(el('h2', null, 'Interfaces ', el('span', { class: 'muted' }, d.interfaces.length + ' ports')), fin,
    el('div', { id: 'interfaces' }, table(PORT_COLS.map((c) => ({ ...c, key: c.key === 'in_util' || c.key === 'out_util' ? c.key : c.key })), rows,
      { sortable: true, onSort: (k) => go({ sort: k }, true) })));
  main.append(el('div', { class: 'grid' },
    el('div', { class: 'card', id: 'inventory' }, el('h2', null, 'Inventory'), d.inventory.length ? inventoryTree(d.inventory) : el('p', { class: 'muted' }, 'none reported')),
    el('div', { class: 'card', id: 'device-events' }, el('h2', null, 'Events'), eventsTable(ev.events, ev.error))));
}

// Host page: the classic choke points first, then every series.
const HOST_GROUPS = [
  ['CPU', /^(cpu_busy_ratio|load1|procs_running|procs_blocked|psi_cpu_)/],
  ['Memory', /^(memory_used_ratio|memory_available_bytes|swap_used_ratio|swap_in|swap_out|psi_memory_)/],
  ['Process groups', /^process_(rss_bytes|cpu_ratio)$/],
  ['Disk I/O', /^(disk_util_ratio|disk_read_bytes_per_second|disk_write_bytes_per_second|disk_read_await_ms|disk_write_await_ms|psi_io_)/],
];

async function pageHost(main, dev, evs) {
  const name = state().get('name');
  const enc = encodeURIComponent(name);
  // Its firmware, inventory and events as a device page has them (a host
  // without any is no error: the device answer is optional).
  const [m, d, ev] = await Promise.all([api('/api/v1/metrics?target=' + enc),
    dev || api('/api/v1/devices/' + enc).catch(() => null),
    evs || events('/api/v1/events?limit=20&target=' + enc)]);
  main.append(el('h1', null, name, ' ', el('a', { class: 'muted', href: link({ page: 'metrics', name }) }, 'all metrics (' + m.series.length + ')')));
  let shown = 0;
  for (const [title, re] of HOST_GROUPS) {
    const series = m.series.filter((s) => s.history && re.test(s.metric)).slice(0, 8);
    if (!series.length) continue;
    shown++;
    main.append(el('h2', null, title), el('div', { class: 'graphs', id: 'group-' + title.toLowerCase().replace(/\W+/g, '-') },
      series.map((s) => graph(name, s.metric, labelStr(s.labels), { w: 420, h: 120 }))));
  }
  if (!shown) main.append(el('p', { class: 'muted' }, 'No CPU, memory or disk series yet: see all metrics.'));
  main.append(el('div', { class: 'grid below' },
    d && d.firmware.length ? el('div', { class: 'card', id: 'firmware' }, el('h2', null, 'Firmware'),
      el('ul', null, d.firmware.map((f) => el('li', null, (f.component || f.key) + ': ' + fwVersion(f))))) : null,
    d && d.inventory.length ? el('div', { class: 'card', id: 'inventory' }, el('h2', null, 'Inventory'), inventoryTree(d.inventory)) : null,
    el('div', { class: 'card', id: 'host-events' }, el('h2', null, 'Events'), eventsTable(ev.events, ev.error))));
}

async function pageMetrics(main) {
  const q = state();
  const name = q.get('name');
  const m = await api('/api/v1/metrics?target=' + encodeURIComponent(name));
  const filter = (q.get('filter') || '').toLowerCase();
  const open = q.get('series');
  main.append(el('h1', null, name, ': every series ', el('span', { class: 'muted' }, String(m.series.length))));
  const fin = el('input', { class: 'filter', type: 'search', placeholder: 'filter by metric or label', value: q.get('filter') || '' });
  fin.addEventListener('change', () => go({ filter: fin.value }, true));
  main.append(fin);
  const rows = [];
  for (const s of m.series) {
    const ls = labelStr(s.labels), id = s.metric + '{' + ls + '}';
    if (filter && !id.toLowerCase().includes(filter)) continue;
    rows.push(el('tr', null,
      el('td', null, s.history ? el('a', { href: link({ page: 'metrics', name, filter: q.get('filter'), series: id }) }, s.metric) : s.metric),
      el('td', null, ls), el('td', { class: 'num' }, fmtNum(s.value)), el('td', { class: 'hide-narrow' }, s.kind)));
    if (open === id) rows.push(el('tr', { class: 'open' }, el('td', { colspan: 4 }, graph(name, s.metric, ls))));
  }
  main.append(el('div', { id: 'all-metrics' }, table([{ label: 'metric' }, { label: 'labels' }, { label: 'value', num: true }, { label: 'kind', narrow: true }], rows)));
}

async function pageFirmware(main) {
  const f = await api('/api/v1/firmware');
  const b = f.baseline;
  main.append(el('h1', null, 'Firmware ', b ? el('span', { class: b.drift ? 'pill down' : 'pill up' },
    b.drift ? b.drift + ' drifting from the baseline' : 'no drift') : null));
  if (b && b.components && b.components.length) {
    // The firmware module's report: every component with its baseline status.
    main.append(el('div', { id: 'firmware-table' }, table(
      [{ label: 'target' }, { label: 'component' }, { label: 'model', narrow: true }, { label: 'version' },
        { label: 'status' }, { label: 'first seen', narrow: true }],
      b.components.map((c) => el('tr', null,
        el('td', null, el('a', { href: link({ page: 'device', name: c.target }) }, c.target)),
        el('td', null, c.name || c.key, ' ', el('span', { class: 'muted' }, c.kind || '')),
        el('td', { class: 'hide-narrow' }, c.model || ''),
        el('td', null, c.version || fwVersion(c)),
        el('td', { class: c.status === 'drift' ? 'sev-critical' : '' }, c.status || '', c.expected ? ' (expected ' + c.expected + ')' : ''),
        el('td', { class: 'hide-narrow' }, fmtTime(c.first_seen_ms)))))));
    main.append(el('h2', null, 'Version changes'), b.changes.length ? table(
      [{ label: 'seen' }, { label: 'target' }, { label: 'component' }, { label: 'from' }, { label: 'to' }],
      b.changes.map((c) => el('tr', null, el('td', null, fmtTime(c.first_seen_ms)), el('td', null, c.target),
        el('td', null, c.name || c.key), el('td', null, c.old_version), el('td', null, c.new_version))))
      : el('p', { class: 'muted' }, 'No version change recorded.'));
  } else {
    const rows = [];
    for (const t of f.targets) for (const it of t.items) {
      rows.push(el('tr', null, el('td', null, el('a', { href: link({ page: 'device', name: t.target }) }, t.target)),
        el('td', null, it.component || it.key), el('td', null, fwVersion(it)), el('td', { class: 'muted' },
          Object.entries(it).filter(([k, v]) => v && !['key', 'component', 'version', 'firmware_rev', 'software_rev', 'hardware_rev'].includes(k))
            .map(([k, v]) => k + '=' + v).join(' '))));
    }
    main.append(el('div', { id: 'firmware-table' }, rows.length ? table([{ label: 'target' }, { label: 'component' }, { label: 'version' }, { label: 'details' }], rows) : el('p', { class: 'muted' }, 'No firmware reported yet.')));
  }
  main.append(el('h2', null, 'Firmware events'), eventsTable(f.changes));
}

async function pageEvents(main) {
  const q = state();
  const p = new URLSearchParams({ limit: '200' });
  for (const k of ['kind', 'target']) if (q.get(k)) p.set(k, q.get(k));
  const tr = timeRange();
  p.set('since', tr.from);
  if (tr.to !== 'now') p.set('until', tr.to);
  const ev = await events('/api/v1/events?' + p);
  main.append(el('h1', null, 'Events'));
  const kind = el('input', { type: 'search', placeholder: 'kind (link, hotswap, ecc, firmware)', value: q.get('kind') || '', id: 'ev-kind' });
  const target = el('input', { type: 'search', placeholder: 'target', value: q.get('target') || '', id: 'ev-target' });
  const form = el('form', { class: 'custom' }, kind, target, el('button', { type: 'submit' }, 'filter'));
  form.addEventListener('submit', (e) => { e.preventDefault(); go({ kind: kind.value, target: target.value }); });
  main.append(form, el('div', { id: 'events' }, eventsTable(ev.events, ev.error)));
}

const PAGES = { overview: pageOverview, device: pageDevice, host: pageHost, metrics: pageMetrics, firmware: pageFirmware, events: pageEvents };

async function render() {
  const q = state();
  const page = PAGES[q.get('page')] ? q.get('page') : 'overview';
  const seq = ++renderSeq;
  const main = el('main', { id: 'main', 'data-page': page });
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === page);
  const range = q.get('from') ? 'custom' : (RANGES[q.get('range')] ? q.get('range') : '1h');
  for (const b of document.querySelectorAll('#ranges button')) b.classList.toggle('active', b.dataset.range === range);
  document.getElementById('custom').hidden = range !== 'custom';
  document.getElementById('refresh').value = q.get('refresh') || '0';
  try {
    await PAGES[page](main);
    document.getElementById('status').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    main.append(el('p', { class: 'error' }, e.message));
  }
  if (seq !== renderSeq) { dispose(main); return; }
  const prev = document.getElementById('main');
  prev.replaceWith(main);
  dispose(prev);
  schedule();
}

// A page that is gone: its graphs' blob URLs are freed, late graphs skipped.
function dispose(main) {
  main.dataset.disposed = '1';
  for (const i of main.querySelectorAll('.graph img')) if (i.src.startsWith('blob:')) URL.revokeObjectURL(i.src);
}

function schedule() {
  clearTimeout(refreshTimer);
  const s = Number(state().get('refresh') || 0);
  if (s > 0) refreshTimer = setTimeout(render, s * 1000);
}

function toLocalInput(sec) {
  const d = new Date(sec * 1000);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function init() {
  const saved = localStorage.getItem('theme');
  const dark = saved ? saved === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  document.getElementById('theme').addEventListener('click', () => {
    const t = theme() === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = t;
    localStorage.setItem('theme', t);
    render();
  });
  document.getElementById('ranges').addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b) return;
    if (b.dataset.range === 'custom') {
      const f = document.getElementById('custom');
      f.hidden = false;
      const now = Math.floor(Date.now() / 1000);
      document.getElementById('from').value = toLocalInput(now - 86400);
      document.getElementById('to').value = toLocalInput(now);
      return;
    }
    go({ range: b.dataset.range, from: null, to: null });
  });
  document.getElementById('custom').addEventListener('submit', (e) => {
    e.preventDefault();
    const a = Math.floor(new Date(document.getElementById('from').value).getTime() / 1000);
    const b = Math.floor(new Date(document.getElementById('to').value).getTime() / 1000);
    if (a > 0 && b > a) go({ from: String(a), to: String(b), range: null });
  });
  document.getElementById('refresh').addEventListener('change', (e) => go({ refresh: e.target.value === '0' ? null : e.target.value }, true));
  document.addEventListener('click', nav);
  window.addEventListener('popstate', render);
  api('/api/v1/targets').then((t) => { document.getElementById('site').textContent = t.site; }).catch(() => {});
  render();
}

document.addEventListener('DOMContentLoaded', init);
