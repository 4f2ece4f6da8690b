import { StorageModule } from '@app/storage';
import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module.js';
import { FilesController } from './files.controller.js';
import { FilesService } from './files.service.js';
import { OutputsController } from './outputs.controller.js';

/** Files through the api: uploads and downloads of objects, and the outputs of jobs. */
@Module({ imports: [JobsModule, StorageModule], controllers: [FilesController, OutputsController], providers: [FilesService] })
export class FilesModule {}
