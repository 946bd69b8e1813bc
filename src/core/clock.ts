// Time comes in through this interface so tests can fake it (controller-runtime's habit).
export interface Clock {
  now(): number; // epoch milliseconds
}

export const systemClock: Clock = { now: () => Date.now() };
