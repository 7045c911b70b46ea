// Checks what `npm pack` puts in the tarball (npm runs this after web/build.sh as "prepack"):
// it holds the LICENSE and every "exports" target, and every relative import and new
// URL(..., import.meta.url) of its JavaScript points at a file that is in it too (no import of
// an unbuilt file).
//   node web/scripts/check-package.mjs [package-dir]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8' });
const files = new Set(JSON.parse(out)[0].files.map((f) => f.path));
const problems = [];

const targets = (v) => (typeof v === 'string' ? [v] : Object.values(v).flatMap(targets));
for (const [key, v] of Object.entries(pkg.exports)) {
  for (const t of targets(v)) if (!files.has(t.replace(/^\.\//, ''))) problems.push(`exports["${key}"] -> ${t}: not in the tarball`);
}
// The license: prepack copies the repository's LICENSE here (one source of truth).
if (!files.has('LICENSE')) problems.push('LICENSE: not in the tarball (prepack copies ../LICENSE)');
for (const key of ['main', 'types']) {
  if (pkg[key] && !files.has(pkg[key].replace(/^\.\//, ''))) problems.push(`${key} -> ${pkg[key]}: not in the tarball`);
}

const SPEC = [
  /\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g, // static imports and re-exports
  /\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g, // dynamic imports
  /\bimport\s*['"](\.{1,2}\/[^'"]+)['"]/g, // side-effect imports
  /new URL\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g, // assets
];
for (const f of files) {
  if (!/\.(m?js|d\.ts)$/.test(f)) continue;
  // without comments (JSDoc types name modules: import('./x.js').T)
  const text = fs.readFileSync(path.join(dir, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const re of SPEC) {
    for (const m of text.matchAll(re)) {
      let target = path.posix.normalize(path.posix.join(path.posix.dirname(f), m[1]));
      if (f.endsWith('.d.ts') && target.endsWith('.js')) target = target.replace(/\.js$/, '.d.ts');
      if (!files.has(target)) problems.push(`${f}: '${m[1]}' -> ${target}: not in the tarball`);
    }
  }
}
if (problems.length) {
  console.error(`check-package: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-package: ${files.size} files; exports and relative imports resolve`);
