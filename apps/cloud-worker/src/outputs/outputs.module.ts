import { StorageModule } from '@app/storage';
import { Module } from '@nestjs/common';
import { OutputManifests } from './output-manifests.service.js';

/** What ended Jobs wrote to their output buckets: listed, and kept as a manifest beside the log. */
@Module({ imports: [StorageModule], providers: [OutputManifests], exports: [OutputManifests] })
export class OutputsModule {}
