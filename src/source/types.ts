// What the git source hands the controller: one commit's tree, read atomically.

export interface Snapshot {
  /** full commit SHA */
  revision: string;
  /** a directory holding the tree of DROVER_GIT_PATH at `revision`; never modified after it is handed out */
  dir: string;
  /** epoch ms */
  fetchedAt: number;
}

export interface SourceState {
  /** the last good snapshot (kept when a later fetch fails) */
  snapshot?: Snapshot;
  lastError?: { message: string; at: number };
  lastSuccessAt?: number;
}

export interface SnapshotSource {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** fetch now (webhook); resolves once the fetch finished (success or failure, both reported in state()) */
  refresh(): Promise<void>;
  state(): SourceState;
  /** called after every fetch that produced a new revision */
  onSnapshot(listener: (s: Snapshot) => void): void;
  /** true when `revision` descends from (or is) `ancestor`; a revision unknown to the source is not a descendant */
  isAncestor?(ancestor: string, revision: string): Promise<boolean>;
}
