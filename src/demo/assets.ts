/**
 * The page's static files (HTML, CSS, browser modules, icon), read once at start from `public/` and served from
 * memory under a fixed table of paths: nothing a request names is ever looked up on disk. `public/` sits next to this
 * file in the sources and is copied to `dist/demo/public` by the build, so `npx wsguard demo` finds it in an
 * installed package too.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Same-origin only, no inline script or style: the page has nothing to gain from more, and a demo of a security
 * library should not need `unsafe-inline`. `connect-src 'self'` covers the page's own WebSocket and EventSource.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
});

/** Where `public/` is: beside this file in the sources, under `demo/` beside the bundle in `dist`. */
function publicDir(): string {
  const candidates = [new URL('./public/', import.meta.url), new URL('./demo/public/', import.meta.url)];
  for (const candidate of candidates) {
    const dir = fileURLToPath(candidate);
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  throw new Error(`wsguard demo: page files not found (looked in ${candidates.map((c) => fileURLToPath(c)).join(', ')})`);
}

/** Every servable file under `public/`, by URL path: `/` for the page, `/assets/<path>` for the rest. */
export function loadAssets(): ReadonlyMap<string, Asset> {
  const dir = publicDir();
  const assets = new Map<string, Asset>();
  const visit = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const file = join(folder, entry.name);
      if (entry.isDirectory()) {
        visit(file);
        continue;
      }
      const contentType = CONTENT_TYPES[entry.name.slice(entry.name.lastIndexOf('.'))];
      if (!entry.isFile() || contentType === undefined) continue;
      const path = relative(dir, file).split(sep).join('/');
      assets.set(path === 'index.html' ? '/' : `/assets/${path}`, { body: readFileSync(file), contentType });
    }
  };
  visit(dir);
  return assets;
}
