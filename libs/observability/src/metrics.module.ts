import { Module } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { MetricsController } from './metrics.controller.js';

/** A Prometheus registry per process, with Node's default metrics, served at `/metrics`. */
@Module({
  controllers: [MetricsController],
  providers: [
    {
      provide: Registry,
      useFactory: () => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry, prefix: 'cloud_worker_' });
        return registry;
      },
    },
  ],
  exports: [Registry],
})
export class MetricsModule {}
