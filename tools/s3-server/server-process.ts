import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import type { S3Endpoint, S3ServerOptions, S3User } from './s3-server.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY = resolve(import.meta.dirname, 'serve.ts');

export type S3ProcessRequest = { call: 'addUser'; user: S3User } | { call: 'requests' };
/** A request from the parent to the server's process (serve.ts), answered by an `S3ProcessAnswer` of the same id. */
export type S3ProcessCall = S3ProcessRequest & { id: number };
export type S3ProcessAnswer = { id: number; requests?: string[] };
/** The process's first message, once it listens. */
export type S3ProcessReady = { ready: Pick<S3Endpoint, 'endpoint' | 'host' | 'port' | 'accessKey' | 'secretKey'> };

/** The S3 test server in a process of its own: its CPU time is its own (`pid`), and its request log is asked for. */
export interface S3ServerProcess extends S3Endpoint {
  pid: number;
  addUser(user: S3User): Promise<void>;
  /** Every request so far as `METHOD path?query`, as `S3Server.requests`. */
  requestLog(): Promise<string[]>;
}

/** Starts the S3 test server (with these options) in a child process, over Node IPC; it ends with this process. */
export async function startS3ServerProcess(options: S3ServerOptions = {}): Promise<S3ServerProcess> {
  const child = fork(ENTRY, [JSON.stringify(options)], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = once(child, 'exit');
  const [message] = (await Promise.race([
    once(child, 'message'),
    exited.then(([code]) => Promise.reject(new Error(`the S3 server process exited with ${code} before listening`))),
  ])) as [S3ProcessReady];
  const calls = new Calls(child, exited);
  return {
    ...message.ready,
    pid: child.pid!,
    addUser: async (user) => void (await calls.make({ call: 'addUser', user })),
    requestLog: async () => (await calls.make({ call: 'requests' })).requests!,
    async stop() {
      // Cut off, it stops its server and removes its objects (many, perhaps, and on tmpfs) before it exits.
      if (child.connected) child.disconnect();
      await exited;
    },
  };
}

/** Calls in flight to the child, each resolved by the answer with its id, or rejected should the child end first. */
class Calls {
  private readonly pending = new Map<number, { resolve: (answer: S3ProcessAnswer) => void; reject: (error: Error) => void }>();
  private nextId = 0;

  constructor(
    private readonly child: ChildProcess,
    exited: Promise<unknown[]>,
  ) {
    child.on('message', (answer: S3ProcessAnswer) => {
      this.pending.get(answer.id)?.resolve(answer);
      this.pending.delete(answer.id);
    });
    void exited.then(([code]) => {
      for (const call of this.pending.values()) call.reject(new Error(`the S3 server process exited with ${code}`));
      this.pending.clear();
    });
  }

  make(request: S3ProcessRequest): Promise<S3ProcessAnswer> {
    if (!this.child.connected) return Promise.reject(new Error('the S3 server process has ended'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...request, id } satisfies S3ProcessCall);
    });
  }
}
