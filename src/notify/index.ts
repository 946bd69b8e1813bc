// src/notify — outgoing notifications (generic JSON webhook and Slack incoming webhook) on chosen
// history events. Reads the history log (src/controller/history.ts); must not import the controller,
// Nest or the Nomad/Consul clients. The target URLs are secrets.
export { parseNotifyConfig, type NotifyConfig, type NotifyForm, type NotifyKind, type NotifyTarget } from './config.js';
export { buildPayload, genericPayload, slackPayload, scrub, type GenericPayload } from './payload.js';
export { Notifier, type NotifierOptions } from './notifier.js';
