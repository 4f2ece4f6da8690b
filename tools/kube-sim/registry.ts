/**
 * API semantics over the store, shared by the HTTP handlers and the controllers: create with defaults
 * and validation, optimistic concurrency on update, status subresources, finalizers, graceful deletion
 * and propagation policies (the garbage collector finishes what deletion starts).
 */
import {
  alreadyExists,
  badRequest,
  conflict,
  FieldError,
  forbidden,
  invalid,
  notFound,
  STALE_OBJECT,
} from './errors.js';
import {
  FINALIZER_FOREGROUND,
  FINALIZER_ORPHAN,
  generateName,
  isDeleting,
  jsonEqual,
  newUid,
  timestamp,
  withoutFinalizer,
  type KubeObject,
} from './meta.js';
import type { Propagation, ResourceType } from './resources/index.js';
import { checkFieldSelector, matchesFields, matchesLabels, type FieldRequirement, type LabelSelector } from './selectors.js';
import { keyOf, type Entry, type Store } from './store.js';
import { validateObjectMeta } from './validation.js';

export interface DeleteOptions {
  propagationPolicy?: Propagation;
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteResult {
  entry: Entry;
  /** False while finalizers or a grace period hold the object. */
  deleted: boolean;
}

export interface ListOptions {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldRequirement[];
  limit?: number;
  continueToken?: string;
}

export interface ListResult {
  entries: Entry[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

type FieldGetters = Record<string, (obj: KubeObject) => string | undefined>;

const COMMON_FIELD_SELECTORS: FieldGetters = {
  'metadata.name': (obj) => obj.metadata.name,
  'metadata.namespace': (obj) => obj.metadata.namespace,
};

// Selectors are matched per object per list and per watcher per event: each type's table is merged once.
const fieldGetters = new WeakMap<ResourceType, FieldGetters>();

export function fieldSelectorsOf(type: ResourceType): FieldGetters {
  let getters = fieldGetters.get(type);
  if (!getters) fieldGetters.set(type, (getters = { ...COMMON_FIELD_SELECTORS, ...type.fieldSelectors }));
  return getters;
}

export function matchesSelectors(type: ResourceType, object: KubeObject, labels?: LabelSelector, fields?: FieldRequirement[]): boolean {
  if (labels?.length && !matchesLabels(labels, object.metadata.labels)) return false;
  if (!fields?.length) return true;
  const getters = fieldSelectorsOf(type);
  return matchesFields(fields, (field) => getters[field]?.(object));
}

/** A copy of a stored object that the caller may change. */
function editable(entry: Entry): KubeObject {
  return JSON.parse(entry.json) as KubeObject;
}

/** The store keeps objects without kind/apiVersion: responses and watch events add them to the stored JSON. */
function withoutTypeMeta(body: KubeObject): KubeObject {
  const { kind: _kind, apiVersion: _apiVersion, ...object } = body;
  return object;
}

/** What a dry run answers: the object as it would have been stored, serialised once as the store would. */
function unstored(object: KubeObject): Entry {
  return { object, json: JSON.stringify(object) };
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString('base64url');
}

function decodeContinue(value: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string') throw new Error();
    return { rv: parsed.rv, start: parsed.start };
  } catch {
    throw badRequest(`continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)`);
  }
}

const SYSTEM_FIELDS = ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'selfLink'] as const;

export class Registry {
  constructor(readonly store: Store) {}

  get(type: ResourceType, namespace: string | undefined, name: string): Entry {
    const entry = this.store.get(type.resource, type.namespaced ? namespace : undefined, name);
    if (!entry) throw notFound(type, name);
    return entry;
  }

  find(type: ResourceType, namespace: string | undefined, name: string): Entry | undefined {
    return this.store.get(type.resource, type.namespaced ? namespace : undefined, name);
  }

