/**
 * Measurements 2 (dispatch at low load) and 3 (completion): one request at a time through one worker, each
 * published only after the previous one's reply, so nothing queues. In the same round, the floors made of the
 * steps each path cannot avoid, done with the raw clients one after another:
 *   dispatch    a message's hop through RabbitMQ (publish → consumer) + a Job create through client-node
 *   completion  read the pod's log + S3 put of the log + conditional S3 put of the record + a confirmed publish
 *               of the reply
 */
import { ObjectStorage } from '@app/storage';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Channel, ConfirmChannel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { eventually, NAMESPACE } from '../test/support/system.js';
import { JobProbe, oneShotJob, startSystem, stopSystem, storageOptions, type BenchSettings, type BenchSystem } from './harness.js';
import { median } from './stats.js';

export interface LatencyRound {
  dispatch: number[];
  completion: number[];
  hop: number[];
  create: number[];
  completionFloor: number[];
}

export async function benchLatency(settings: BenchSettings, concurrency: number, rounds: number, jobsPerRound: number, onRound: (round: LatencyRound) => void): Promise<LatencyRound[]> {
  const system = await startSystem(settings, { workers: 1, concurrency });
  const probe = await JobProbe.start(system);
  const raw = await RawClients.start(system);
  try {
    const results: LatencyRound[] = [];
    for (let round = 0; round < rounds; round++) {
      const names: string[] = [];
      for (let i = 0; i < jobsPerRound; i++) {
        names.push(...probe.publish(1, 'bench/exit'));
        await probe.replied(probe.replyCount + 1, 30_000);
      }
      const result: LatencyRound = { dispatch: probe.dispatchLatencies(names), completion: probe.completionLatencies(names), hop: [], create: [], completionFloor: [] };
      for (let i = 0; i < jobsPerRound; i++) {
        result.hop.push(await raw.hop());
        result.create.push(await raw.createJob());
        result.completionFloor.push(await raw.completionSteps());
      }
      onRound(result);
      results.push(result);
    }
    return results;
  } finally {
    probe.stop();
    await raw.stop();
    await stopSystem(system, settings);
  }
}

/** The raw clients the floors are made of, on the system's RabbitMQ, S3 server and simulator. */
class RawClients {
  private hopWaiter: (() => void) | undefined;
  private created = 0;
  private record: { etag: string; body: string } | undefined;

  private constructor(
    private readonly system: BenchSystem,
    private readonly channel: Channel,
    private readonly confirms: ConfirmChannel,
    private readonly hopQueue: string,
    private readonly batch: BatchV1Api,
    private readonly core: CoreV1Api,
    private readonly storage: ObjectStorage,
  ) {}

  static async start(system: BenchSystem): Promise<RawClients> {
    const channel = await system.amqpConnection.createChannel();
    const confirms = await system.amqpConnection.createConfirmChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(system.sim.kubeconfig);
    const storage = new ObjectStorage(storageOptions(system.s3));
    await storage.ensureBucket('bench-floor');
    const clients = new RawClients(system, channel, confirms, queue, kubeConfig.makeApiClient(BatchV1Api), kubeConfig.makeApiClient(CoreV1Api), storage);
    await channel.consume(queue, () => clients.hopWaiter?.(), { noAck: true });
    return clients;
  }

  /** Publish → delivery to a consumer, through the broker (ms). */
  async hop(): Promise<number> {
    const started = performance.now();
    const delivered = new Promise<void>((resolve) => (this.hopWaiter = resolve));
    this.channel.sendToQueue(this.hopQueue, Buffer.from(JSON.stringify({ id: randomUUID() })), { persistent: true });
    await delivered;
    return performance.now() - started;
  }

  /** One Job create through client-node (ms); the Job (not the worker's kind) runs and leaves a pod to read. */
  async createJob(): Promise<number> {
    const started = performance.now();
    await this.batch.createNamespacedJob({ namespace: NAMESPACE, body: oneShotJob(`floor-${this.created++}`, 'bench/exit', { 'bench-floor': 'true' }) });
    return performance.now() - started;
  }

  /** The steps a Job's completion cannot avoid, one after another (ms). */
  async completionSteps(): Promise<number> {
    const pod = await eventually(() => this.finishedPod(), 5000, 'a finished pod to read a log from');
    this.record ??= await this.putRecord();
    const started = performance.now();
    const log = await this.core.readNamespacedPodLog({ namespace: NAMESPACE, name: pod.metadata.name, container: 'main' });
    await this.storage.put('bench-floor', `${pod.metadata.name}.log`, log, { contentType: 'text/plain; charset=utf-8' });
    const etag = await this.storage.put('bench-floor', 'record.json', this.record.body, { contentType: 'application/json', ifMatch: this.record.etag });
    this.record = { ...this.record, etag };
    await new Promise<void>((resolve, reject) =>
      this.confirms.sendToQueue(this.hopQueue, Buffer.from(this.record!.body), { persistent: true }, (error) => (error ? reject(error) : resolve())),
    );
    return performance.now() - started;
  }

  async stop(): Promise<void> {
    await this.channel.close().catch(() => undefined);
    await this.confirms.close().catch(() => undefined);
  }

  private finishedPod() {
    return this.system.sim
      .list<{ metadata: { name: string; labels: Record<string, string> }; status: { phase: string } }>('pods', NAMESPACE)
      .find((pod) => pod.metadata.labels['bench-floor'] && pod.status.phase === 'Succeeded');
  }

  private async putRecord(): Promise<{ etag: string; body: string }> {
    const body = JSON.stringify({ id: randomUUID(), status: 'succeeded', padding: 'x'.repeat(350) });
    return { etag: await this.storage.put('bench-floor', 'record.json', body, { contentType: 'application/json' }), body };
  }
}

/** The floor of a dispatch: the medians of its two unavoidable steps, added. */
export function dispatchFloor(round: LatencyRound): number {
  return median(round.hop) + median(round.create);
}
