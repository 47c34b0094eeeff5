// SPDX-License-Identifier: MIT
// Browser test of the dashboard in Debian's headless Chromium, driven by
// playwright-core (installed by web_browser.sh from npm). Prints TAP.
// Every page must load with no console error, no failed request and no
// HTTP error; graphs must render; the range picker, drag-zoom and sorting
// must change the view; a screenshot of each page is kept in ARTIFACTS.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BASE = process.env.BASE;
const ART = process.env.ARTIFACTS;
const DEVICE = process.env.DEVICE || 'sw1';
const HOST = process.env.HOSTNAME_T || 'testhost';
let n = 0, failed = 0;
const plan = [];
function ok(cond, what, diag) {
  n++;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${what}`);
  if (!cond) { failed++; if (diag) console.log('# ' + String(diag).split('\n').join('\n# ')); }
}

const profile = mkdtempSync(join(tmpdir(), 'cp-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
  viewport: { width: 1280, height: 900 },
});
const page = ctx.pages()[0] || await ctx.newPage();
let problems = [];
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
page.on('pageerror', (e) => problems.push('page error: ' + e.message));
// Requests still in flight when the test navigates away are aborted by the
// browser (an auto-refresh or a slow graph of the page being left): that is
// the navigation, not a failure of the page. Chromium names the document
// each request was made from (its loaderId); a navigation's own request
// names the document that replaces the current one. So an abort of a
// request made by a document already being replaced is the navigation, even
// when the request started a moment before the navigation did; any other
// failure, including an abort on the page being shown, counts.
const cdp = await ctx.newCDPSession(page);
const reqs = new Map(); // requestId -> { url, loaderId }
let current = null; // loaderId of the document being shown or loading
cdp.on('Network.requestWillBeSent', (e) => {
  if (e.type === 'Document') current = e.loaderId;
  reqs.set(e.requestId, { url: e.request.url, loaderId: e.loaderId });
});
cdp.on('Network.loadingFinished', (e) => reqs.delete(e.requestId));
cdp.on('Network.loadingFailed', (e) => {
  const r = reqs.get(e.requestId) || { url: '?', loaderId: null };
  reqs.delete(e.requestId);
  if (e.errorText === 'net::ERR_ABORTED' && r.loaderId && r.loaderId !== current) return;
  problems.push(`request failed: ${r.url} ${e.errorText}`);
});
await cdp.send('Network.enable');
async function go(url) {
  await page.goto(url, { waitUntil: 'networkidle' });
}
page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });

async function graphsLoaded(min) {
  // Every graph box ends as a drawn image or an error message.
  await page.waitForFunction((m) => {
    const imgs = [...document.querySelectorAll('.graph img')];
    return imgs.length >= m && imgs.every((i) => i.dataset.loaded === '1' && i.complete && i.naturalWidth > 0);
  }, min, { timeout: 15000 });
}

async function visit(name, query, check) {
  problems = [];
  await go(BASE + '/?' + query);
  await page.waitForSelector('main#main[data-page]', { timeout: 10000 });
  let err = null;
  try { await check(); } catch (e) { err = e; }
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: join(ART, `web-${name}.png`), fullPage: true });
  ok(!err, `${name}: content renders`, err && err.message);
  ok(problems.length === 0, `${name}: no console errors or failed requests`, problems.join('\n'));
}

async function realPages() {
  // Real collectors: the switch recording and the fixture host.
  await visit('real-device', `page=device&name=${DEVICE}&port=${process.env.PORT_IFINDEX || 1}`, async () => {
    await page.waitForSelector('#interfaces tbody tr[data-ifindex]');
    const rows = await page.$$eval('#interfaces tbody tr[data-ifindex]', (r) => r.length);
    if (rows < 48) throw new Error('only ' + rows + ' ports');
    await graphsLoaded(4);
    if (!(await page.textContent('#inventory')).includes('PSU0001A')) throw new Error('PSU serial missing');
  });
  await visit('real-host', `page=host&name=${HOST}`, async () => {
    await page.waitForSelector('#group-memory .graph');
    await page.waitForSelector('#group-disk-i-o .graph');
    await page.waitForSelector('#group-process-groups .graph');
    await graphsLoaded(4);
  });
  await visit('real-overview', 'page=overview', async () => {
    await page.waitForSelector('#top-ports tbody tr');
  });
}

try {
  if (process.env.MODE === 'real') { await realPages(); throw 'done'; }
  await visit('overview', 'page=overview', async () => {
    await page.waitForSelector('#top-ports tbody tr');
    await page.waitForSelector('#targets tbody tr');
    const ports = await page.$$eval('#top-ports tbody tr', (r) => r.length);
    if (ports < 1) throw new Error('no utilised ports listed');
    const t = await page.textContent('#targets');
    if (!t.includes(DEVICE) || !t.includes(HOST)) throw new Error('targets table lacks ' + DEVICE + ' or ' + HOST);
    if (!(await page.textContent('#recent-events')).includes('link')) throw new Error('no link event');
    // With the bottleneck engine: its ranking is shown, worst first.
    if (await page.$('#bottlenecks')) {
      await page.waitForSelector('#bottlenecks tbody tr, #bottlenecks p');
      const rows = await page.$$eval('#bottlenecks tbody tr', (r) => r.map((x) => x.textContent));
      if (!rows.some((t) => t.includes('sw1'))) throw new Error('bottlenecks lack sw1: ' + rows.join(' | '));
    }
    // Alerts (the fixture's port-errors rule goes pending): the card shows
    // every column without scrolling sideways, "for" in short form.
    if (await page.$('#alerts')) {
      await page.waitForSelector('#alerts tbody tr, #alerts p');
      const fit = await page.$eval('#alerts', (c) => {
        const s = c.querySelector('.scroll');
        return s ? [s.scrollWidth, s.clientWidth] : [0, 0];
      });
      if (fit[0] > fit[1] + 1) throw new Error(`alerts table ${fit[0]}px wide in a ${fit[1]}px card`);
      const since = await page.$$eval('#alerts tbody tr td:last-child', (t) => t.map((x) => x.textContent));
      if (since.some((x) => !/^(\d+[smhd])( \d+[mh])?$|^–$/.test(x))) throw new Error('alert ages: ' + since.join(', '));
    }
  });
  await visit('device', `page=device&name=${DEVICE}&port=1`, async () => {
    await page.waitForSelector('#interfaces tbody tr[data-ifindex]');
    await graphsLoaded(4);
    const inv = await page.textContent('#inventory');
    if (!inv.includes('SN0003') || !inv.includes('PSU 1')) throw new Error('inventory tree lacks PSU serial');
    const nested = await page.$$eval('#inventory li li', (l) => l.length);
    if (nested < 3) throw new Error('inventory is not a tree');
  });
  // Sort by errors: the port with the most errors/s first.
  await page.click('#interfaces th:has-text("errors/s")');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('sort') === 'errors');
  await page.waitForSelector('#interfaces tbody tr[data-ifindex]');
  const first = await page.$eval('#interfaces tbody tr[data-ifindex]', (r) => r.dataset.ifindex);
  ok(first === '8', 'device: sorting by errors puts the worst port first', 'first row ifindex ' + first);
  // Filter by name.
  await page.fill('#port-filter', 'Gi1/0/3');
  await page.press('#port-filter', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('#interfaces tbody tr[data-ifindex]').length === 1);
  ok(true, 'device: the name filter leaves one port');

  // The range picker changes every graph.
  problems = [];
  await go(BASE + `/?page=device&name=${DEVICE}&port=1`);
  await graphsLoaded(4);
  const before = await page.$$eval('.graph img', (i) => i.map((x) => x.dataset.src));
  await page.click('#ranges button[data-range="7d"]');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('range') === '7d');
  await graphsLoaded(4);
  const after = await page.$$eval('.graph img', (i) => i.map((x) => x.dataset.src));
  ok(after.every((s) => s.includes('from=-7d')) && after.join() !== before.join(),
    'range picker: 7d redraws every graph over 7 days', after.join('\n'));
  await page.screenshot({ path: join(ART, 'web-device-7d.png'), fullPage: true });
  // Drag across a graph: zoom into that span (from/to in the URL).
  const img = await page.$('.graph img');
  await img.scrollIntoViewIfNeeded();
  const box = await img.boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => /^\d+$/.test(new URLSearchParams(location.search).get('from') || ''), null, { timeout: 5000 }).catch(() => {});
  const q = new URL(page.url()).searchParams;
  ok(/^\d+$/.test(q.get('from') || '') && Number(q.get('to')) > Number(q.get('from')),
    'drag-zoom sets a custom from/to in the URL', page.url());
  await graphsLoaded(4);
  ok(problems.length === 0, 'range changes: no console errors or failed requests', problems.join('\n'));

  // Dark theme: the toggle redraws the graphs with rrdtool's dark colours.
  problems = [];
  await go(BASE + `/?page=device&name=${DEVICE}&port=2`);
  await graphsLoaded(4);
  const lightBlobs = await page.$$eval('.graph img', (i) => i.map((x) => x.src));
  await page.click('#theme');
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll('.graph img')];
    return imgs.length === 4 && imgs.every((i) => i.dataset.src.includes('theme=dark') && i.dataset.loaded === '1' && i.complete && i.naturalWidth > 0);
  }, null, { timeout: 15000 });
  const dark = await page.$$eval('.graph img', (i) => i.map((x) => x.dataset.src));
  await page.screenshot({ path: join(ART, 'web-device-dark.png'), fullPage: true });
  ok(dark.length === 4 && dark.every((s) => s.includes('theme=dark')) && problems.length === 0,
    'theme toggle: graphs redrawn dark, no errors', dark.join('\n') + problems.join('\n'));
  // The replaced page's images were blob URLs; they are freed with the page.
  const freed = await page.evaluate((urls) => Promise.all(urls.map((u) => new Promise((res) => { const i = new Image(); i.onload = () => res(false); i.onerror = () => res(true); i.src = u; }))), lightBlobs);
  ok(lightBlobs.length === 4 && lightBlobs.every((u) => u.startsWith('blob:')) && freed.every(Boolean),
    'theme toggle: the old page\'s graph blob URLs are revoked', lightBlobs.join('\n') + ' ' + freed.join());
  await page.click('#theme');
  await page.waitForFunction(() => {
    const imgs = [...document.querySelectorAll('.graph img')];
    return imgs.length === 4 && imgs.every((i) => i.dataset.src.includes('theme=light') && i.dataset.loaded === '1' && i.complete && i.naturalWidth > 0);
  }, null, { timeout: 15000 });

  await visit('host', `page=host&name=${HOST}`, async () => {
    await page.waitForSelector('#group-cpu .graph');
    await page.waitForSelector('#host-events');
    await graphsLoaded(3);
  });
  // Event and firmware tables link targets as devices: a host goes to its page.
  await visit('host-via-device', `page=device&name=${HOST}`, async () => {
    await page.waitForSelector('main#main[data-page="host"] #group-cpu .graph');
    if (!page.url().includes('page=host')) throw new Error('URL stays ' + page.url());
    await graphsLoaded(3);
  });
  await visit('metrics', `page=metrics&name=${DEVICE}`, async () => {
    await page.waitForSelector('#all-metrics tbody tr');
    const rows = await page.$$eval('#all-metrics tbody tr', (r) => r.length);
    if (rows < 50) throw new Error('only ' + rows + ' series listed');
  });
  await visit('firmware', 'page=firmware', async () => {
    await page.waitForSelector('#firmware-table td');
    if (!(await page.textContent('#firmware-table')).includes('9.3(7)')) throw new Error('version missing');
  });
  await visit('events', `page=events&kind=link&range=7d`, async () => {
    await page.waitForSelector('#events tbody tr');
  });
  // Phone width: nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await visit('overview-phone', 'page=overview', async () => {
    await page.waitForSelector('#top-ports tbody tr');
    const w = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
    if (w[0] > w[1] + 1) throw new Error(`page ${w[0]}px wide on a ${w[1]}px screen`);
  });
} catch (e) {
  if (e !== 'done') ok(false, 'browser run', e.stack);
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
