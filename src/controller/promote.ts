// The promote action (POST /apps/:ns/:name/promote, `drover promote <ns>/<app>`): a person lets the canaries
// of an app's running deployment take over. Level-based like every pass: the job and its latest deployment
// are read afresh, checked (promotionTarget, pure), and only then is the deployment promoted, all canaries at
// once — the one group drover renders. Nomad decides whether the canaries are healthy enough; its refusal
// is passed on in its own words. Facts: command/agent/deployment_endpoint.go (body DeploymentID must match the
// path), nomad/deployment_endpoint.go (submit-job or promote-deployment capability; terminal deployments are
// refused), nomad/state/state_store.go UpdateDeploymentPromotion ("Task group %q has %d/%d healthy allocations"),
// nomad/structs/deployment.go (Active, HasPlacedCanaries, RequiresPromotion).
// Must not import: node:http, @nestjs/*.
import type { NomadApi } from '../clients/types.js';
import { isOurs, META_OWNER } from '../core/decide.js';
import { toDroverError, type DroverError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Deployment, DeploymentTG, NomadJob } from '../core/nomad-types.js';
import type { PromoteResult } from './types.js';

/** The canary fields of a deployment's group state (nomad/structs/deployment.go DeploymentState). */
type CanaryState = DeploymentTG & { DesiredCanaries?: number; PlacedCanaries?: string[] | null; Promoted?: boolean };

export type PromotionCheck =
  | { ok: true; deployment: Deployment; groups: string[] }
  | { ok: false; outcome: 'nothing-to-promote' | 'refused'; message: string };

/** Whether the app's latest deployment waits for promotion, and which groups it would promote. Pure. */
export function promotionTarget(key: string, job: NomadJob | null, deployment: Deployment | null, owner: string): PromotionCheck {
  const none = (message: string): PromotionCheck => ({ ok: false, outcome: 'nothing-to-promote', message });
  if (!job) return none(`app ${key} has no job in Nomad`);
  if (!isOurs(job.Meta, owner)) {
    const theirs = job.Meta?.[META_OWNER];
    return { ok: false, outcome: 'refused', message: `job ${job.ID} is not managed by drover owner "${owner}"${theirs ? ` (its owner is "${theirs}")` : ''}; drover never acts on it` };
  }
  if (job.Stop) return none(`job ${job.ID} is stopped`);
  if (!deployment) return none(`app ${key} has no deployment`);
  const short = deployment.ID.slice(0, 8);
  if (typeof job.Version === 'number' && deployment.JobVersion !== job.Version) {
    return none(`the latest deployment ${short} is for job version ${deployment.JobVersion}, but the job is at version ${job.Version}`);
  }
  if (deployment.Status !== 'running') {
    return none(`the latest deployment ${short} (job version ${deployment.JobVersion}) is ${deployment.Status}${deployment.StatusDescription ? `: ${deployment.StatusDescription}` : ''}`);
  }
  const waiting = Object.entries(deployment.TaskGroups ?? {})
    .map(([name, tg]) => [name, tg as CanaryState] as const)
    .filter(([, tg]) => (tg.DesiredCanaries ?? 0) > 0 && tg.Promoted !== true)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (waiting.length === 0) return none(`deployment ${short} (job version ${deployment.JobVersion}) has no canaries waiting for promotion`);
  const unplaced = waiting.filter(([, tg]) => (tg.PlacedCanaries?.length ?? 0) < (tg.DesiredCanaries ?? 0));
  if (unplaced.length > 0) {
    const what = unplaced.map(([name, tg]) => `${name} ${tg.PlacedCanaries?.length ?? 0}/${tg.DesiredCanaries}`).join(', ');
    return { ok: false, outcome: 'refused', message: `deployment ${short} is still placing its canaries (${what} placed); promote once they are healthy` };
  }
  return { ok: true, deployment, groups: waiting.map(([name]) => name) };
}

export interface PromoteDeps {
  nomad: NomadApi;
  /** DROVER_OWNER: only jobs drover owns are acted on */
  owner: string;
  /** the write guard (leader election), asked before and right before the write */
  canWrite: () => boolean;
  logger: Logger;
}

/** Reads the app's job and latest deployment, checks them, and promotes. Never throws. */
export async function promoteApp(deps: PromoteDeps, app: { namespace: string; name: string; known: boolean }): Promise<PromoteResult> {
  const key = `${app.namespace}/${app.name}`;
  if (!app.known) return { outcome: 'unknown-app', message: `app ${key} is not known` };
  if (!deps.canWrite()) return notLeader();
  let job: NomadJob | null;
  let deployment: Deployment | null;
  try {
    [job, deployment] = await Promise.all([
      deps.nomad.readJob(app.name, { namespace: app.namespace }).then((r) => r.value),
      deps.nomad.jobDeployment(app.name, { namespace: app.namespace }).then((r) => r.value),
    ]);
  } catch (e) {
    return { outcome: 'unavailable', message: `cannot read ${key} from Nomad: ${toDroverError(e).message}` };
  }
  const check = promotionTarget(key, job, deployment, deps.owner);
  if (!check.ok) return { outcome: check.outcome, message: check.message };
  if (!deps.canWrite()) return notLeader();
  const id = check.deployment.ID;
  try {
    await deps.nomad.promoteDeployment(id, { namespace: app.namespace });
  } catch (e) {
    const err = toDroverError(e);
    deps.logger.warn('promotion refused or failed', { app: key, deployment: id, code: err.code, error: err.message });
    return refusal(err);
  }
  deps.logger.info('deployment promoted', { app: key, deployment: id, jobVersion: check.deployment.JobVersion, groups: check.groups });
  return { outcome: 'promoted', app: key, deployment: id, jobVersion: check.deployment.JobVersion, groups: check.groups };
}

function notLeader(): PromoteResult {
  return { outcome: 'not-leader', message: 'this instance is not the leader; promote on the leader (see GET /apps leader)' };
}

/** Nomad's answers that are a "no" about this deployment, not a fault (see the file comment for where they come from). */
const NOMAD_REFUSAL = /healthy allocations|terminal|does not exist|deployment not found|does not match/i;

function refusal(err: DroverError): PromoteResult {
  if (err.code === 'unauthorized') return { outcome: 'refused', message: `Nomad refused drover's token: it needs the submit-job or promote-deployment capability (${err.message})` };
  if (err.code === 'not-leader') return notLeader();
  if ((err.code === 'server-error' || err.code === 'rejected') && NOMAD_REFUSAL.test(err.message)) {
    return { outcome: 'refused', message: `Nomad refused the promotion: ${nomadText(err.message)}` };
  }
  return { outcome: 'unavailable', message: err.message };
}

/** The server's own text out of `nomad POST /v1/...: 500 1 error occurred:\n\t* …`, on one line. */
function nomadText(message: string): string {
  return message
    .replace(/^nomad \S+ \S+: (?:\d{3} )?/, '')
    .replace(/\d+ errors? occurred:/, '')
    .replace(/\s*\*\s+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
