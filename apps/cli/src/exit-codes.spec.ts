import { describe, expect, it } from '@jest/globals';
import { ExitCode, exitCodeOf, exitCodeOfStatus } from './exit-codes.js';

describe('exit codes', () => {
  it.each([
    ['succeeded', null, 0],
    ['failed', 'Error', 1],
    ['failed', 'OOMKilled', 1],
    ['failed', 'ImagePullBackOff', 2],
    ['failed', 'ErrImagePull', 2],
    ['failed', 'InvalidImageName', 2],
    ['failed', 'JobNotCreated', 2],
    ['failed', 'CredentialsNotIssued', 2],
    ['timed_out', 'DeadlineExceeded', 3],
    ['cancelled', 'Cancelled', 4],
  ] as const)('mirror a %s job (reason %s) as %i', (status, reason, code) => {
    expect(exitCodeOf({ status, reason })).toBe(code);
  });

  it('have none for a job that has not ended', () => {
    expect(exitCodeOf({ status: 'queued', reason: null })).toBeUndefined();
    expect(exitCodeOf({ status: 'running', reason: null })).toBeUndefined();
  });

  it('tell refusals, authentication, unknown jobs and other api errors apart', () => {
    expect(exitCodeOfStatus(400, [400, 409])).toBe(ExitCode.REFUSED);
    expect(exitCodeOfStatus(400)).toBe(ExitCode.API_ERROR);
    expect(exitCodeOfStatus(401)).toBe(ExitCode.UNAUTHORIZED);
    expect(exitCodeOfStatus(403, [400])).toBe(ExitCode.UNAUTHORIZED);
    expect(exitCodeOfStatus(404)).toBe(ExitCode.NOT_FOUND);
    expect(exitCodeOfStatus(503)).toBe(ExitCode.API_ERROR);
  });

  it('keep the client\'s own errors at 10 and up, apart from the job\'s', () => {
    const own = Object.entries(ExitCode).filter(([name]) => !['SUCCEEDED', 'FAILED', 'REFUSED', 'TIMED_OUT', 'CANCELLED'].includes(name));
    expect(own.every(([, code]) => code >= 10)).toBe(true);
    expect(new Set(Object.values(ExitCode)).size).toBe(Object.keys(ExitCode).length);
  });
});
