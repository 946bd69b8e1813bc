// Injection tokens of the web UI's providers (the rest of drover's are in ../tokens.ts).
/** the per-app event log (src/controller/history.ts) */
export const HISTORY = 'drover.history';
/** outgoing notifications (src/notify/); present even with no target configured (then it does nothing) */
export const NOTIFIER = 'drover.notifier';
