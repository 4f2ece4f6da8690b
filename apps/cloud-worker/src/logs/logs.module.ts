import { Module } from '@nestjs/common';
import { LogCapture } from './log-capture.service.js';

/** Jobs' logs, streamed from their pods into their output buckets. */
@Module({ providers: [LogCapture], exports: [LogCapture] })
export class LogsModule {}
