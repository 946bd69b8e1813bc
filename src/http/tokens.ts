// Injection tokens of the drover Nest module. Nest runs without emitDecoratorMetadata, so every
// constructor parameter names its token with @Inject(...).
export const CONFIG = 'drover.config';
export const METRICS = 'drover.metrics';
export const LOGGER = 'drover.logger';
export const NOMAD = 'drover.nomad';
export const SOURCE = 'drover.source';
export const CONTROLLER = 'drover.controller';
export const CONSUL = 'drover.consul';
/** ConsulLeaderElector when DROVER_LEADER_ELECTION=consul, else null */
export const LEADER = 'drover.leader';
/** NodeRegistrar when DROVER_REGISTRAR=on, else null */
export const REGISTRAR = 'drover.registrar';
/** the Scheduler every timer goes through (NestScheduler in `drover run`) */
export const SCHEDULER = 'drover.scheduler';
