// What the HTTP surface and the CLI may ask of the running controller.
import type { AppStatus } from '../core/status.js';

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  reason?: string;
}

/**
 * What POST /apps/:ns/:name/promote came to: 202 promoted; 404 unknown app or nothing waiting for promotion;
 * 409 not the leader, or refused (canaries not placed or not healthy yet, a job drover does not own, Nomad's
 * own refusal); 503 Nomad could not be asked.
 */
export type PromoteResult =
  | { outcome: 'promoted'; app: string; deployment: string; jobVersion?: number; groups: string[] }
  | { outcome: 'unknown-app' | 'nothing-to-promote' | 'not-leader' | 'refused' | 'unavailable'; message: string };

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
  /** promote every canary of the app's running deployment (src/controller/promote.ts) */
  promote(namespace: string, name: string): Promise<PromoteResult>;
  /**
   * A number that moves whenever any app's status, the app set or the revision may have changed
   * (src/controller/status-version.ts). GET /apps and GET /metrics are rendered again only when it moved.
   */
  statusVersion(): number;
}
