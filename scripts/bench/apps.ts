// Generated App YAML for the benchmark: five shapes in rotation (ingress, grpc, vault, weave, env) so
// parsing, validation and rendering see the same variety as a real app repository. Names, hosts and
// weave subnets are unique per index, so the set is valid as a whole (no cross-app conflicts).

const KINDS = ['ingress', 'grpc', 'vault', 'weave', 'env'] as const;

export function appName(i: number): string {
  return `app-${String(i).padStart(5, '0')}`;
}

/** One App document; `count` is what the latency samples change. */
export function appYaml(i: number, count = 1): string {
  const name = appName(i);
  const head = ['apiVersion: drover.io/v1alpha1', 'kind: App', 'metadata:', `  name: ${name}`, '  labels:', `    team: t${i % 17}`, 'spec:',
    `  image: ghcr.io/example/${name}:1.${i % 10}.0`, '  port: 8080', `  count: ${count}`];
  switch (KINDS[i % KINDS.length]) {
    case 'ingress':
      return [...head, '  ingress:', `    host: ${name}.example.com`, '  health:', '    type: http', '    path: /healthz', ''].join('\n');
    case 'grpc':
      return [...head, '  grpc:', '    port: 50051', `    host: grpc.${name}.example.com`, ''].join('\n');
    case 'vault':
      return [...head, '  vault:', '    role: shared-read', '    secrets:', `      - path: secret/data/${name}`, '        env:', '          TOKEN: token', ''].join('\n');
    case 'weave': {
      const n = Math.floor(i / KINDS.length);
      return [...head, '  weave:', `    subnet: 10.${32 + Math.floor(n / 256) % 16}.${n % 256}.0/24`, ''].join('\n');
    }
    default:
      return [...head, '  env:', `    APP_INDEX: "${i}"`, '    LOG_LEVEL: info', `    FEATURE_${i % 7}: "on"`, ''].join('\n');
  }
}

/** file name (relative to the app directory) → YAML, for `count` apps */
export function appFiles(count: number): { file: string; text: string }[] {
  return Array.from({ length: count }, (_, i) => ({ file: `${appName(i)}.yaml`, text: appYaml(i) }));
}

/** The Vault KV secrets the vault-kind apps among the first `count` read (drover checks they exist). */
export function vaultSecrets(count: number): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (let i = 0; i < count; i++) if (KINDS[i % KINDS.length] === 'vault') out[appName(i)] = { token: `bench-${i}` };
  return out;
}

/** `count` apps of the ingress shape whose services Nomad's own catalog carries (`spec.service.provider: nomad`). */
export function nomadProviderAppFiles(count: number): { file: string; text: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const text = appYaml(i * KINDS.length).replace('  health:\n', '  service:\n    provider: nomad\n  health:\n');
    return { file: `${appName(i * KINDS.length)}.yaml`, text };
  });
}
