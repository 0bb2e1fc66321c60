import type { NextFunction, Request, Response } from 'express';
import { NotFound } from '../errors/domain-errors';

/** What the /docs page loads (Nest's generated page and initializer, Swagger UI's bundle, styles and icons). */
const DOCS_ASSETS = new Set([
  '/',
  '/index.html',
  '/swagger-ui-init.js',
  '/swagger-ui.css',
  '/index.css',
  '/swagger-ui-bundle.js',
  '/swagger-ui-standalone-preset.js',
  '/favicon-16x16.png',
  '/favicon-32x32.png',
  '/oauth2-redirect.html',
]);

export function docsAssetsOnly(req: Request, _res: Response, next: NextFunction): void {
  next(DOCS_ASSETS.has(req.path) ? undefined : new NotFound('documentation file'));
}
