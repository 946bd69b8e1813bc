// Time comes in through this interface so tests can fake it (controller-runtime's habit). The real clock is
// systemClock in src/scheduler.ts: core declares the interface and reads no clock itself.
export interface Clock {
  now(): number; // epoch milliseconds
}
