import type { V1Pod, V1Status } from '@kubernetes/client-node';
import { backoff } from '@app/observability';
import type { IBackoff } from 'cockatiel';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeApiError, type KubeApi, type WatchEvent } from './kube-api.js';
import { JOB_NAME_LABEL } from './labels.js';

export type RestartReason = 'expired' | 'stalled' | 'closed' | 'error';

export interface PodInformerOptions {
  namespace: string;
  labelSelector: string;
  /** Asked of the server: it ends each watch after this long, and the informer resumes from where it was. */
  watchTimeoutSeconds: number;
  /** No event and no bookmark for this long means the connection is dead though still open. */
  stallSeconds: number;
  onRestart?: (reason: RestartReason, error?: unknown) => void;
}

export type PodChange = { type: 'upsert' | 'delete'; pod: V1Pod; uniqueJobName: string };

/** Pauses between failed lists or watches: from half a second, doubling with jitter, up to 30 s. */
const RETRY_DELAYS = { initialDelayMs: 500, maxDelayMs: 30_000 };

/**
 * Follows every pod of the worker's Jobs through one list-then-watch loop: one watch connection however many
 * Jobs are in flight. Keeps the pods in a cache indexed by Job, resumes from the last resourceVersion when a watch
 * ends, lists again after `410 Gone`, and replaces a watch that has gone silent (the server sends bookmarks, so a
 * healthy watch is never silent for long).
 */
export class PodInformer {
  private readonly pods = new Map<string, V1Pod>();
  private readonly podsByJob = new Map<string, Set<string>>();
  private readonly listeners = new Set<(change: PodChange) => void>();
  private resourceVersion: string | undefined;
  private lastActivity = Date.now();
  private watching = false;
  private stopping = new AbortController();
  private running: Promise<void> | undefined;
  private readonly pauses = backoff(RETRY_DELAYS);

  constructor(
    private readonly kube: KubeApi,
    private readonly options: PodInformerOptions,
  ) {}

