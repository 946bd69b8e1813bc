// Reads crds/app.yaml and turns its openAPIV3Schema into (1) the JSON Schema drover validates with and
// (2) the editor schema `drover schema` prints. The conversion is mechanical and documented here:
// - `nullable: true` becomes `type: [T, "null"]`;
// - `x-kubernetes-list-type: set` becomes `uniqueItems: true`; other `x-kubernetes-*` keywords are dropped;
// - every object that lists `properties` is closed with `additionalProperties: false` (structural CRD
//   schemas may not say so themselves), unless it has `x-kubernetes-preserve-unknown-fields`;
// - metadata gets drover's namespace/labels rules (metadata-schema.ts); apiVersion/kind get their constants.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CORE_SCHEMA, load } from 'js-yaml';
import { Ajv, type ValidateFunction } from 'ajv';
import { API_VERSION, KIND } from './types.js';
import { METADATA_EXTRA_PROPERTIES } from './metadata-schema.js';

type Json = Record<string, unknown>;

/** Candidates relative to this module: from src/spec/ and from dist/src/spec/. */
const CRD_CANDIDATES = ['../../crds/app.yaml', '../../../crds/app.yaml'];

function crdPath(): string {
  for (const rel of CRD_CANDIDATES) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('crds/app.yaml not found next to the drover sources');
}

let crdCache: Json | undefined;

/** The CRD document as written in crds/app.yaml. */
export function appCrd(): Json {
  crdCache ??= load(readFileSync(crdPath(), 'utf8'), { schema: CORE_SCHEMA }) as Json;
  return crdCache;
}

/** The version's openAPIV3Schema, untouched. */
export function crdOpenApiSchema(): Json {
  const versions = (appCrd().spec as Json).versions as Json[];
  const v = versions.find((x) => x.name === 'v1alpha1');
  if (!v) throw new Error('crds/app.yaml has no v1alpha1 version');
  return (v.schema as Json).openAPIV3Schema as Json;
}

/** OpenAPI (Kubernetes dialect) → JSON Schema draft-07, recursively, returning a new object. */
export function openApiToJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openApiToJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const src = node as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === 'nullable' || k.startsWith('x-kubernetes-')) continue;
    if (k === 'properties') {
      out.properties = Object.fromEntries(Object.entries(v as Json).map(([name, s]) => [name, openApiToJsonSchema(s)]));
    } else if (k === 'items' || k === 'additionalProperties' || k === 'not') {
      out[k] = typeof v === 'object' ? openApiToJsonSchema(v) : v;
    } else if (k === 'allOf' || k === 'anyOf' || k === 'oneOf') {
      out[k] = (v as unknown[]).map(openApiToJsonSchema);
    } else {
      out[k] = v;
    }
  }
  if (src.nullable === true && typeof src.type === 'string') out.type = [src.type, 'null'];
  if (src['x-kubernetes-list-type'] === 'set') out.uniqueItems = true;
  if (src.properties && src.additionalProperties === undefined && src['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

let jsonSchemaCache: Json | undefined;

/** The whole-document JSON Schema (draft-07) for App files: what ajv validates and editors use. */
export function appJsonSchema(): Json {
  return structuredClone(sharedJsonSchema());
}

/** The cached schema itself, for read-only use inside src/spec (no copy per call). */
export function sharedJsonSchema(): Readonly<Json> {
  if (!jsonSchemaCache) {
    const body = openApiToJsonSchema(crdOpenApiSchema()) as Json;
    const props = body.properties as Json;
    props.apiVersion = { ...(props.apiVersion as Json), enum: [API_VERSION] };
    props.kind = { ...(props.kind as Json), enum: [KIND] };
    const meta = props.metadata as Json;
    meta.properties = { ...(meta.properties as Json), ...structuredClone(METADATA_EXTRA_PROPERTIES) };
    jsonSchemaCache = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: 'https://drover.io/schemas/app-v1alpha1.json',
      title: 'drover App (drover.io/v1alpha1)',
      ...body,
    };
  }
  return jsonSchemaCache;
}

let validatorCache: ValidateFunction | undefined;

/** The compiled validator (allErrors, strict), built once per process. */
export function appValidator(): ValidateFunction {
  if (!validatorCache) {
    const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, verbose: true });
    validatorCache = ajv.compile(appJsonSchema());
  }
  return validatorCache;
}
