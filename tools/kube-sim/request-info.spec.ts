import { describe, expect, it } from '@jest/globals';
import { parseRequestInfo } from './request-info.js';

const info = (method: string, path: string) => {
  const url = new URL(path, 'http://x');
  return parseRequestInfo(method, url.pathname, url.searchParams);
};

describe('request info', () => {
  it.each([
    ['GET', '/apis/batch/v1/namespaces/ns/jobs', { verb: 'list', group: 'batch', resource: 'jobs', namespace: 'ns' }],
    ['GET', '/apis/batch/v1/namespaces/ns/jobs?watch=true', { verb: 'watch', resource: 'jobs' }],
    ['GET', '/api/v1/watch/namespaces/ns/pods', { verb: 'watch', resource: 'pods', namespace: 'ns' }],
    ['GET', '/apis/batch/v1/namespaces/ns/jobs/x', { verb: 'get', name: 'x' }],
    ['PUT', '/apis/batch/v1/namespaces/ns/jobs/x/status', { verb: 'update', name: 'x', subresource: 'status' }],
    ['GET', '/api/v1/namespaces/ns/pods/p/log', { verb: 'get', group: '', resource: 'pods', name: 'p', subresource: 'log' }],
    ['POST', '/api/v1/namespaces/ns/secrets', { verb: 'create', resource: 'secrets' }],
    ['PATCH', '/apis/batch/v1/namespaces/ns/jobs/x', { verb: 'patch' }],
    ['DELETE', '/apis/batch/v1/namespaces/ns/jobs/x', { verb: 'delete' }],
    ['DELETE', '/apis/batch/v1/namespaces/ns/jobs', { verb: 'deletecollection' }],
    ['GET', '/api/v1/namespaces/ns', { verb: 'get', resource: 'namespaces', name: 'ns' }],
    ['PUT', '/api/v1/namespaces/ns/status', { resource: 'namespaces', name: 'ns', subresource: 'status' }],
    ['GET', '/api/v1/pods', { verb: 'list', resource: 'pods', namespace: undefined }],
  ])('%s %s', (method, path, expected) => {
    expect(info(method, path)).toMatchObject({ isResourceRequest: true, ...expected });
  });

  it.each(['/version', '/api', '/apis', '/api/v1', '/apis/batch/v1', '/openapi/v3'])('%s is not a resource request', (path) => {
    expect(info('GET', path)).toEqual({ isResourceRequest: false, verb: 'get' });
  });
});
