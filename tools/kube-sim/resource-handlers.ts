/** The REST verbs on resources: get, list (JSON or Table), watch, create, update, patch, delete, deletecollection, pods/log. */
import { badRequest, FieldError, invalid, methodNotAllowed, routeNotFound, unsupportedMediaType } from './errors.js';
import type { Exchange } from './http-exchange.js';
import type { Kubelet } from './kubelet.js';
import { isPlainObject, type KubeObject } from './meta.js';
import { applyPatch, PATCH_TYPES } from './patch.js';
import { selectLog } from './pod-logs.js';
import { fieldSelectorsOf, type DeleteOptions, type ListResult, type Registry } from './registry.js';
import { checkFields, decodeObject, fieldValidationOf, mediaType, parseJsonBody } from './request-body.js';
import type { Propagation, ResourceType } from './resources/index.js';
import { checkFieldSelector, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { Entry } from './store.js';
import { acceptsTable, TABLE_CONTENT_TYPE, toTable, type IncludeObject } from './tables.js';
import type { SimTiming } from './timing.js';
import { withTypeMeta, type WatchHub } from './watch.js';

function integerParam(exchange: Exchange, name: string): number | undefined {
  const value = exchange.query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) throw badRequest(`${name}: Invalid value: "${value}": must be a valid integer`);
  return Number(value);
}

const booleanParam = (exchange: Exchange, name: string) => ['true', '1'].includes(exchange.query.get(name) ?? '');
const isDryRun = (exchange: Exchange) => exchange.query.getAll('dryRun').includes('All');

function includeObjectOf(exchange: Exchange): IncludeObject {
  const value = exchange.query.get('includeObject') ?? 'Metadata';
  if (value !== 'None' && value !== 'Metadata' && value !== 'Object') throw badRequest(`includeObject: Unsupported value: "${value}"`);
  return value;
}

export class ResourceHandlers {
  constructor(
    private readonly registry: Registry,
    private readonly watches: WatchHub,
    private readonly kubelet: Kubelet,
    private readonly timing: SimTiming,
  ) {}

  async handle(exchange: Exchange, type: ResourceType, body: () => Promise<Buffer>): Promise<void> {
    const { verb, namespace, name, subresource } = exchange.info;
    const ns = type.namespaced ? namespace : undefined;
    if (subresource && !type.subresources[subresource]) throw routeNotFound();
    if (subresource === 'log') {
      if (verb !== 'get') throw methodNotAllowed();
      return this.log(exchange, type, ns, name!);
    }
    if (!type.verbs.includes(verb as never) || (subresource && !type.subresources[subresource].verbs.includes(verb as never))) {
      throw methodNotAllowed();
    }
    switch (verb) {
      case 'get':
        return this.respondObject(exchange, type, this.registry.get(type, ns, name!));
      case 'list':
        return this.list(exchange, type, ns);
      case 'watch':
        return this.watch(exchange, type, ns, name);
      case 'create':
        if (name) throw methodNotAllowed();
        return this.create(exchange, type, ns, await body());
      case 'update':
        return this.update(exchange, type, ns, name!, await body());
      case 'patch':
        return this.patch(exchange, type, ns, name!, await body());
      case 'delete':
        return this.delete(exchange, type, ns, name!, await body());
      case 'deletecollection':
        return this.deleteCollection(exchange, type, ns, await body());
      default:
        throw methodNotAllowed();
    }
  }

  /** Answers with the entry's JSON as the store (or a dry run) serialised it. */
  private respondObject(exchange: Exchange, type: ResourceType, { object, json }: Entry, code = 200): void {
    if (acceptsTable(exchange.request.headers.accept)) {
      const table = toTable(type, [object], { resourceVersion: object.metadata.resourceVersion ?? '', includeObject: includeObjectOf(exchange) });
      return exchange.send(code, table, TABLE_CONTENT_TYPE);
    }
    exchange.send(code, withTypeMeta(type, json));
  }

  private selectors(exchange: Exchange) {
    return {
      labelSelector: parseLabelSelector(exchange.query.get('labelSelector') ?? undefined),
      fieldSelector: parseFieldSelector(exchange.query.get('fieldSelector') ?? undefined),
    };
  }

