/**
 * The demo storefront at `/`: the static files of public/, the Parse JS SDK from this project's own
 * node_modules (the page must work with no internet), and the page's settings, public ones only.
 */
import path from 'node:path';
import express, { type Response } from 'express';
import { PROJECT_ROOT, type ShopConfig } from '../../parse-config';

export const STOREFRONT_DIR = path.join(PROJECT_ROOT, 'public');

/** What the page needs to talk to the API: never a key beyond the application id, which every client sends. */
export function storefrontSettings(config: ShopConfig) {
  return {
    appId: config.appId,
    mountPath: config.mountPath,
    // Unset: the page talks to the origin it was served from, which works behind any proxy or port.
    serverURL: config.publicServerURL ?? null,
  };
}

/** Origins the page may connect to besides its own: the public server URL, over HTTP and WebSocket. */
function connectSources(config: ShopConfig): string {
  if (!config.publicServerURL) return "'self'";
  const origin = new URL(config.publicServerURL).origin;
  return `'self' ${origin} ${origin.replace(/^http/, 'ws')}`;
}

function secure(res: Response, connectSrc: string): void {
  // No inline script or style anywhere in the page, so the policy can forbid them; product images are any https URL.
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src ${connectSrc}; ` +
      "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

/** GET-only routes for `/`, `/app.js`, `/style.css`, `/storefront-config.js` and `/vendor/parse.min.js`; anything else falls through. */
export function storefront(config: ShopConfig): express.Router {
  const router = express.Router();
  const connectSrc = connectSources(config);
  const script = `window.STOREFRONT = ${JSON.stringify(storefrontSettings(config))};\n`;
  const sdk = require.resolve('parse/dist/parse.min.js');

  router.get('/storefront-config.js', (_req, res) => {
    secure(res, connectSrc);
    res.type('application/javascript').setHeader('Cache-Control', 'no-cache');
    res.send(script);
  });
  router.get('/vendor/parse.min.js', (_req, res) => {
    secure(res, connectSrc);
    res.sendFile(sdk, { maxAge: '1h' });
  });
  router.use(
    express.static(STOREFRONT_DIR, {
      index: 'index.html',
      dotfiles: 'ignore',
      redirect: false,
      fallthrough: true,
      setHeaders: (res) => secure(res, connectSrc),
    }),
  );
  return router;
}
