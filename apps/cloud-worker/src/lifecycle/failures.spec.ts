import { describe, expect, it } from '@jest/globals';
import { KubeApiError } from '@app/kube';
import { classifyFailure } from './failures.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('classifyFailure', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 10.0.0.1:443', 'ECONNREFUSED')],
    ['an answer cut in the middle of a chunk', withCode('Parse Error: Invalid character in chunk size', 'HPE_INVALID_CHUNK_SIZE')],
    ['an expired server certificate', withCode('certificate has expired', 'CERT_HAS_EXPIRED')],
    ['a certificate for another name', withCode("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID')],
    ['a CA not trusted (yet)', withCode('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')],
    ['a time-out', Object.assign(new Error('the Kubernetes API did not answer within 30000 ms'), { name: 'TimeoutError' })],
    ['a throttled API call', new KubeApiError(429, 'TooManyRequests', 'slow down')],
    ['a fetch failure wrapping its cause', Object.assign(new TypeError('fetch failed'), { cause: withCode('read ECONNRESET', 'ECONNRESET') })],
  ])('retries %s with backoff for as long as it lasts', (_, error) => {
    expect(classifyFailure(error)).toBe('transient');
  });

  it.each([
    ['a refusal by the API', new KubeApiError(403, 'Forbidden', 'jobs.batch is forbidden')],
    ['an invalid object', new KubeApiError(422, 'Invalid', 'spec.template: Invalid value')],
    ['an error of no known kind (a bug)', new TypeError("Cannot read properties of undefined (reading 'metadata')")],
    ['a Node error that is not about the network', withCode('The "path" argument must be of type string', 'ERR_INVALID_ARG_TYPE')],
  ])('ends %s after its attempts', (_, error) => {
    expect(classifyFailure(error)).toBe('permanent');
  });
});