  onChange(listener: (change: PodChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the pods are listed (retrying until that works, or until stopped); keeps watching in the background. */
  async start(): Promise<void> {
    this.stopping = new AbortController();
    this.resourceVersion = undefined;
    let listed!: () => void;
    const firstList = new Promise<void>((resolve) => (listed = resolve));
    this.running = this.loop(listed);
    await Promise.race([firstList, this.running]);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  /** A Job's pods, oldest first: its attempts in order. */
  podsOfJob(uniqueJobName: string): V1Pod[] {
    const pods = [...(this.podsByJob.get(uniqueJobName) ?? [])].flatMap((name) => this.pods.get(name) ?? []);
    return pods.sort((a, b) => creationTime(a) - creationTime(b));
  }

  /** Healthy while a watch is open and has shown signs of life within the stall window. */
  health(): { healthy: boolean; watching: boolean; silentForMs: number; pods: number } {
    const silentForMs = Date.now() - this.lastActivity;
    return { healthy: this.watching && silentForMs < this.options.stallSeconds * 1000, watching: this.watching, silentForMs, pods: this.pods.size };
  }

  private async loop(listed: () => void): Promise<void> {
    let pause: IBackoff<unknown> | undefined;
    while (!this.stopping.signal.aborted) {
      try {
        if (this.resourceVersion === undefined) await this.relist();
        listed();
        const reason = await this.watchOnce();
        pause = undefined;
        this.options.onRestart?.(reason);
      } catch (error) {
        if (this.stopping.signal.aborted) break;
        if (error instanceof GoneError) {
          this.resourceVersion = undefined;
          this.options.onRestart?.('expired');
          continue;
        }
        this.options.onRestart?.('error', error);
        pause = (pause ?? this.pauses).next(undefined);
        await sleep(pause.duration, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }

  /** One watch connection, from the last resourceVersion, until the server closes it or it stalls. */
  private async watchOnce(): Promise<RestartReason> {
    const connection = new AbortController();
    const stop = () => connection.abort();
    this.stopping.signal.addEventListener('abort', stop, { once: true });
    let stalled = false;
    this.lastActivity = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - this.lastActivity >= this.options.stallSeconds * 1000) {
        stalled = true;
        connection.abort();
      }
    }, Math.max(100, Math.min(1000, (this.options.stallSeconds * 1000) / 4)));
    try {
      await this.kube.watch<V1Pod | V1Status>(
        `/api/v1/namespaces/${this.options.namespace}/pods`,
        {
          labelSelector: this.options.labelSelector,
          resourceVersion: this.resourceVersion ?? '',
          allowWatchBookmarks: 'true',
          timeoutSeconds: String(this.options.watchTimeoutSeconds),
        },
        {
          onConnected: () => {
            this.watching = true;
            this.lastActivity = Date.now();
          },
          onEvent: (event) => {
            this.lastActivity = Date.now();
            this.apply(event);
          },
        },
        connection.signal,
      );
    } catch (error) {
      if (!(stalled && isAbort(error))) throw error;
    } finally {
      clearInterval(watchdog);
      this.stopping.signal.removeEventListener('abort', stop);
      this.watching = false;
    }
    return stalled ? 'stalled' : 'closed';
  }

  private apply(event: WatchEvent<V1Pod | V1Status>): void {
    if (event.type === 'ERROR') {
      const status = event.object as V1Status;
      if (status.code === 410) throw new GoneError();
      throw new KubeApiError(status.code ?? 500, status.reason ?? 'WatchError', status.message ?? 'watch error');
    }
    const pod = event.object as V1Pod;
    this.resourceVersion = pod.metadata?.resourceVersion ?? this.resourceVersion;
    if (event.type === 'BOOKMARK') return;
    if (event.type === 'DELETED') this.remove(pod);
    else this.upsert(pod);
  }

  /** Lists all pods and brings the cache in line, telling listeners of every difference. */
  private async relist(): Promise<void> {
    const list = await this.kube.listPods(this.options.namespace, this.options.labelSelector);
    const listed = new Set(list.items.map((pod) => pod.metadata!.name!));
    for (const [name, pod] of this.pods) if (!listed.has(name)) this.remove(pod);
    for (const pod of list.items) this.upsert(pod);
    this.resourceVersion = list.metadata?.resourceVersion;
    this.lastActivity = Date.now();
  }

  private upsert(pod: V1Pod): void {
    const name = pod.metadata!.name!;
    const previous = this.pods.get(name);
    if (previous?.metadata?.resourceVersion === pod.metadata?.resourceVersion && previous) return;
    this.pods.set(name, pod);
    const uniqueJobName = uniqueJobNameOf(pod);
    if (uniqueJobName) {
      let names = this.podsByJob.get(uniqueJobName);
      if (!names) this.podsByJob.set(uniqueJobName, (names = new Set()));
      names.add(name);
      this.notify({ type: 'upsert', pod, uniqueJobName });
    }
  }

  private remove(pod: V1Pod): void {
    const name = pod.metadata!.name!;
    const cached = this.pods.get(name) ?? pod;
    this.pods.delete(name);
    const uniqueJobName = uniqueJobNameOf(cached);
    if (!uniqueJobName) return;
    const names = this.podsByJob.get(uniqueJobName);
    names?.delete(name);
    if (names?.size === 0) this.podsByJob.delete(uniqueJobName);
    this.notify({ type: 'delete', pod: cached, uniqueJobName });
  }

  private notify(change: PodChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure is its own; the watch must go on for every other Job.
      }
    }
  }
}

class GoneError extends Error {
  constructor() {
    super('resourceVersion too old (410 Gone)');
  }
}

function uniqueJobNameOf(pod: V1Pod): string | undefined {
  return pod.metadata?.labels?.[JOB_NAME_LABEL];
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

function creationTime(pod: V1Pod): number {
  const created = pod.metadata?.creationTimestamp;
  return created ? new Date(created).getTime() : 0;
}
