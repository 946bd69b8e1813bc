// src/http/ui — the web UI served by drover on its own listener: static files (static.controller.ts,
// assets.ts), live updates over server-sent events (events.controller.ts) and the JSON the app page
// needs beyond /apps (api.controller.ts, detail.ts). Read-only: the actions the UI offers are drover's
// existing admin endpoints (POST /apps/:ns/:name/sync, …), called by the browser with the admin token.
import { UiApiController } from './api.controller.js';
import { UiEventsController } from './events.controller.js';
import { UiStaticController } from './static.controller.js';

export const UI_CONTROLLERS = [UiApiController, UiEventsController, UiStaticController];
export { HISTORY, NOTIFIER } from './tokens.js';
