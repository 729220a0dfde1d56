// Structural-schema handling of the real Kruise CRDs: the resource names, printer columns and subresources they
// declare, pruning of unknown fields, and openAPIV3Schema validation with the API server's error wording.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

export interface JSONSchema {
  type?: string;
  properties?: Record<string, JSONSchema>;
  items?: JSONSchema;
  additionalProperties?: JSONSchema | boolean;
  required?: string[];
  enum?: unknown[];
  format?: string;
  minimum?: number;
  maximum?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: JSONSchema;
  printerColumns: PrinterColumn[];
  subresources: { status?: boolean; scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string } };
}

export interface Crd {
  group: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  versions: CrdVersion[];
}

/** `<repo>/../shared/kruise-crds`; the repo root is two levels above this directory. */
export function defaultCrdDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '..', '..', '..', 'shared', 'kruise-crds');
}

interface RawCrd {
  kind?: string;
  spec: {
    group: string;
    scope: string;
    names: { plural: string; singular: string; kind: string; listKind: string; shortNames?: string[]; categories?: string[] };
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      schema?: { openAPIV3Schema?: JSONSchema };
      additionalPrinterColumns?: PrinterColumn[];
      subresources?: { status?: object; scale?: CrdVersion['subresources']['scale'] };
    }>;
  };
}

export function loadCrds(dir = defaultCrdDir()): Crd[] | undefined {
  if (!existsSync(dir)) return undefined;
  const out: Crd[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort()) {
    for (const doc of yaml.loadAll(readFileSync(join(dir, f), 'utf8')) as RawCrd[]) {
      if (!doc || doc.kind !== 'CustomResourceDefinition') continue;
      const { names, group, scope, versions } = doc.spec;
      out.push({
        group,
        plural: names.plural,
        singular: names.singular,
        kind: names.kind,
        listKind: names.listKind,
        shortNames: names.shortNames ?? [],
        categories: names.categories ?? [],
        namespaced: scope === 'Namespaced',
        versions: versions.map((v) => ({
          name: v.name,
          served: v.served,
          storage: v.storage,
          schema: v.schema?.openAPIV3Schema,
          printerColumns: v.additionalPrinterColumns ?? [],
          subresources: { status: !!v.subresources?.status, scale: v.subresources?.scale },
        })),
      });
    }
  }
  return out;
}

export interface FieldError {
  /** FieldValueRequired | FieldValueInvalid | FieldValueTypeInvalid | FieldValueNotSupported */
  reason: string;
  field: string;
  message: string;
}

/**
 * Drops fields the schema does not declare (what a real server does by default for structural CRDs) and returns
 * their paths, so a caller asking for fieldValidation=Strict can reject instead.
 */
export function prune(value: unknown, schema: JSONSchema | undefined, path = ''): string[] {
  const unknown: string[] = [];
  if (!schema || schema['x-kubernetes-preserve-unknown-fields']) return unknown;
  if (Array.isArray(value) && schema.items) {
    value.forEach((v, i) => unknown.push(...prune(v, schema.items, `${path}[${i}]`)));
  } else if (isObject(value)) {
    if (schema.properties) {
      for (const k of Object.keys(value)) {
        const sub = schema.properties[k];
        // metadata is validated by the API machinery, not the CRD schema.
        if (path === '' && (k === 'metadata' || k === 'apiVersion' || k === 'kind')) continue;
        if (!sub) {
          unknown.push(path ? `${path}.${k}` : k);
          delete value[k];
        } else unknown.push(...prune(value[k], sub, path ? `${path}.${k}` : k));
      }
    } else if (isObject(schema.additionalProperties)) {
      for (const k of Object.keys(value)) unknown.push(...prune(value[k], schema.additionalProperties, `${path}.${k}`));
    }
  }
  return unknown;
}

export function validate(value: unknown, schema: JSONSchema | undefined, path = ''): FieldError[] {
  const errs: FieldError[] = [];
  if (!schema) return errs;
  if (value === null || value === undefined) return errs;
  const at = path || '<root>';
  if (schema['x-kubernetes-int-or-string']) {
    if (typeof value !== 'string' && !Number.isInteger(value)) {
      errs.push(typeErr(at, value, 'integer or string'));
    }
    return errs;
  }
  const t = schema.type;
  const actual = jsonType(value);
  if (t && !(t === actual || (t === 'number' && actual === 'integer'))) {
    errs.push(typeErr(at, value, t));
    return errs;
  }
  if (schema.enum && !schema.enum.includes(value)) {
    errs.push({
      reason: 'FieldValueNotSupported',
      field: at,
      message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`,
    });
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      errs.push({ reason: 'FieldValueInvalid', field: at, message: `Invalid value: ${value}: ${at} in body should be greater than or equal to ${schema.minimum}` });
    if (schema.maximum !== undefined && value > schema.maximum)
      errs.push({ reason: 'FieldValueInvalid', field: at, message: `Invalid value: ${value}: ${at} in body should be less than or equal to ${schema.maximum}` });
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => errs.push(...validate(v, schema.items, `${path}[${i}]`)));
  } else if (isObject(value)) {
    for (const r of schema.required ?? []) {
      if (value[r] === undefined || value[r] === null) {
        const f = path ? `${path}.${r}` : r;
        errs.push({ reason: 'FieldValueRequired', field: f, message: 'Required value' });
      }
    }
    if (schema.properties) {
      for (const [k, v] of Object.entries(value)) {
        if (path === '' && k === 'metadata') continue;
        errs.push(...validate(v, schema.properties[k], path ? `${path}.${k}` : k));
      }
    } else if (isObject(schema.additionalProperties)) {
      for (const [k, v] of Object.entries(value)) errs.push(...validate(v, schema.additionalProperties, `${path}.${k}`));
    }
  }
  return errs;
}

function typeErr(path: string, value: unknown, want: string): FieldError {
  // The real validator shows the offending JSON type, not the value: `Invalid value: "string": ... "string"`.
  const shown = JSON.stringify(jsonType(value));
  return {
    reason: 'FieldValueTypeInvalid',
    field: path,
    message: `Invalid value: ${shown}: ${path} in body must be of type ${want}: ${JSON.stringify(jsonType(value))}`,
  };
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
