import { CommonConfig } from '@app/config';
import { Inject, Injectable, Module } from '@nestjs/common';
import { HealthIndicatorService, TerminusModule, type HealthIndicatorResult } from '@nestjs/terminus';
import { ObjectStorage } from './object-storage.js';
import { StorageModule } from './storage.module.js';

/** The S3 store's part of readiness, the same for both apps: the records bucket answers. */
@Injectable()
export class StorageHealthIndicator {
  constructor(
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(CommonConfig) private readonly config: CommonConfig,
  ) {}

  async check(): Promise<HealthIndicatorResult<'s3'>> {
    const s3 = this.indicators.check('s3');
    const bucket = this.config.RECORDS_BUCKET;
    try {
      await this.storage.ping(bucket);
      return s3.up({ bucket });
    } catch (error) {
      return s3.down({ bucket, message: error instanceof Error ? error.message : String(error) });
    }
  }
}

/** `StorageHealthIndicator` with what it needs: the store, and Terminus for its `HealthIndicatorService`. */
@Module({ imports: [StorageModule, TerminusModule], providers: [StorageHealthIndicator], exports: [StorageHealthIndicator] })
export class StorageHealthModule {}
