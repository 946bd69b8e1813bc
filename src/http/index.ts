// The HTTP surface: thin controllers over ControllerApi, SnapshotSource and Metrics, plus the app-wide
// settings (JSON error filter, raw body kept for webhook signatures, body size limit).
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from '../core/logger.js';
import { AdminTokenGuard } from './admin.guard.js';
import { AppsController } from './apps.controller.js';
import { JsonExceptionFilter } from './errors.js';
import { HealthController } from './health.controller.js';
import { WebhookController } from './webhook.controller.js';

export const HTTP_CONTROLLERS = [HealthController, AppsController, WebhookController];
export const HTTP_PROVIDERS = [AdminTokenGuard];

/** Push payloads of big repositories reach several MB (GitHub caps them at 25 MB). */
export const BODY_LIMIT = '25mb';

/** Call on an app created with `{ rawBody: true, bodyParser: true }`. */
export function configureHttp(app: INestApplication, logger: Logger): void {
  const express = app as NestExpressApplication;
  express.useBodyParser('json', { limit: BODY_LIMIT });
  express.useBodyParser('urlencoded', { limit: BODY_LIMIT, extended: false });
  express.disable('x-powered-by');
  app.useGlobalFilters(new JsonExceptionFilter(logger));
}
