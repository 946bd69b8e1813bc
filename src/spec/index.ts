// The spec package: load App YAML files (from a directory or from memory), validate them against the CRD
// schema and drover's rules, and report every problem with file:line:col and field path.
// Imports only config types, core/duration and core/errors; no other I/O than reading the spec directory.
import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ClusterDefaults } from '../config.js';
import { DroverError } from '../core/errors.js';
import type { LoadResult } from './types.js';
import type { LoadLimits } from './limits.js';
import { SpecLoader } from './load.js';
import { errCode, walkSpecDir } from './walk.js';

export { DEFAULT_LIMITS, type LoadLimits } from './limits.js';
export { appJsonSchema } from './schema.js';
export * from './types.js';

/** Loads every *.yaml / *.yml under `dir`. Throws DroverError('invalid-spec') only when `dir` itself cannot be read. */
export async function loadAppDir(dir: string, defaults: ClusterDefaults, limits?: Partial<LoadLimits>): Promise<LoadResult> {
  const root = await realDir(dir);
  const loader = new SpecLoader(defaults, limits);
  const walked = await walkSpecDir(root, loader.limits.maxFiles);
  for (const n of walked.notes) loader.fileProblem(n.file, n.message, { broken: false, severity: n.severity });
  if (walked.overflow.length > 0) {
    loader.fileProblem(walked.overflow[0]!, `more than ${loader.limits.maxFiles} spec files; this file and the rest were not loaded`, { broken: true });
    for (const f of walked.overflow) loader.markBroken(f);
  }
  for (const file of walked.files) await addFile(loader, join(root, file), file);
  return loader.finish();
}

/** Loads one file; problems name it by its base name. */
export async function loadAppFile(path: string, defaults: ClusterDefaults, limits?: Partial<LoadLimits>): Promise<LoadResult> {
  await realDir(dirname(path));
  const loader = new SpecLoader(defaults, limits);
  await addFile(loader, path, basename(path));
  return loader.finish();
}

/** The same as loadAppDir, in memory and synchronous (benchmarks, tests, snapshots already read). */
export function loadAppTexts(files: { file: string; text: string }[], defaults: ClusterDefaults, limits?: Partial<LoadLimits>): LoadResult {
  const loader = new SpecLoader(defaults, limits);
  for (const f of files) loader.addText(f.file, f.text);
  return loader.finish();
}

async function addFile(loader: SpecLoader, abs: string, file: string): Promise<void> {
  try {
    const st = await stat(abs);
    if (st.size > loader.limits.maxFileBytes) {
      loader.fileProblem(file, `file is ${st.size} bytes; the limit is ${loader.limits.maxFileBytes}`, { broken: true });
      return;
    }
    loader.addText(file, await readFile(abs, 'utf8'));
  } catch (e) {
    loader.fileProblem(file, `cannot read file: ${errCode(e)}`, { broken: true });
  }
}

async function realDir(dir: string): Promise<string> {
  try {
    return await realpath(dir);
  } catch (e) {
    throw new DroverError('invalid-spec', `cannot read spec directory ${dir}: ${errCode(e)}`);
  }
}
