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
  /**
   * A number that moves whenever any app's status, the app set or the revision may have changed
   * (src/controller/status-version.ts). GET /apps and GET /metrics are rendered again only when it moved.
   */
  statusVersion(): number;
}
