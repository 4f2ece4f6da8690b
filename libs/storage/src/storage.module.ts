import { CommonConfig } from '@app/config';
import { setTimeout } from 'node:timers/promises';
import { Inject, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { retryPolicy } from '@app/observability';
import { JobLogs } from './job-logs.js';
import { JobRecordStore } from './job-record.store.js';
import { ObjectStorage } from './object-storage.js';

/** How long a stopping app waits to remove the index markers its last status changes left. */
const STALE_MARKERS_AT_SHUTDOWN_MS = 2000;

@Module({
  providers: [
    {
      provide: ObjectStorage,
      inject: [CommonConfig],
      useFactory: (config: CommonConfig) =>
        new ObjectStorage({ endpoint: config.S3_ENDPOINT, accessKey: config.S3_ACCESS_KEY, secretKey: config.S3_SECRET_KEY, region: config.S3_REGION }),
    },
    { provide: JobLogs, inject: [ObjectStorage], useFactory: (storage: ObjectStorage) => new JobLogs(storage) },
    {
      provide: JobRecordStore,
      inject: [ObjectStorage, CommonConfig],
      useFactory: (storage: ObjectStorage, config: CommonConfig) => new JobRecordStore(storage, config.RECORDS_BUCKET),
    },
  ],
  exports: [JobLogs, JobRecordStore, ObjectStorage],
})
export class StorageModule implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(StorageModule.name);
  private readonly stopping = new AbortController();

  constructor(@Inject(JobRecordStore) private readonly records: JobRecordStore) {}

  /**
   * Makes sure the records bucket exists. An S3 store that is not up yet does not stop the process: it keeps
   * trying in the background while readiness reports the store as down.
   */
  async onModuleInit(): Promise<void> {
    try {
      await this.records.init();
    } catch (error) {
      this.logger.warn(`S3 store not reachable yet (${String(error)}); retrying in the background`);
      void this.retryInit();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    // Markers not removed are skipped by listings until one removes them: a store that does not answer does not
    // hold up the stop.
    await Promise.race([this.records.removeStaleMarkers(), setTimeout(STALE_MARKERS_AT_SHUTDOWN_MS, undefined, { ref: false })]);
  }

  private async retryInit(): Promise<void> {
    const untilReady = retryPolicy(() => true, { initialDelayMs: 500, maxDelayMs: 30_000 });
    try {
      await untilReady.execute(() => this.records.init(), this.stopping.signal);
      this.logger.log('S3 store reachable; records bucket ready');
    } catch {
      // Stopped before the store came back; readiness said so meanwhile.
    }
  }
}
