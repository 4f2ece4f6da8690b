import { AmqpPublisher, countReconnects } from '@app/messaging';
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200];
const WAIT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

@Injectable()
export class WorkerMetrics {
  readonly messages: Counter<'outcome'>;
  readonly jobsFinished: Counter<'status'>;
  readonly jobDuration: Histogram<'status'>;
  readonly queueWait: Histogram;
  readonly jobsInFlight: Gauge;
  readonly watchRestarts: Counter<'reason'>;
  readonly kubeRequests: Counter<'verb' | 'resource' | 'code'>;
  readonly reconcileFailures: Counter<'step' | 'kind'>;
  readonly jobsRetrying: Gauge;
  private retrying: () => number = () => 0;

  constructor(@Inject(Registry) registry: Registry, @Inject(AmqpPublisher) publisher: AmqpPublisher) {
    const registers = [registry];
    this.messages = new Counter({
      name: 'cloud_worker_messages_total',
      help: 'Work queue messages handled, by outcome (accepted, invalid, unreadable, conflict, dead_lettered).',
      labelNames: ['outcome'],
      registers,
    });
    this.jobsFinished = new Counter({ name: 'cloud_worker_jobs_finished_total', help: 'Jobs ended, by terminal status.', labelNames: ['status'], registers });
    this.jobDuration = new Histogram({
      name: 'cloud_worker_job_duration_seconds',
      help: 'From the Job starting to its end, by terminal status.',
      labelNames: ['status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.queueWait = new Histogram({ name: 'cloud_worker_queue_wait_seconds', help: 'From a request being recorded as queued (through the api) to its Job being created; one sent straight to RabbitMQ has no record while it waits.', buckets: WAIT_BUCKETS, registers });
    this.jobsInFlight = new Gauge({ name: 'cloud_worker_jobs_in_flight', help: 'Jobs this worker is following right now.', registers });
    this.watchRestarts = new Counter({
      name: 'cloud_worker_watch_restarts_total',
      help: 'Pod watch restarts, by reason (closed: the server ended it as asked; expired: 410 Gone; stalled; error).',
      labelNames: ['reason'],
      registers,
    });
    this.kubeRequests = new Counter({
      name: 'cloud_worker_kube_requests_total',
      help: 'Kubernetes API requests, by verb, resource and response code.',
      labelNames: ['verb', 'resource', 'code'],
      registers,
    });
    this.reconcileFailures = new Counter({
      name: 'cloud_worker_reconcile_failures_total',
      help: 'Failed reconcile steps, by step and kind (transient: retried with backoff; permanent: a refusal, retried MAX_FAILED_ATTEMPTS times).',
      labelNames: ['step', 'kind'],
      registers,
    });
    const metrics = this;
    this.jobsRetrying = new Gauge({
      name: 'cloud_worker_jobs_retrying',
      help: 'Requests waiting out a backoff after a failed step.',
      registers,
      collect() {
        this.set(metrics.retrying());
      },
    });
    countReconnects(registry, publisher);
  }

  /** Where the number of requests in backoff is read from when metrics are scraped. */
  countRetrying(source: () => number): void {
    this.retrying = source;
  }
}
