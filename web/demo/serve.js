// A static server for web/ with the headers that make a page cross-origin isolated
// (SharedArrayBuffer, Atomics.wait in workers): COOP same-origin, COEP require-corp.
// scripts/demo --browser runs it (web/demo/main.js); tests and benchmarks import serve().
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.cjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json',
  '.css': 'text/css',
};

/**
 * Serves `root` (default web/) on 127.0.0.1 (port 0: any free port). Resolves with {server,
 * url}, url naming `page`. With `isolated: false` the COOP/COEP headers are left out (a page
 * that is not cross-origin isolated: no SharedArrayBuffer; the JSPI backend's tests).
 * @param {number} [port]
 * @param {string} [root]
 * @param {string} [page]
 * @param {{isolated?: boolean}} [options]
 */
export function serve(port = 0, root = webDir, page = '/demo/index.html', { isolated = true } = {}) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const file = path.resolve(root, '.' + decodeURIComponent(url.pathname));
    const headers = isolated
      ? {
          'Cross-Origin-Opener-Policy': 'same-origin',
          'Cross-Origin-Embedder-Policy': 'require-corp',
          'Cross-Origin-Resource-Policy': 'same-origin',
          'Cache-Control': 'no-store',
        }
      : { 'Cache-Control': 'no-store' };
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    headers['Content-Type'] = MIME[path.extname(file)] || 'application/octet-stream';
    res.writeHead(200, headers);
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => {
      const { port: p } = server.address();
      resolve({ server, url: `http://127.0.0.1:${p}${page}` });
    }),
  );
}
