// drover's rules for metadata.namespace and metadata.labels. Kubernetes forbids a CRD from restating
// ObjectMeta beyond `name`, so crds/app.yaml cannot carry these; schema.ts merges them into the schema
// drover validates with and prints. Label keys are checked in rules.ts (a structural schema has no propertyNames).

export const METADATA_EXTRA_PROPERTIES = {
  namespace: {
    type: 'string',
    description:
      'Nomad namespace of the job. A DNS-1123 label, at most 63 characters. Default from cluster config (DROVER_NAMESPACE, `default`).',
    minLength: 1,
    maxLength: 63,
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
  },
  labels: {
    type: 'object',
    description: 'Labels copied into the job Meta. Keys and values use Kubernetes label syntax.',
    maxProperties: 64,
    additionalProperties: {
      type: 'string',
      maxLength: 63,
      pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$',
    },
  },
} as const;
