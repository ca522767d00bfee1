import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where `npm run build` puts the console, next to the built API (dist/apps/console). */
export const CONSOLE_DIR = join(__dirname, '..', '..', '..', 'console');
export const CONSOLE_PATH = '/console/';

/**
 * The console's static files under /console/ when they were built: public (it signs in with a journy token
 * of its own, kept in the browser's session only), never framed, no inline scripts, calls to this origin only.
 */
export function serveConsole(app: NestExpressApplication, dir = CONSOLE_DIR): void {
  if (!existsSync(join(dir, 'app.js'))) return;
  app.use('/console', (request: Request, response: Response, next: NextFunction) => {
    if (request.originalUrl === '/console') return response.redirect(301, CONSOLE_PATH);
    next();
  });
  app.useStaticAssets(dir, {
    prefix: CONSOLE_PATH,
    index: 'index.html',
    fallthrough: true,
    setHeaders: (response) => {
      response.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
      response.setHeader('X-Content-Type-Options', 'nosniff');
      response.setHeader('Referrer-Policy', 'no-referrer');
      response.setHeader('Cache-Control', 'no-cache');
    },
  });
}
