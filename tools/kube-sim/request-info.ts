/** What an HTTP request asks of the API, derived from method and path as the API server's RequestInfo does. Pure. */
import type { Verb } from './resources/index.js';

export interface RequestInfo {
  /** False for /version, discovery, OpenAPI and unknown paths. */
  isResourceRequest: boolean;
  verb: Verb | string;
  /** '' for the core group. */
  group?: string;
  version?: string;
  namespace?: string;
  resource?: string;
  name?: string;
  subresource?: string;
}

/** Namespace subresources that `/namespaces/{name}/…` can name, as opposed to resources inside a namespace. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const nonResource: RequestInfo = { isResourceRequest: false, verb: method.toLowerCase() };
  let parts = path.split('/').filter(Boolean);
  let group: string;
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    parts = parts.slice(1);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1];
    parts = parts.slice(2);
  } else return nonResource;
  const version = parts[0];
  parts = parts.slice(1);
  if (!parts.length) return nonResource;

  let watchPrefix = false;
  if (parts[0] === 'watch') {
    watchPrefix = true;
    parts = parts.slice(1);
  }
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1];
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2])) parts = parts.slice(2);
  }
  const [resource, name, subresource] = parts;
  const isWatch = watchPrefix || ['1', 'true'].includes(query.get('watch') ?? '');
  let verb: string;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = isWatch ? 'watch' : name ? 'get' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = method.toLowerCase();
  }
  return { isResourceRequest: true, verb, group, version, namespace, resource, name, subresource };
}
