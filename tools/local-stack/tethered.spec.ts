import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { eventually } from '../../test/support/system.js';
import { spawnTethered } from './tethered.js';

/** The command line of a pid, '' once it is gone or a zombie. */
function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

describe('spawnTethered', () => {
  it('runs the command itself (setpriv execs it): its pid, its exit code', async () => {
    const child = spawnTethered('sh', ['-c', 'sleep 0.3; exit 7'], { stdio: 'ignore' });
    // Read only once settled: while setpriv execs the command, /proc/<pid>/cmdline reads empty (CI saw it).
    await eventually(() => commandOf(child.pid!) === 'sh -c sleep 0.3; exit 7', 2_000, 'setpriv to exec the command');
    expect(await once(child, 'exit')).toEqual([7, null]);
  });

  it('fails as spawn fails for a command that cannot run, naming the command and not setpriv', async () => {
    for (const [command, cwd] of [
      ['no-such-command', undefined],
      ['./no-such-script', '/tmp'],
      ['sh', '/no/such/dir'],
    ] as const) {
      const [error] = (await once(spawnTethered(command, [], { cwd, stdio: 'ignore' }), 'error')) as [NodeJS.ErrnoException];
      expect({ code: error.code, message: error.message }).toEqual({ code: 'ENOENT', message: `spawn ${command} ENOENT` });
    }
  });

  it('ends the child with SIGTERM when its parent is SIGKILLed', async () => {
    // A parent whose one job is to start a tethered sleep and print its pid.
    const parent = spawn(
      process.execPath,
      ['--import', 'tsx', '-e', `import('./tools/local-stack/tethered.ts').then(({ spawnTethered }) => console.log(spawnTethered('sleep', ['60'], { stdio: 'ignore' }).pid))`],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
    );
    const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
    const pid = Number(line.toString().trim());
    await eventually(() => commandOf(pid) === 'sleep 60', 5_000, 'the tethered sleep to run');
    parent.kill('SIGKILL');
    await eventually(() => commandOf(pid) === '', 5_000, 'the tethered sleep to end with its parent');
  });
});
