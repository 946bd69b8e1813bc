// Finds the spec files under a directory: every *.yaml / *.yml, recursively, in a stable order. Skips
// dot-directories (.git), never follows a symlink out of the root, does not follow symlinked directories
// (no loops), and stops loading after limits.maxFiles files.
import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface WalkResult {
  /** spec files to load, relative to root with forward slashes */
  files: string[];
  /** spec files seen beyond the limit: not loaded, so they count as broken */
  overflow: string[];
  notes: Array<{ file: string; message: string; severity: 'error' | 'warning' }>;
}

const SPEC_FILE = /\.ya?ml$/i;

export async function walkSpecDir(root: string, maxFiles: number): Promise<WalkResult> {
  const out: WalkResult = { files: [], overflow: [], notes: [] };
  const hardCap = maxFiles * 10;
  const rel = (p: string) => relative(root, p).split(sep).join('/');
  const dirs = [root];
  while (dirs.length > 0) {
    const dir = dirs.shift()!;
    let entries: Dirent[];
    try {
      // With file types: a plain file or directory costs no stat; only symlinks and unknown types are looked at.
      entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (e) {
      out.notes.push({ file: rel(dir) || '.', message: `cannot read directory: ${errCode(e)}`, severity: 'error' });
      continue;
    }
    const sub: string[] = [];
    for (const entry of entries) {
      const name = entry.name;
      if (name.startsWith('.')) continue;
      const abs = join(dir, name);
      const kind = entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : await kindOf(root, abs);
      if (kind === 'dir') sub.push(abs);
      else if (kind === 'outside') out.notes.push({ file: rel(abs), message: 'skipped: symlink points outside the spec directory', severity: 'warning' });
      else if (kind === 'linked-dir') out.notes.push({ file: rel(abs), message: 'skipped: symlinked directories are not followed', severity: 'warning' });
      else if (kind === 'file' && SPEC_FILE.test(name)) {
        if (out.files.length < maxFiles) out.files.push(rel(abs));
        else if (out.files.length + out.overflow.length < hardCap) out.overflow.push(rel(abs));
        else return out;
      }
    }
    dirs.unshift(...sub);
  }
  return out;
}

async function kindOf(root: string, abs: string): Promise<'dir' | 'file' | 'outside' | 'linked-dir' | 'other'> {
  try {
    const st = await lstat(abs);
    if (st.isDirectory()) return 'dir';
    if (st.isFile()) return 'file';
    if (!st.isSymbolicLink()) return 'other';
    const target = await realpath(abs);
    if (target !== root && !target.startsWith(root + sep)) return 'outside';
    return (await stat(target)).isDirectory() ? 'linked-dir' : 'file';
  } catch {
    return 'other'; // dangling link or vanished entry: nothing to load
  }
}

export function errCode(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
}
