// Limits that keep a hostile or broken spec repository from hurting the process. Each breach becomes one
// problem for the file (or the walk), never an exception.

export interface LoadLimits {
  /** Largest spec file read, in bytes (checked with stat before reading). */
  maxFileBytes: number;
  /** Most YAML documents in one file. */
  maxDocumentsPerFile: number;
  /** Most alias expansions while turning one document into data (stops "billion laughs"). */
  maxAliasCount: number;
  /** Deepest nesting of mappings/sequences in one document. */
  maxDepth: number;
  /** Most YAML files loaded in one directory walk. */
  maxFiles: number;
}

export const DEFAULT_LIMITS: Readonly<LoadLimits> = Object.freeze({
  maxFileBytes: 1024 * 1024,
  maxDocumentsPerFile: 100,
  maxAliasCount: 100,
  maxDepth: 32,
  maxFiles: 10_000,
});

export function resolveLimits(limits?: Partial<LoadLimits>): LoadLimits {
  return { ...DEFAULT_LIMITS, ...(limits ?? {}) };
}
