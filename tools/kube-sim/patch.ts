/** The three patch formats of the API: JSON Patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge. Pure. */
import { clone, isPlainObject, jsonEqual } from './meta.js';
import { jsonFields, messageOf, type FieldSpec, type MessageSpec } from './schema.js';

/** A patch that is well-formed but cannot be applied (the API answers 422). */
export class PatchConflictError extends Error {}
/** A patch that is not a valid document of its type (the API answers 400). */
export class PatchFormatError extends Error {}

interface JsonPatchOperation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchFormatError(`JSON pointer "${pointer}" must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(container: unknown[], token: string, path: string, allowEnd: boolean): number {
  if (token === '-' && allowEnd) return container.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchConflictError(`invalid array index ${token} at ${path}`);
  const index = Number(token);
  if (index > container.length || (!allowEnd && index === container.length)) {
    throw new PatchConflictError(`Unable to access invalid index: ${index}: invalid index referenced`);
  }
  return index;
}

/** Resolves the parent container of a pointer, throwing as evanphx/json-patch words it when missing. */
function parentOf(doc: unknown, path: string, op: string): { container: any; key: string } {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw new PatchConflictError(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
  let container: any = doc;
  for (const token of tokens.slice(0, -1)) {
    const next = Array.isArray(container) ? container[arrayIndex(container, token, path, false)] : isPlainObject(container) ? container[token] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') {
      throw new PatchConflictError(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
    }
    container = next;
  }
  return { container, key: tokens[tokens.length - 1] };
}

function getAt(doc: unknown, path: string, op: string): unknown {
  if (path === '') return doc;
  const { container, key } = parentOf(doc, path, op);
  const value = Array.isArray(container) ? container[arrayIndex(container, key, path, false)] : container[key];
  if (value === undefined) throw new PatchConflictError(`${op} operation does not apply: doc is missing key: ${path}: missing value`);
  return value;
}

function addAt(doc: unknown, path: string, value: unknown): unknown {
  if (path === '') return value;
  const { container, key } = parentOf(doc, path, 'add');
  if (Array.isArray(container)) container.splice(arrayIndex(container, key, path, true), 0, value);
  else container[key] = value;
  return doc;
}

function removeAt(doc: unknown, path: string, op = 'remove'): unknown {
  const { container, key } = parentOf(doc, path, op);
  if (Array.isArray(container)) {
    const index = arrayIndex(container, key, path, false);
    return container.splice(index, 1)[0];
  }
  if (!(key in container)) throw new PatchConflictError(`Unable to remove nonexistent key: ${key}: missing value`);
  const value = container[key];
  delete container[key];
  return value;
}

export function parseJsonPatch(patch: unknown): JsonPatchOperation[] {
  if (!Array.isArray(patch)) throw new PatchFormatError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  for (const operation of patch) {
    if (!isPlainObject(operation) || typeof operation.op !== 'string' || typeof operation.path !== 'string') {
      throw new PatchFormatError('json: cannot unmarshal into Go value of type jsonpatch.Operation: missing op or path');
    }
  }
  return patch as JsonPatchOperation[];
}

/**
 * Applies every operation in order, to a copy so that a failure leaves the document untouched (the patch
 * is atomic); a document the caller `owns` and drops on failure is edited in place instead.
 */
export function applyJsonPatch<T>(doc: T, patch: unknown, owns = false): T {
  let result: unknown = owns ? doc : clone(doc);
  for (const operation of parseJsonPatch(patch)) {
    switch (operation.op) {
      case 'add':
        result = addAt(result, operation.path, clone(operation.value));
        break;
      case 'remove':
        removeAt(result, operation.path);
        break;
      case 'replace':
        getAt(result, operation.path, 'replace');
        if (operation.path === '') result = clone(operation.value);
        else {
          removeAt(result, operation.path, 'replace');
          result = addAt(result, operation.path, clone(operation.value));
        }
        break;
      case 'move': {
        const value = getAt(result, operation.from ?? '', 'move');
        removeAt(result, operation.from ?? '', 'move');
        result = addAt(result, operation.path, value);
        break;
      }
      case 'copy':
        result = addAt(result, operation.path, clone(getAt(result, operation.from ?? '', 'copy')));
        break;
      case 'test': {
        let actual: unknown;
        try {
          actual = getAt(result, operation.path, 'test');
        } catch {
          actual = undefined;
        }
        if (!jsonEqual(actual, operation.value)) {
          throw new PatchConflictError(`testing value ${operation.path} failed: test failed`);
        }
        break;
      }
      default:
        throw new PatchFormatError(`Unexpected kind: ${operation.op}`);
    }
  }
  return result as T;
}

/** RFC 7386: objects merge, `null` deletes, everything else (arrays included) replaces. */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const result: Record<string, unknown> = isPlainObject(doc) ? { ...doc } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    if (inner !== null) out[key] = stripDirectives(inner);
  }
  return out;
}

function mergeListByKey(original: unknown, patch: unknown[], key: string, element: MessageSpec | undefined): unknown[] {
  if (patch.some((item) => isPlainObject(item) && item[DIRECTIVE] === 'replace')) {
    return patch.filter((item) => !(isPlainObject(item) && item[DIRECTIVE] === 'replace')).map(stripDirectives);
  }
  const result = Array.isArray(original) ? [...original] : [];
  for (const item of patch) {
    if (!isPlainObject(item)) throw new PatchFormatError(`merging an object in json but data type is not map`);
    const index = result.findIndex((existing) => isPlainObject(existing) && existing[key] === item[key]);
    if (item[DIRECTIVE] === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) result[index] = strategicMerge(result[index], item, element);
    else result.push(strategicMerge({}, item, element));
  }
  return result;
}

function orderBy(list: unknown[], order: unknown[], key: string | undefined): unknown[] {
  const identity = (item: unknown) => (key && isPlainObject(item) ? item[key] : item);
  const rank = new Map(order.map((item, index) => [identity(item), index]));
  const ranked = list.filter((item) => rank.has(identity(item))).sort((a, b) => rank.get(identity(a))! - rank.get(identity(b))!);
  return [...ranked, ...list.filter((item) => !rank.has(identity(item)))];
}

/**
 * Strategic merge patch as kubectl apply sends it: maps merge, lists named in the schema merge by their
 * key (`containers`, `env` by `name`), scalar lists marked mergeable (`finalizers`) merge as sets, other
 * lists replace; honours `$patch: replace|delete`, `$retainKeys`, `$setElementOrder/…` and
 * `$deleteFromPrimitiveList/…`.
 */
export function strategicMerge(original: unknown, patch: unknown, spec?: MessageSpec): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  if (patch[DIRECTIVE] === 'replace') return stripDirectives(patch);
  if (patch[DIRECTIVE] === 'delete') return undefined;
  const fields = spec ? jsonFields(spec) : {};
  const result: Record<string, unknown> = isPlainObject(original) ? { ...original } : {};
  if (Array.isArray(patch[RETAIN_KEYS])) {
    const retained = new Set(patch[RETAIN_KEYS] as string[]);
    for (const key of Object.keys(result)) if (!retained.has(key)) delete result[key];
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const name = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      const removed = new Set(value as unknown[]);
      if (Array.isArray(result[name])) result[name] = (result[name] as unknown[]).filter((item) => !removed.has(item));
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const field: FieldSpec | undefined = fields[key];
    if (Array.isArray(value) && field?.list && field.mergeKey) {
      result[key] = mergeListByKey(result[key], value, field.mergeKey, messageOf(field));
    } else if (Array.isArray(value) && field?.list && field.mergeScalars) {
      const merged = Array.isArray(result[key]) ? [...(result[key] as unknown[])] : [];
      for (const item of value) if (!merged.includes(item)) merged.push(item);
      result[key] = merged;
    } else if (isPlainObject(value) && !field?.list) {
      const merged = strategicMerge(result[key], value, field?.map ? undefined : messageOf(field));
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else {
      result[key] = stripDirectives(value);
    }
  }
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER) || !Array.isArray(order)) continue;
    const name = key.slice(SET_ELEMENT_ORDER.length);
    if (Array.isArray(result[name])) result[name] = orderBy(result[name] as unknown[], order, fields[name]?.mergeKey);
  }
  return result;
}

export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

/** Applies a patch body of one of the PATCH_TYPES to a document that is the caller's to change or drop. */
export function applyPatch(contentType: string, doc: unknown, patch: unknown, spec: MessageSpec): unknown {
  if (contentType === 'application/json-patch+json') return applyJsonPatch(doc, patch, true);
  if (!isPlainObject(patch)) throw new PatchFormatError('json: cannot unmarshal array into Go value of type map[string]interface {}');
  return contentType === 'application/merge-patch+json' ? applyMergePatch(doc, patch) : strategicMerge(doc, patch, spec);
}
