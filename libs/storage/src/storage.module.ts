import { CommonConfig } from '@app/config';
import { Global, Module, type OnModuleInit, Inject } from '@nestjs/common';
import { JobLogs } from './job-logs.js';
import { JobRecordStore } from './job-record.store.js';
import { ObjectStorage } from './object-storage.js';

@Global()
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
export class StorageModule implements OnModuleInit {
  constructor(@Inject(JobRecordStore) private readonly records: JobRecordStore) {}

  /** The records bucket must exist before the first request; a store that cannot be reached fails the start. */
  async onModuleInit(): Promise<void> {
    await this.records.init();
  }
}
