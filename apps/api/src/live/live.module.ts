import { kubeAccessProviders } from '@app/kube';
import { StorageModule } from '@app/storage';
import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module.js';
import { LiveEvents } from './live-events.service.js';
import { LiveLogs } from './live-logs.service.js';
import { LiveController } from './live.controller.js';
import { OpenStreams } from './open-streams.js';
import { ResultFeedModule } from './result-feed.module.js';

/** Jobs followed live: logs from the Kubernetes API (read-only), record changes from the results exchange. */
@Module({
  imports: [JobsModule, ResultFeedModule, StorageModule],
  controllers: [LiveController],
  providers: [...kubeAccessProviders(), LiveEvents, LiveLogs, OpenStreams],
})
export class LiveModule {}