  private list(exchange: Exchange, type: ResourceType, namespace: string | undefined): void {
    const limit = integerParam(exchange, 'limit');
    const result: ListResult = this.registry.list(type, namespace, {
      ...this.selectors(exchange),
      limit: limit && limit > 0 ? limit : undefined,
      continueToken: exchange.query.get('continue') ?? undefined,
    });
    if (acceptsTable(exchange.request.headers.accept)) {
      const table = toTable(
        type,
        result.entries.map((e) => e.object),
        { resourceVersion: result.resourceVersion, continueToken: result.continueToken, remainingItemCount: result.remainingItemCount, includeObject: includeObjectOf(exchange) },
      );
      return exchange.send(200, table, TABLE_CONTENT_TYPE);
    }
    const metadata = JSON.stringify({
      resourceVersion: result.resourceVersion,
      ...(result.continueToken ? { continue: result.continueToken } : {}),
      ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
    });
    exchange.send(200, this.listJson(type, metadata, result.entries));
  }

  /** Items are the stored JSON as it is: a list costs no serialisation. */
  private listJson(type: ResourceType, metadata: string, entries: Entry[]): string {
    return `{"kind":"${type.listKind}","apiVersion":"${type.apiVersion}","metadata":${metadata},"items":[${entries.map((e) => e.json).join(',')}]}`;
  }

  private watch(exchange: Exchange, type: ResourceType, namespace: string | undefined, name: string | undefined): void {
    const selectors = this.selectors(exchange);
    // A watch on one named object is a watch on the collection for that name.
    if (name) selectors.fieldSelector.push({ field: 'metadata.name', operator: '=', value: name });
    checkFieldSelector(selectors.fieldSelector, Object.keys(fieldSelectorsOf(type)));
    const resourceVersion = exchange.query.get('resourceVersion') ?? undefined;
    if (resourceVersion && !/^\d+$/.test(resourceVersion)) throw badRequest(`resourceVersion: Invalid value: "${resourceVersion}": must be a valid integer`);
    const timeoutSeconds = integerParam(exchange, 'timeoutSeconds');
    const table = acceptsTable(exchange.request.headers.accept);
    const includeObject = includeObjectOf(exchange);
    let first = true;
    exchange.head(200, { 'Content-Type': table ? TABLE_CONTENT_TYPE : 'application/json', 'Transfer-Encoding': 'chunked' });
    // kubectl wait relies on the headers arriving before the first event.
    exchange.response.flushHeaders();
    this.watches.open(
      exchange.response,
      {
        type,
        namespace,
        ...selectors,
        resourceVersion,
        allowBookmarks: booleanParam(exchange, 'allowWatchBookmarks'),
        sendInitialEvents: booleanParam(exchange, 'sendInitialEvents'),
        timeoutMs: timeoutSeconds && timeoutSeconds > 0 ? timeoutSeconds * 1000 : this.timing.defaultWatchTimeoutMs,
        format: table
          ? (eventType, object) => {
              const row = toTable(type, [object], { resourceVersion: object.metadata.resourceVersion ?? '', includeObject, noHeaders: !first });
              first = false;
              return `{"type":"${eventType}","object":${JSON.stringify(row)}}\n`;
            }
          : undefined,
      },
      {
        resource: type.resource,
        ...(namespace ? { namespace } : {}),
        ...(exchange.query.get('labelSelector') ? { labelSelector: exchange.query.get('labelSelector')! } : {}),
        ...(exchange.query.get('fieldSelector') || name ? { fieldSelector: exchange.query.get('fieldSelector') ?? `metadata.name=${name}` } : {}),
      },
    );
  }

  private create(exchange: Exchange, type: ResourceType, namespace: string | undefined, body: Buffer): void {
    const object = decodeObject(body, exchange.request.headers['content-type'], type);
    exchange.warnings.push(...checkFields(object, type, fieldValidationOf(exchange.query.get('fieldValidation'))));
    const created = this.registry.create(type, namespace, object, isDryRun(exchange));
    // The path of a create names no object; the request log names the one created (generateName included).
    exchange.record.name = created.object.metadata.name;
    this.respondObject(exchange, type, created, 201);
  }

  private update(exchange: Exchange, type: ResourceType, namespace: string | undefined, name: string, body: Buffer): void {
    const object = decodeObject(body, exchange.request.headers['content-type'], type);
    exchange.warnings.push(...checkFields(object, type, fieldValidationOf(exchange.query.get('fieldValidation'))));
    this.respondObject(exchange, type, this.registry.update(type, namespace, name, object, exchange.info.subresource, isDryRun(exchange)));
  }

