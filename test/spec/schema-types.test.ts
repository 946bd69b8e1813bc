// crds/app.yaml is the single source of truth; src/core/app-spec.ts (re-exported by src/spec/types.ts) must describe the same tree. This reads
// the TypeScript interfaces with the compiler API and compares their property paths with the schema's,
// both ways, and checks the schema's own hygiene (descriptions, closed objects, a real CRD).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { appCrd, appJsonSchema, crdOpenApiSchema } from '../../src/spec/schema.js';

type Json = Record<string, any>;
const TYPES = fileURLToPath(new URL('../../src/core/app-spec.ts', import.meta.url));

/** Property paths of the TS interfaces reachable from AppManifest, e.g. `spec.vault.secrets[].path`. */
function typePaths(): Set<string> {
  const sf = ts.createSourceFile(TYPES, readFileSync(TYPES, 'utf8'), ts.ScriptTarget.ES2022, true);
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  sf.forEachChild((n) => {
    if (ts.isInterfaceDeclaration(n)) interfaces.set(n.name.text, n);
  });
  const paths = new Set<string>();
  const visit = (name: string, prefix: string) => {
    for (const m of interfaces.get(name)!.members) {
      if (!ts.isPropertySignature(m) || !m.type) continue;
      const path = prefix ? `${prefix}.${(m.name as ts.Identifier).text}` : (m.name as ts.Identifier).text;
      paths.add(path);
      let type = m.type;
      let suffix = '';
      if (ts.isArrayTypeNode(type)) {
        type = type.elementType;
        suffix = '[]';
      }
      if (ts.isTypeReferenceNode(type) && interfaces.has(type.typeName.getText(sf))) visit(type.typeName.getText(sf), path + suffix);
    }
  };
  visit('AppManifest', '');
  return paths;
}

function schemaPaths(node: Json, prefix = '', out = new Set<string>()): Set<string> {
  for (const [k, v] of Object.entries((node.properties ?? {}) as Json)) {
    const path = prefix ? `${prefix}.${k}` : k;
    out.add(path);
    schemaPaths(v, path, out);
    if (v.items) schemaPaths(v.items, `${path}[]`, out);
  }
  return out;
}

test('every TypeScript property exists in the schema and every schema property in the types', (t) => {
  const fromTypes = typePaths();
  const fromSchema = schemaPaths(appJsonSchema());
  t.true(fromTypes.size > 50, `parsed ${fromTypes.size} properties`);
  t.deepEqual([...fromTypes].filter((p) => !fromSchema.has(p)), [], 'in types.ts, missing from the schema');
  t.deepEqual([...fromSchema].filter((p) => !fromTypes.has(p)), [], 'in the schema, missing from types.ts');
});

test('every schema property has a description', (t) => {
  const missing: string[] = [];
  const walk = (node: Json, prefix: string) => {
    for (const [k, v] of Object.entries((node.properties ?? {}) as Json)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (typeof v.description !== 'string' || v.description.length < 5) missing.push(path);
      walk(v, path);
      if (v.items) walk(v.items, `${path}[]`);
    }
  };
  walk(appJsonSchema(), '');
  t.deepEqual(missing, []);
});

test('the CRD is a structural apiextensions.k8s.io/v1 CRD for apps.drover.io', (t) => {
  const crd = appCrd() as Json;
  t.is(crd.apiVersion, 'apiextensions.k8s.io/v1');
  t.is(crd.kind, 'CustomResourceDefinition');
  t.is(crd.metadata.name, 'apps.drover.io');
  t.like(crd.spec, { group: 'drover.io', scope: 'Namespaced', names: { kind: 'App', plural: 'apps' } });
  t.is(crd.spec.versions[0].name, 'v1alpha1');
  const bad: string[] = [];
  const walk = (node: Json, path: string) => {
    if (node.properties && node.additionalProperties !== undefined) bad.push(`${path}: properties with additionalProperties`);
    if (node.type === undefined) bad.push(`${path}: no type`);
    for (const [k, v] of Object.entries((node.properties ?? {}) as Json)) walk(v, `${path}.${k}`);
    if (node.items) walk(node.items, `${path}[]`);
    if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}.*`);
  };
  const root = crdOpenApiSchema() as Json;
  walk(root, '');
  t.deepEqual(bad, []);
  // Kubernetes allows only name (and generateName) under metadata
  t.deepEqual(Object.keys(root.properties.metadata.properties), ['name']);
});

test('the JSON Schema closes every object with properties and converts OpenAPI keywords', (t) => {
  const s = appJsonSchema() as Json;
  t.is(s.$schema, 'http://json-schema.org/draft-07/schema#');
  const open: string[] = [];
  const walk = (node: Json, path: string) => {
    if (node.properties && node.additionalProperties !== false) open.push(path);
    if (Object.keys(node).some((k) => k.startsWith('x-kubernetes-') || k === 'nullable')) open.push(`${path}: OpenAPI keyword left`);
    for (const [k, v] of Object.entries((node.properties ?? {}) as Json)) walk(v, `${path}.${k}`);
    if (node.items) walk(node.items, `${path}[]`);
  };
  walk(s, '');
  t.deepEqual(open, []);
  t.true(s.properties.spec.properties.datacenters.uniqueItems, 'x-kubernetes-list-type: set → uniqueItems');
  t.deepEqual(s.properties.apiVersion.enum, ['drover.io/v1alpha1']);
  t.truthy(s.properties.metadata.properties.labels, 'metadata rules merged in');
});
