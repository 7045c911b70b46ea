// Headless Debian Chromium through playwright-core (no browser download), with the flags
// TOOLCHAIN.md lists. Resolves with null when either is missing (the caller skips).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launches Chromium with a fresh profile: {context, close()} or null. */
export async function launch() {
  if (!fs.existsSync(CHROMIUM)) return null;
  let pw;
  try {
    pw = await import('playwright-core');
  } catch {
    return null;
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'yamux-chromium-'));
  const context = await pw.chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** For a test: Chromium and the demo server (COOP/COEP unless `isolated` is false), both
 * closed after the test. Resolves with {page, url}, or null when Chromium or playwright-core
 * is missing (the caller skips). */
export async function servedPage(t, { isolated = true } = {}) {
  const browser = await launch();
  if (!browser) return null;
  const { serve } = await import('../demo/serve.js');
  const { server, url } = await serve(0, undefined, undefined, { isolated });
  t.after(async () => {
    await browser.close();
    server.close();
  });
  return { page: await browser.context.newPage(), url };
}

/** Polls `fn` in the page until it returns a truthy value (the page's workers stay busy, so
 * this polls from Node rather than waitForFunction). */
export async function pollPage(page, fn, arg, everyMs = 100) {
  for (;;) {
    const v = await page.evaluate(fn, arg);
    if (v) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
