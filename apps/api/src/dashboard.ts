import type { Logger } from '@app/observability';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where `npm run build` puts the dashboard (apps/dashboard/build.ts), from this file in dist/apps/api/apps/api/src. */
const DASHBOARD_DIR = resolve(import.meta.dirname, '../../../../../dashboard');

/**
 * The dashboard's own files, and nothing else, may be loaded by its page: no inline script or style, no other
 * origin, no framing. The api's JSON answers need no such header; /docs (Swagger UI) keeps its inline scripts.
 */
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * Serves the dashboard at `/` (index.html, app.js, app.css). Its pages live in the URL's hash, so no path of the
 * api is shadowed; the files are public, every call they make to the api carries the signed-in token.
 */
export function serveDashboard(app: NestExpressApplication, logger: Logger): void {
  if (!existsSync(join(DASHBOARD_DIR, 'index.html'))) {
    logger.warn({ folder: DASHBOARD_DIR }, 'the dashboard is not built (npm run build builds it): / answers 404');
    return;
  }
  app.useStaticAssets(DASHBOARD_DIR, {
    index: 'index.html',
    setHeaders: (response) => {
      // The files keep their names from build to build: browsers check them again (ETag) rather than cache them.
      response.setHeader('Cache-Control', 'no-cache');
      response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
      response.setHeader('X-Content-Type-Options', 'nosniff');
      response.setHeader('Referrer-Policy', 'no-referrer');
    },
  });
}
