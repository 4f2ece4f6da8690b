import { Inject, Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { AmqpPublisher, countReconnects } from '@app/messaging';

@Injectable()
export class ApiMetrics {
  readonly submissions: Counter<'outcome'>;

  constructor(@Inject(Registry) registry: Registry, @Inject(AmqpPublisher) publisher: AmqpPublisher) {
    this.submissions = new Counter({
      name: 'cloud_worker_submissions_total',
      help: 'Work requests submitted over HTTP, by outcome (accepted, replayed, invalid, conflict, unavailable).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    countReconnects(registry, publisher);
  }
}