  private patch(exchange: Exchange, type: ResourceType, namespace: string | undefined, name: string, body: Buffer): void {
    const media = mediaType(exchange.request.headers['content-type']);
    if (!PATCH_TYPES.includes(media)) throw unsupportedMediaType(media, PATCH_TYPES);
    const validation = fieldValidationOf(exchange.query.get('fieldValidation'));
    const current = JSON.parse(withTypeMeta(type, this.registry.get(type, namespace, name).json));
    const patched = applyPatch(media, current, parseJsonBody(body, 'error decoding patch'), type.schema);
    if (!isPlainObject(patched)) throw badRequest('the patch did not result in an object');
    const object = patched as KubeObject;
    // Strict decoding of a patched object fails as the API server words it: an invalid "patch" field.
    const strictError = (message: string) => invalid({ resource: '', group: '', kind: '' }, '', [FieldError.invalid('patch', JSON.stringify(object), message)]);
    exchange.warnings.push(...checkFields(object, type, validation, strictError));
    this.respondObject(exchange, type, this.registry.update(type, namespace, name, object, exchange.info.subresource, isDryRun(exchange)));
  }

  /** DeleteOptions come in the body (kubectl) or the query (client-node's optional parameters). */
  private deleteOptions(exchange: Exchange, body: Buffer): DeleteOptions {
    const fromBody = body.length ? parseJsonBody(body, "couldn't decode DeleteOptions") : {};
    const options: Record<string, any> = isPlainObject(fromBody) ? fromBody : {};
    const policy = (options.propagationPolicy ?? exchange.query.get('propagationPolicy') ?? undefined) as Propagation | undefined;
    if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
    }
    const orphan = options.orphanDependents ?? (exchange.query.has('orphanDependents') ? booleanParam(exchange, 'orphanDependents') : undefined);
    if (policy && orphan !== undefined) throw badRequest('orphanDependents: Invalid value: ...: orphanDependents and deletionPropagation cannot be both set');
    return {
      propagationPolicy: policy,
      orphanDependents: orphan,
      gracePeriodSeconds: options.gracePeriodSeconds ?? integerParam(exchange, 'gracePeriodSeconds'),
      preconditions: options.preconditions,
      dryRun: (Array.isArray(options.dryRun) && options.dryRun.includes('All')) || isDryRun(exchange),
    };
  }

  private delete(exchange: Exchange, type: ResourceType, namespace: string | undefined, name: string, body: Buffer): void {
    const options = this.deleteOptions(exchange, body);
    if (!options.propagationPolicy && options.orphanDependents === undefined && type.defaultDeletionWarning) exchange.warnings.push(type.defaultDeletionWarning);
    const { entry, deleted } = this.registry.delete(type, namespace, name, options);
    const code = !deleted && options.orphanDependents === false ? 202 : 200;
    if (deleted && !type.returnsDeletedObject) {
      return exchange.send(code, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, ...(type.group ? { group: type.group } : {}), kind: type.resource, uid: entry.object.metadata.uid },
      });
    }
    this.respondObject(exchange, type, entry, code);
  }

  private deleteCollection(exchange: Exchange, type: ResourceType, namespace: string | undefined, body: Buffer): void {
    const options = this.deleteOptions(exchange, body);
    const { entries } = this.registry.list(type, namespace, this.selectors(exchange));
    const deleted = entries.map((entry) => this.registry.delete(type, entry.object.metadata.namespace, entry.object.metadata.name!, options).entry);
    exchange.send(200, this.listJson(type, JSON.stringify({ resourceVersion: String(this.registry.store.resourceVersion) }), deleted));
  }

  private log(exchange: Exchange, type: ResourceType, namespace: string | undefined, name: string): void {
    const pod = this.registry.get(type, namespace, name).object;
    const sinceSeconds = integerParam(exchange, 'sinceSeconds');
    const sinceTime = exchange.query.get('sinceTime');
    const request = {
      container: exchange.query.get('container') ?? undefined,
      follow: booleanParam(exchange, 'follow'),
      previous: booleanParam(exchange, 'previous'),
      timestamps: booleanParam(exchange, 'timestamps'),
      tailLines: integerParam(exchange, 'tailLines'),
      limitBytes: integerParam(exchange, 'limitBytes'),
      sinceMs: sinceSeconds !== undefined ? Date.now() - sinceSeconds * 1000 : sinceTime ? Date.parse(sinceTime) : undefined,
    };
    const log = selectLog(pod, request, (container) => this.kubelet.logOf(pod.metadata.uid!, container));
    if (!log) return exchange.send(200, '', 'text/plain');
    if (!request.follow) return exchange.send(200, log.read(request), 'text/plain');
    exchange.head(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    exchange.response.flushHeaders();
    const response = exchange.response;
    const unfollow = log.follow(
      (text) => response.write(text),
      () => response.end(),
      request,
    );
    response.on('close', unfollow);
  }
}
