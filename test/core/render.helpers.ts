// Test helpers for the renderer: cluster defaults for tests, and YAML → LoadedApp through the real
// loader (src/spec loadAppTexts), so every fixture is also a valid App by drover's own rules.
import type { ClusterDefaults } from '../../src/config.js';
import { loadAppTexts } from '../../src/spec/index.js';
import type { LoadedApp } from '../../src/spec/types.js';

/** Seed defaults (DESIGN.md): prefix traefik, entrypoints web/grpc (TLS: websecure), DNS 169.254.1.1, owner drover. */
export const TEST_DEFAULTS: ClusterDefaults = Object.freeze({
  datacenters: ['dc1'],
  namespace: 'default',
  serviceProvider: 'consul',
  traefikPrefix: 'traefik',
  httpEntrypoints: ['web'],
  httpsEntrypoints: ['websecure'],
  grpcEntrypoint: 'grpc',
  weaveRange: '10.32.0.0/12',
  dnsServers: ['169.254.1.1'],
  dockerDnsServers: [],
  extraEnv: {},
  allowedDrivers: ['docker', 'pot', 'exec'],
  owner: 'drover',
}) as ClusterDefaults;

/** A fixture may override defaults with a comment line: `# test-defaults: {"extraEnv": {...}}`. */
export function fixtureDefaults(text: string, base: ClusterDefaults = TEST_DEFAULTS): ClusterDefaults {
  const m = /^# test-defaults: (.*)$/m.exec(text);
  return m ? { ...base, ...(JSON.parse(m[1]!) as Partial<ClusterDefaults>) } : base;
}

/** Loads every app of one YAML file; fails loudly when the loader reports an error. */
export async function loadApps(file: string, text: string, defaults: ClusterDefaults): Promise<LoadedApp[]> {
  const result = loadAppTexts([{ file, text }], defaults);
  const errors = result.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`${file} is invalid:\n${errors.map((p) => `${p.file}:${p.line}:${p.col} ${p.path}: ${p.message}`).join('\n')}`);
  }
  return result.apps;
}
