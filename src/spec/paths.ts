// Field paths: turns a path such as ['spec','vault','secrets',0,'env','DB_PASS'] into the printed form
// `spec.vault.secrets[0].env.DB_PASS`. Where a path sits in the YAML source is yaml.ts's business.

export type Seg = string | number;

/** Which node a problem points at: the value, the key of the last segment, or the mapping holding it. */
export type Anchor = 'value' | 'key' | 'parent';

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatPath(segs: readonly Seg[]): string {
  let out = '';
  for (const s of segs) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (PLAIN_KEY.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}
