/** Turning a request body into an object: JSON, YAML or Kubernetes protobuf, then the `fieldValidation` rules. */
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest, unsupportedMediaType } from './errors.js';
import { isPlainObject, type KubeObject } from './meta.js';
import { decodeKubernetesProtobuf, ProtobufError } from './protobuf.js';
import { typeOfKind, type ResourceType } from './resources/index.js';
import { decodeProblems } from './validation.js';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const BODY_TYPES = ['application/json', 'application/yaml', PROTOBUF];

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

export function parseJsonBody(body: Buffer, what = 'couldn\'t get version/kind; json parse error'): unknown {
  try {
    return JSON.parse(body.toString('utf8') || 'null');
  } catch (error) {
    throw badRequest(`${what}: ${(error as Error).message}`);
  }
}

/** The object a POST or PUT carries, checked to be of the resource's kind. */
export function decodeObject(body: Buffer, contentType: string | undefined, type: ResourceType): KubeObject {
  const media = mediaType(contentType) || 'application/json';
  let object: unknown;
  if (media === PROTOBUF) {
    try {
      object = decodeKubernetesProtobuf(body, (apiVersion, kind) => typeOfKind(apiVersion, kind)?.schema).object;
    } catch (error) {
      if (error instanceof ProtobufError) throw badRequest(error.message);
      throw error;
    }
  } else if (media === 'application/json') object = parseJsonBody(body);
  else if (media === 'application/yaml') {
    try {
      object = parseYaml(body.toString('utf8'));
    } catch (error) {
      throw badRequest(`couldn't get version/kind; yaml parse error: ${(error as Error).message}`);
    }
  } else throw unsupportedMediaType(media, BODY_TYPES);
  if (!isPlainObject(object)) throw badRequest(`Object 'Kind' is missing in '${body.toString('utf8').slice(0, 100)}'`);
  const cannotHandle = `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}`;
  if (object.apiVersion !== undefined && object.apiVersion !== type.apiVersion) {
    throw badRequest(`the API version in the data (${object.apiVersion}) does not match the expected API version (${type.apiVersion})`);
  }
  if (object.kind !== undefined && object.kind !== type.kind) throw badRequest(`${cannotHandle}: no kind "${object.kind}" is registered for version "${type.apiVersion}"`);
  return object as KubeObject;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationOf(value: string | null): FieldValidation {
  if (value === null || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw badRequest(`fieldValidation: Invalid value: "${value}": must be one of: Ignore, Warn, Strict`);
}

/**
 * Applies `fieldValidation` to a decoded object: type errors always fail; unknown fields fail (Strict),
 * become warnings (Warn) or pass (Ignore), and are dropped. `strictError` words a Strict failure.
 */
export function checkFields(
  object: KubeObject,
  type: ResourceType,
  validation: FieldValidation,
  strictError: (message: string) => ApiError = (message) => badRequest(`${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: ${message}`),
): string[] {
  // Strict fails on any unknown field, so it has nothing to drop and `strictError` sees the object as sent.
  const { unknownFields, typeErrors } = decodeProblems(object, type.schema, validation !== 'Strict');
  if (typeErrors.length) throw badRequest(`${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: ${typeErrors[0]}`);
  const unknown = unknownFields.map((field) => `unknown field "${field}"`);
  if (unknown.length && validation === 'Strict') throw strictError(`strict decoding error: ${unknown.join(', ')}`);
  return validation === 'Warn' ? unknown : [];
}
