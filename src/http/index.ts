// The HTTP surface: thin controllers over ControllerApi, SnapshotSource and Metrics, plus the app-wide
// settings (JSON error filter; no body parser: the webhook reads and verifies its own body).
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from '../core/logger.js';
import { AdminTokenGuard } from './admin.guard.js';
import { AppsController, PrunesController } from './apps.controller.js';
import { JsonExceptionFilter } from './errors.js';
import { HealthController } from './health.controller.js';
import { WebhookController } from './webhook.controller.js';

export const HTTP_CONTROLLERS = [HealthController, AppsController, PrunesController, WebhookController];
export const HTTP_PROVIDERS = [AdminTokenGuard];

/**
 * Call on an app created with `{ bodyParser: false }`: no route parses a body before its handler has
 * authenticated the request, and only the webhook reads one (webhook.controller.ts, with its limits).
 */
export function configureHttp(app: INestApplication, logger: Logger): void {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  app.useGlobalFilters(new JsonExceptionFilter(logger));
}
