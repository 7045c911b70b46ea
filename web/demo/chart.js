// Charts as SVG text (no DOM, no library): the demo page's live throughput line and the
// benchmark's bar chart (bench/bench_web.mjs writes it for the README).

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** A "nice" upper bound for an axis (1, 2 or 5 times a power of ten). */
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((x) => x >= v);
}

/**
 * A line chart of throughput over time: `samples` are {t (seconds), mbps}.
 * @param {{t: number, mbps: number}[]} samples
 * @param {{width?: number, height?: number, label?: string}} [o]
 * @returns {string} an <svg> element
 */
export function lineChartSvg(samples, { width = 640, height = 200, label = 'MB/s' } = {}) {
  const pad = { l: 56, r: 12, t: 12, b: 28 };
  const w = width - pad.l - pad.r, h = height - pad.t - pad.b;
  const tMax = Math.max(1, ...samples.map((s) => s.t));
  const yMax = niceMax(Math.max(0, ...samples.map((s) => s.mbps)));
  const x = (t) => pad.l + (t / tMax) * w, y = (v) => pad.t + h - (v / yMax) * h;
  const pts = samples.map((s) => `${x(s.t).toFixed(1)},${y(s.mbps).toFixed(1)}`).join(' ');
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) =>
    `<line x1="${pad.l}" x2="${pad.l + w}" y1="${y(f * yMax)}" y2="${y(f * yMax)}" stroke="#ddd"/>` +
    `<text x="${pad.l - 6}" y="${y(f * yMax) + 4}" text-anchor="end">${Math.round(f * yMax)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">` +
    `${grid}<text x="${pad.l + w}" y="${height - 8}" text-anchor="end">${tMax.toFixed(1)} s</text>` +
    `<text x="${pad.l}" y="${height - 8}">0 s</text><text x="${pad.l + w / 2}" y="${height - 8}" text-anchor="middle">${esc(label)}</text>` +
    `<polyline fill="none" stroke="#1565c0" stroke-width="2" points="${pts}"/></svg>`;
}

/**
 * A grouped bar chart of the benchmark: one group per (env, streams), one bar per direction,
 * the ceiling of each env as a dashed line.
 * @param {{env: string, streams: number, dir: string, mbps: number, ceiling: number}[]} rows
 * @param {{title?: string}} [o]
 * @returns {string} a standalone SVG document
 */
export function benchChartSvg(rows, { title = 'yamux between two workers: one-way MB/s' } = {}) {
  const dirs = [...new Set(rows.map((r) => r.dir))];
  const groups = [...new Map(rows.map((r) => [`${r.env} ${r.streams}`, { env: r.env, streams: r.streams }])).values()];
  const colors = ['#1565c0', '#ef6c00', '#2e7d32', '#6a1b9a'];
  const bw = 26, pad = { l: 56, r: 16, t: 52, b: 52 };
  const gw = dirs.length * bw;
  const width = Math.max(640, pad.l + pad.r + groups.length * (gw + 18)), height = 320;
  const gap = (width - pad.l - pad.r) / groups.length - gw;
  const h = height - pad.t - pad.b;
  const yMax = niceMax(Math.max(...rows.map((r) => Math.max(r.mbps, r.ceiling ?? 0))));
  const y = (v) => pad.t + h - (v / yMax) * h;
  let out = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">` +
    `<rect width="100%" height="100%" fill="#fff"/><text x="${pad.l}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`;
  for (const f of [0, 0.25, 0.5, 0.75, 1])
    out += `<line x1="${pad.l}" x2="${width - pad.r}" y1="${y(f * yMax)}" y2="${y(f * yMax)}" stroke="#e0e0e0"/>` +
      `<text x="${pad.l - 6}" y="${y(f * yMax) + 4}" text-anchor="end">${Math.round(f * yMax)}</text>`;
  groups.forEach((g, gi) => {
    const x0 = pad.l + gap / 2 + gi * (gw + gap);
    dirs.forEach((d, di) => {
      const r = rows.find((q) => q.env === g.env && q.streams === g.streams && q.dir === d);
      if (!r) return;
      out += `<rect x="${x0 + di * bw}" y="${y(r.mbps).toFixed(1)}" width="${bw - 2}" height="${(pad.t + h - y(r.mbps)).toFixed(1)}" fill="${colors[di % colors.length]}"><title>${esc(`${g.env}, ${g.streams} streams, ${d}: ${r.mbps.toFixed(0)} MB/s`)}</title></rect>`;
    });
    const ceiling = rows.find((q) => q.env === g.env)?.ceiling;
    if (ceiling) out += `<line x1="${x0 - 4}" x2="${x0 + gw + 2}" y1="${y(ceiling)}" y2="${y(ceiling)}" stroke="#c62828" stroke-dasharray="4 3"/>`;
    out += `<text x="${x0 + gw / 2}" y="${pad.t + h + 14}" text-anchor="middle">${g.streams}</text>` +
      `<text x="${x0 + gw / 2}" y="${pad.t + h + 28}" text-anchor="middle">${esc(g.env)}</text>`;
  });
  out += `<text x="${pad.l}" y="${height - 6}">streams, environment</text>`;
  dirs.forEach((d, di) => {
    const lx = pad.l + di * 120;
    out += `<rect x="${lx}" y="28" width="10" height="10" fill="${colors[di % colors.length]}"/><text x="${lx + 14}" y="37">${esc(d)}</text>`;
  });
  const cx = pad.l + dirs.length * 120;
  out += `<line x1="${cx}" x2="${cx + 16}" y1="33" y2="33" stroke="#c62828" stroke-dasharray="4 3"/><text x="${cx + 20}" y="37">plain-JS ring copy, same run (ceiling)</text>`;
  return `${out}</svg>\n`;
}