  list(type: ResourceType, namespace: string | undefined, options: ListOptions = {}): ListResult {
    if (options.fieldSelector) checkFieldSelector(options.fieldSelector, Object.keys(fieldSelectorsOf(type)));
    const token = options.continueToken ? decodeContinue(options.continueToken) : undefined;
    const resourceVersion = String(token?.rv ?? this.store.resourceVersion);
    const { limit } = options;
    const candidates = this.store.list(type.resource, type.namespaced ? namespace : undefined, token?.start);
    const entries: Entry[] = [];
    for (const entry of candidates) {
      if (!matchesSelectors(type, entry.object, options.labelSelector, options.fieldSelector)) continue;
      entries.push(entry);
      // One match past the page is enough to know that another page follows.
      if (limit && entries.length > limit) break;
    }
    if (!limit || entries.length <= limit) return { entries, resourceVersion };
    const page = entries.slice(0, limit);
    const filtered = Boolean(options.labelSelector?.length || options.fieldSelector?.length);
    return {
      entries: page,
      resourceVersion,
      continueToken: encodeContinue({ rv: Number(resourceVersion), start: keyOf(page[page.length - 1].object) }),
      // Without selectors every candidate is an item.
      ...(filtered ? {} : { remainingItemCount: candidates.length - page.length }),
    };
  }

  create(type: ResourceType, namespace: string | undefined, body: KubeObject, dryRun = false): Entry {
    const object = withoutTypeMeta(body);
    const meta = (object.metadata ??= {});
    if (type.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace;
      this.checkNamespaceAcceptsContent(type, namespace!, meta.name ?? '');
    } else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
    for (const field of SYSTEM_FIELDS) delete meta[field];
    delete meta.resourceVersion;
    delete meta.managedFields;
    meta.uid = newUid();
    meta.creationTimestamp = timestamp();
    if (type.tracksGeneration) meta.generation = 1;
    type.normalize?.(object);
    // Without a name there is nothing to derive from it; validation reports the missing name.
    if (meta.name) type.prepareForCreate(object);
    const errors = this.validate(type, object);
    if (errors.length) throw invalid(type, meta.name ?? '', errors);
    if (this.find(type, namespace, meta.name!)) throw alreadyExists(type, meta.name!);
    if (dryRun) return unstored(object);
    return this.store.create(type.resource, object);
  }

