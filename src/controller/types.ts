// What the HTTP surface and the CLI may ask of the running controller.
import type { AppStatus } from '../core/status.js';

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  reason?: string;
}

export interface ControllerApi {
  /** every app known from the snapshot, plus managed jobs pending prune, sorted by namespace/name */
  listApps(): AppStatus[];
  getApp(namespace: string, name: string): AppStatus | undefined;
  /** queue an immediate reconcile; false when the app is unknown */
  requestSync(namespace: string, name: string): boolean;
  readiness(): ReadinessCheck[];
  /** leader identity when leader election is on */
  leader(): { enabled: boolean; isLeader: boolean; id?: string };
  revision(): string | undefined;
  /** files of the current snapshot that failed to load at all */
  brokenFiles(): { file: string; line: number; reason: string }[];
  /** managed jobs no app declares whose stop is held */
  heldPrunes(): AppStatus[];
  /** approve one held prune (recorded in the prune ledger, carried out by the next pass) */
  approvePrune(namespace: string, name: string): Promise<'approved' | 'not-held' | 'not-leader' | 'unavailable'>;
}
