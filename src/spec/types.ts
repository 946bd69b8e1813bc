// The App spec's TypeScript types live in core (src/core/app-spec.ts), which renders from them and imports
// nothing from spec; they are re-exported here for the spec package's users.
export * from '../core/app-spec.js';
