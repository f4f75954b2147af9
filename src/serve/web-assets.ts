import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The web page's files, read once at start: the page itself (src/serve/web, plain ES modules,
 * no build step) and its front-end libraries (Preact and htm) straight from node_modules, so
 * the page needs no CDN.
 */
export interface Asset {
  route: string;
  type: string;
  body: Buffer;
}

const WEB = new URL('../../../src/serve/web/', import.meta.url);
const JS = 'text/javascript; charset=utf-8';

export function webAssets(): Asset[] {
  const page = (route: string, file: string, type: string): Asset => ({
    route,
    type,
    body: readFileSync(new URL(file, WEB)),
  });
  const vendor = (route: string, specifier: string): Asset => ({
    route,
    type: JS,
    body: readFileSync(fileURLToPath(import.meta.resolve(specifier))),
  });
  return [
    page('/', 'index.html', 'text/html; charset=utf-8'),
    page('/web/app.js', 'app.js', JS),
    page('/web/style.css', 'style.css', 'text/css; charset=utf-8'),
    vendor('/vendor/preact.mjs', 'preact'),
    vendor('/vendor/hooks.mjs', 'preact/hooks'),
    vendor('/vendor/htm.mjs', 'htm'),
  ];
}
