/** core/v1 Secrets: `stringData` folds into base64 `data`, keys are validated, immutable secrets stay so. */
import { FieldError } from '../errors.js';
import { jsonEqual } from '../meta.js';
import { Secret } from '../schema.js';
import { validateConfigKey } from '../validation.js';
import type { ResourceType } from './types.js';

const MAX_SECRET_BYTES = 1024 * 1024;

export const secrets: ResourceType = {
  resource: 'secrets',
  singular: 'secret',
  kind: 'Secret',
  listKind: 'SecretList',
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  namespaced: true,
  shortNames: [],
  categories: [],
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: {},
  schema: Secret,
  nameRule: 'subdomain',
  hasStatusSubresource: false,
  tracksGeneration: false,
  defaultPropagation: 'Background',
  returnsDeletedObject: false,
  fieldSelectors: { type: (secret) => secret.type },
  normalize(secret) {
    secret.type ??= 'Opaque';
    if (secret.stringData) {
      secret.data ??= {};
      for (const [key, value] of Object.entries(secret.stringData)) secret.data[key] = Buffer.from(String(value)).toString('base64');
      delete secret.stringData;
    }
  },
  prepareForCreate() {},
  validate(secret) {
    const errors: FieldError[] = [];
    let size = 0;
    for (const [key, value] of Object.entries<string>(secret.data ?? {})) {
      errors.push(...validateConfigKey(key, `data[${key}]`));
      size += Buffer.byteLength(value ?? '', 'base64');
    }
    if (size > MAX_SECRET_BYTES) errors.push(new FieldError('TooLong', 'data', undefined, `may not be more than ${MAX_SECRET_BYTES} bytes`));
    return errors;
  },
  validateUpdate(secret, old) {
    if (!old.immutable) return [];
    const errors: FieldError[] = [];
    if (!jsonEqual(secret.data, old.data)) errors.push(FieldError.forbidden('data', 'field is immutable when `immutable` is set'));
    if (!secret.immutable) errors.push(FieldError.forbidden('immutable', 'field is immutable when `immutable` is set'));
    return errors;
  },
};
