import { Module } from '@nestjs/common';
import { ResultFeed } from './result-feed.service.js';

/** One subscription to the results exchange per api process, shared by the live streams and the jobs summary. */
@Module({
  providers: [ResultFeed],
  exports: [ResultFeed],
})
export class ResultFeedModule {}
