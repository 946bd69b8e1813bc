// The leadership contract the controller depends on (Consul lock or the single-instance stand-in).
export interface Leadership {
  /** false when leader election is off (this instance always writes) */
  readonly enabled: boolean;
  start(): void;
  /** steps down at once, then releases the lock (`release: false`: destroys the session only, so lock-delay applies) */
  stop(opts?: { release?: boolean }): Promise<void>;
  isLeader(): boolean;
  /** call right before every Nomad write; false from the moment another instance could lead */
  canWrite(): boolean;
  /** the holder's instance id as last seen */
  leaderId(): string | undefined;
  /** returns an unsubscribe function */
  onChange(cb: (leader: boolean) => void): () => void;
}