  /** A client's PUT (or a patch turned into one): concurrency checks, validation, then the write. */
  update(type: ResourceType, namespace: string | undefined, name: string, body: KubeObject, subresource?: string, dryRun = false): Entry {
    const current = this.get(type, namespace, name);
    const meta = body.metadata ?? {};
    if (meta.name && meta.name !== name) {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    if (type.namespaced && meta.namespace && meta.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (meta.resourceVersion && meta.resourceVersion !== current.object.metadata.resourceVersion) {
      throw conflict(type, name, STALE_OBJECT);
    }
    this.checkUid(type, current, meta.uid);
    const next = subresource === 'status' ? this.withStatusOf(current, body) : this.withSystemFieldsOf(type, current, body);
    const errors = [...this.validate(type, next), ...(type.validateUpdate?.(next, current.object) ?? []), ...this.finalizerRules(current.object, next)];
    if (errors.length) throw invalid(type, name, errors);
    if (dryRun) return unstored(next);
    return this.commit(type, current, next);
  }

  /** A controller's read-edit-write of one object: no validation, resourceVersion taken as current; nothing when it is gone. */
  modify(type: ResourceType, namespace: string | undefined, name: string, edit: (object: KubeObject) => void): Entry | undefined {
    const current = this.find(type, namespace, name);
    if (!current) return undefined;
    const next = editable(current);
    edit(next);
    return this.commit(type, current, next);
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): DeleteResult {
    const current = this.get(type, namespace, name);
    const { uid, resourceVersion } = options.preconditions ?? {};
    this.checkUid(type, current, uid);
    if (resourceVersion && resourceVersion !== current.object.metadata.resourceVersion) {
      throw conflict(type, name, `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${current.object.metadata.resourceVersion}`);
    }
    const policy =
      options.propagationPolicy ?? (options.orphanDependents === undefined ? undefined : options.orphanDependents ? 'Orphan' : 'Background');
    const next = editable(current);
    const meta = next.metadata;
    const alreadyDeleting = isDeleting(current.object);
    if (!alreadyDeleting || policy) this.setPropagationFinalizers(next, policy ?? type.defaultPropagation);
    const grace = alreadyDeleting
      ? Math.min(options.gracePeriodSeconds ?? Infinity, meta.deletionGracePeriodSeconds ?? 0)
      : (type.gracePeriodSeconds?.(current.object, options.gracePeriodSeconds) ?? 0);
    if (!alreadyDeleting) {
      meta.deletionTimestamp = timestamp(Date.now() + grace * 1000);
      type.onDeletionStarted?.(next);
    }
    meta.deletionGracePeriodSeconds = grace;
    if (options.dryRun) return { entry: unstored(next), deleted: false };
    const entry = this.commit(type, current, next);
    return { entry, deleted: !this.find(type, namespace, name) };
  }

  private validate(type: ResourceType, object: KubeObject): FieldError[] {
    return [...validateObjectMeta(object.metadata, type.nameRule, type.namespaced), ...(type.validate?.(object) ?? [])];
  }

  private checkUid(type: ResourceType, current: Entry, uid: string | undefined): void {
    const actual = current.object.metadata.uid;
    if (uid && uid !== actual) {
      throw conflict(type, current.object.metadata.name!, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${actual}`);
    }
  }

  private setPropagationFinalizers(object: KubeObject, policy: Propagation): void {
    withoutFinalizer(object, FINALIZER_ORPHAN);
    withoutFinalizer(object, FINALIZER_FOREGROUND);
    const finalizer = policy === 'Orphan' ? FINALIZER_ORPHAN : policy === 'Foreground' ? FINALIZER_FOREGROUND : undefined;
    if (finalizer) object.metadata.finalizers = [...(object.metadata.finalizers ?? []), finalizer];
  }

  private checkNamespaceAcceptsContent(type: ResourceType, namespace: string, name: string): void {
    const ns = this.store.get('namespaces', undefined, namespace);
    if (!ns) throw notFound({ resource: 'namespaces', group: '', kind: 'Namespace' }, namespace);
    if (isDeleting(ns.object)) {
      throw forbidden(type, name, `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  private withStatusOf(current: Entry, body: KubeObject): KubeObject {
    const next = editable(current);
    if (body.status === undefined) delete next.status;
    else next.status = body.status;
    return next;
  }

  private withSystemFieldsOf(type: ResourceType, current: Entry, body: KubeObject): KubeObject {
    const next = withoutTypeMeta(body);
    const meta = { ...(next.metadata ?? {}) };
    const old = current.object.metadata;
    meta.name = old.name;
    if (type.namespaced) meta.namespace = old.namespace;
    for (const field of SYSTEM_FIELDS) {
      if (old[field] === undefined) delete meta[field];
      else (meta as Record<string, unknown>)[field] = old[field];
    }
    next.metadata = meta;
    if (type.hasStatusSubresource) {
      if (current.object.status === undefined) delete next.status;
      else next.status = current.object.status;
    }
    type.normalize?.(next);
    return next;
  }

  private finalizerRules(current: KubeObject, next: KubeObject): FieldError[] {
    if (!isDeleting(current)) return [];
    const before = new Set(current.metadata.finalizers ?? []);
    const added = (next.metadata.finalizers ?? []).some((f) => !before.has(f));
    return added ? [FieldError.forbidden('metadata.finalizers', 'no new finalizers can be added if the object is being deleted')] : [];
  }

  /** Writes `next` over `current` unless nothing changed; removes it once a deletion has nothing left to wait for. */
  private commit(type: ResourceType, current: Entry, next: KubeObject): Entry {
    next.metadata.resourceVersion = current.object.metadata.resourceVersion;
    if (type.tracksGeneration && !jsonEqual(next.spec, current.object.spec)) {
      next.metadata.generation = (current.object.metadata.generation ?? 0) + 1;
    }
    if (isDeleting(next) && this.nothingHolds(type, next)) return this.store.remove(type.resource, next);
    if (jsonEqual(next, current.object)) return current;
    return this.store.update(type.resource, next);
  }

  private nothingHolds(type: ResourceType, object: KubeObject): boolean {
    return !object.metadata.finalizers?.length && !object.metadata.deletionGracePeriodSeconds && !type.holdsDeletion?.(object);
  }
}
