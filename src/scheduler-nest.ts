// The Scheduler `drover run` uses: Node's timers (src/scheduler.ts), each one registered under a unique
// name (`<what>#<n>`, e.g. `git-poll#3`) in @nestjs/schedule's SchedulerRegistry — resync, gauge refresh,
// git poll, queue backoff, leader renewal, event-stream reconnect, registrar passes — so the registry
// lists what is pending and ScheduleModule clears whatever is left when the app closes.
import { Inject, Injectable, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { NodeScheduler, type TimerRegistry } from './scheduler.js';

@Injectable()
export class NestScheduler extends NodeScheduler {
  constructor(@Optional() @Inject(SchedulerRegistry) registry?: SchedulerRegistry) {
    super(registry as TimerRegistry | undefined);
  }
}
