// The spec package: parse and validate App YAML given as {file, text}, against the CRD schema and drover's
// rules, and report every problem with file:line:col and field path. It reads no files: finding and reading
// them (a directory walk, a single file, the incremental loader of snapshots) is the source side's
// (src/source/spec-files.ts). Imports only core (types, duration, errors), never config: config imports spec.
import type { ClusterDefaults } from '../core/cluster-defaults.js';
import type { LoadResult } from './types.js';
import type { LoadLimits } from './limits.js';
import { SpecLoader } from './load.js';

export { DEFAULT_LIMITS, resolveLimits, type LoadLimits } from './limits.js';
export { SpecLoader, type FileEntry } from './load.js';
export { appJsonSchema } from './schema.js';
export * from './types.js';

/** Loads a set of spec files already read: the same result loadAppDir gives for files with these names and texts. */
export function loadAppTexts(files: { file: string; text: string }[], defaults: ClusterDefaults, limits?: Partial<LoadLimits>): LoadResult {
  const loader = new SpecLoader(defaults, limits);
  for (const f of files) loader.addText(f.file, f.text);
  return loader.finish();
}
