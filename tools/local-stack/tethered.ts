// Children that end with the process that started them, however it ends: used for what npm run dev starts (the
// apps) and for the simulator's containers, so that a SIGKILLed parent leaves nothing running.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * Spawns a process that receives SIGTERM when this one dies, however it dies (SIGKILL included), through the
 * kernel's parent-death signal set by util-linux's `setpriv --pdeathsig`; setpriv then execs the command, so the
 * child keeps its pid, exit code and process group. Without setpriv (macOS), a plain spawn.
 *
 * A command that cannot be run is spawned plainly too, so that it fails as `spawn` fails (an `error` event,
 * ENOENT or EACCES) rather than as a setpriv that exits 127.
 */
export function spawnTethered(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return setprivAvailable() && runnable(command, options) ? spawn('setpriv', ['--pdeathsig', 'SIGTERM', '--', command, ...args], options) : spawn(command, args, options);
}

let setpriv: boolean | undefined;
function setprivAvailable(): boolean {
  setpriv ??= spawnSync('setpriv', ['--pdeathsig', 'SIGTERM', '--', 'true'], { stdio: 'ignore' }).status === 0;
  return setpriv;
}

/**
 * What execvp would find: a path (against the child's cwd) or a name on the child's PATH, an executable file; and
 * a working directory that exists, without which spawn's error would name setpriv rather than the command.
 */
function runnable(command: string, options: SpawnOptions): boolean {
  const cwd = options.cwd === undefined ? process.cwd() : String(options.cwd);
  if (!isDirectory(cwd)) return false;
  const candidates = command.includes('/')
    ? [isAbsolute(command) ? command : resolve(cwd, command)]
    : (options.env?.PATH ?? process.env.PATH ?? '').split(delimiter).map((dir) => join(resolve(cwd, dir || '.'), command));
  return candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
