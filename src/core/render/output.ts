// How rendered jobs are printed (drover render, golden files): the register body `{"Job": ...}`,
// pretty with 2 spaces; several apps as a JSON array of such bodies. Ends with a newline.
import type { NomadJob } from '../nomad-types.js';

export function formatJobs(jobs: NomadJob[]): string {
  const bodies = jobs.map((Job) => ({ Job }));
  return `${JSON.stringify(bodies.length === 1 ? bodies[0] : bodies, null, 2)}\n`;
}
