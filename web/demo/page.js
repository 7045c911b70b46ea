// The demo page: runs the demo scenario (scenario.js) with live figures, and leaves the
// result in window.yamuxDemo for the browser test ({state, result | error, live}).
import { runDemo, WHY } from './scenario.js';
import { lineChartSvg } from './chart.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const streams = Number(params.get('streams') || 32);
const bytes = Number(params.get('bytes') || 8 << 20);
const demo = (window.yamuxDemo = { state: 'running', live: null, samples: [], result: null, error: null, crossOriginIsolated });
let t0 = null; // the chart starts with the transfer
$('coi').textContent = String(crossOriginIsolated);

function onLive(live) {
  if (live.phase) return; // the one-way runs report in the table
  demo.live = live;
  t0 ??= performance.now();
  demo.samples.push({ t: (performance.now() - t0) / 1000, mbps: live.mbps });
  $('chart').innerHTML = lineChartSvg(demo.samples, { label: 'channel MB/s (both directions)' });
  $('live-streams').textContent = live.streams;
  $('live-bytes').textContent = `${(live.bytes / 1e6).toFixed(0)} MB`;
  $('live-mbps').textContent = live.mbps.toFixed(0);
  $('live-rtt').textContent = live.rttMs ? `${(live.rttMs * 1000).toFixed(0)} us` : '-';
}

function show({ rows, total, oneWay }) {
  const body = $('result').querySelector('tbody');
  for (const r of [...rows, total, ...oneWay]) {
    const tr = document.createElement('tr');
    for (const v of [r.what, r.streams, `${(r.bytes / (1 << 20)).toFixed(0)} MiB`, r.mbps.toFixed(0), r.rttMs ? `${(r.rttMs * 1000).toFixed(0)} us` : '']) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    body.append(tr);
  }
  $('result').hidden = false;
  $('why').textContent = WHY;
}

$('state').textContent = 'running';
try {
  if (!crossOriginIsolated) throw new Error('not cross-origin isolated: serve with COOP/COEP (scripts/demo --browser)');
  const result = await runDemo({ streams, bytes, onLive });
  demo.result = result;
  show(result);
  demo.state = 'done';
} catch (e) {
  demo.error = String(e?.stack || e);
  $('error').textContent = demo.error;
  demo.state = 'failed';
}
$('state').textContent = demo.state;
