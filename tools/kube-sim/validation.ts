/** Validation shared by every resource: names, labels, object metadata, and strict decoding against the schema. Pure. */
import { FieldError } from './errors.js';
import { isPlainObject, type ObjectMeta } from './meta.js';
import { jsonFields, type FieldSpec, type MessageSpec } from './schema.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

export const DNS1123_LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
export const DNS1123_SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const QUALIFIED_NAME_MESSAGE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const ENV_VAR_NAME_MESSAGE =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')";
const CONFIG_KEY_MESSAGE =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

export type NameRule = 'label' | 'subdomain';

export function validateName(value: string, rule: NameRule, field: string): FieldError[] {
  const errors: FieldError[] = [];
  if (rule === 'label') {
    if (value.length > 63) errors.push(FieldError.invalid(field, value, 'must be no more than 63 characters'));
    if (!DNS1123_LABEL.test(value)) errors.push(FieldError.invalid(field, value, DNS1123_LABEL_MESSAGE));
  } else {
    if (value.length > 253) errors.push(FieldError.invalid(field, value, 'must be no more than 253 characters'));
    if (!DNS1123_SUBDOMAIN.test(value)) errors.push(FieldError.invalid(field, value, DNS1123_SUBDOMAIN_MESSAGE));
  }
  return errors;
}

function validateQualifiedName(key: string, field: string): FieldError[] {
  const slash = key.indexOf('/');
  const [prefix, name] = slash >= 0 ? [key.slice(0, slash), key.slice(slash + 1)] : ['', key];
  const errors: FieldError[] = [];
  if (slash >= 0 && (!prefix || !DNS1123_SUBDOMAIN.test(prefix))) errors.push(FieldError.invalid(field, key, `prefix part ${DNS1123_SUBDOMAIN_MESSAGE}`));
  if (!name || name.length > 63 || !QUALIFIED_NAME.test(name)) errors.push(FieldError.invalid(field, key, QUALIFIED_NAME_MESSAGE));
  return errors;
}

export function validateLabels(labels: Record<string, string> | undefined, field: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    errors.push(...validateQualifiedName(key, field));
    if (typeof value !== 'string' || value.length > 63) errors.push(FieldError.invalid(field, value, 'must be no more than 63 characters'));
    else if (!LABEL_VALUE.test(value)) errors.push(FieldError.invalid(field, value, LABEL_VALUE_MESSAGE));
  }
  return errors;
}

export function validateEnvVarName(name: string, field: string): FieldError[] {
  return ENV_VAR_NAME.test(name) ? [] : [FieldError.invalid(field, name, ENV_VAR_NAME_MESSAGE)];
}

export function validateConfigKey(key: string, field: string): FieldError[] {
  return CONFIG_KEY.test(key) && key.length <= 253 ? [] : [FieldError.invalid(field, key, CONFIG_KEY_MESSAGE)];
}

/** ObjectMeta rules common to all resources: name (or generateName), labels, annotation keys, finalizers. */
export function validateObjectMeta(meta: ObjectMeta, rule: NameRule, namespaced: boolean): FieldError[] {
  const errors: FieldError[] = [];
  if (!meta.name) errors.push(FieldError.required('metadata.name', 'name or generateName is required'));
  else errors.push(...validateName(meta.name, rule, 'metadata.name'));
  if (namespaced && !meta.namespace) errors.push(FieldError.required('metadata.namespace'));
  errors.push(...validateLabels(meta.labels, 'metadata.labels'));
  for (const key of Object.keys(meta.annotations ?? {})) errors.push(...validateQualifiedName(key, 'metadata.annotations'));
  for (const [index, finalizer] of (meta.finalizers ?? []).entries()) {
    errors.push(...validateQualifiedName(finalizer, `metadata.finalizers[${index}]`));
  }
  return errors;
}

export function nonNegative(value: unknown, field: string): FieldError[] {
  return typeof value === 'number' && value < 0 ? [FieldError.invalid(field, value, 'must be greater than or equal to 0')] : [];
}

/** What strict decoding finds wrong with a JSON document, worded as the API server's decoder. */
export interface DecodeProblems {
  unknownFields: string[];
  typeErrors: string[];
}

const GO_TYPES: Record<string, string> = { string: 'string', int32: 'int32', int64: 'int64', bool: 'bool', bytes: '[]uint8', time: 'v1.Time', quantity: 'resource.Quantity' };

function jsonTypeName(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  return typeof value === 'boolean' ? 'bool' : typeof value;
}

function scalarMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'string':
    case 'bytes':
    case 'time':
      return typeof value === 'string';
    case 'int32':
    case 'int64':
      return typeof value === 'number' && Number.isInteger(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'quantity':
      return typeof value === 'string' || typeof value === 'number';
    default:
      return true;
  }
}

function checkValue(value: unknown, spec: FieldSpec, path: string, owner: string, problems: DecodeProblems, drop: boolean): void {
  if (value === null || value === undefined) return;
  if (spec.list) {
    if (!Array.isArray(value)) return void problems.typeErrors.push(`json: cannot unmarshal ${jsonTypeName(value)} into Go struct field ${owner}.${path} of type []`);
    value.forEach((item, index) => checkValue(item, { ...spec, list: false }, `${path}[${index}]`, owner, problems, drop));
    return;
  }
  if (spec.map) {
    if (!isPlainObject(value)) return void problems.typeErrors.push(`json: cannot unmarshal ${jsonTypeName(value)} into Go struct field ${owner}.${path} of type map[string]`);
    for (const [key, item] of Object.entries(value)) checkValue(item, { ...spec, map: false }, `${path}[${key}]`, owner, problems, drop);
    return;
  }
  if (typeof spec.type === 'object') {
    if (!isPlainObject(value)) return void problems.typeErrors.push(`json: cannot unmarshal ${jsonTypeName(value)} into Go struct field ${owner}.${path} of type v1.${spec.type.name}`);
    collectProblems(value, spec.type, path, problems, drop);
    return;
  }
  if (!scalarMatches(spec.type, value)) {
    problems.typeErrors.push(`json: cannot unmarshal ${jsonTypeName(value)} into Go struct field ${owner}.${path} of type ${GO_TYPES[spec.type] ?? spec.type}`);
  }
}

function collectProblems(doc: Record<string, unknown>, spec: MessageSpec, path: string, problems: DecodeProblems, drop: boolean): void {
  const fields = jsonFields(spec);
  for (const [key, value] of Object.entries(doc)) {
    const fieldPath = path ? `${path}.${key}` : key;
    const field = fields[key];
    if (field) checkValue(value, field, fieldPath, spec.name, problems, drop);
    else {
      problems.unknownFields.push(fieldPath);
      if (drop) delete doc[key];
    }
  }
}

/**
 * What strict decoding finds wrong with a document. With `dropUnknownFields` the same walk also removes
 * the unknown fields, as decoding into the API types does (a document with type errors is left half-pruned).
 */
export function decodeProblems(doc: Record<string, unknown>, spec: MessageSpec, dropUnknownFields = false): DecodeProblems {
  const problems: DecodeProblems = { unknownFields: [], typeErrors: [] };
  collectProblems(doc, spec, '', problems, dropUnknownFields);
  return problems;
}
