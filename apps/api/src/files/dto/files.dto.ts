import { ApiProperty } from '@nestjs/swagger';
import { JobOutputDto } from '../../jobs/dto/job-record.dto.js';

const ID = '3f1c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11';

/** What `PUT /files/{bucket}/{key}` stored. */
export class StoredFileDto {
  @ApiProperty({ example: 'test.inputs' })
  bucket!: string;

  @ApiProperty({ example: 'run-1/data.csv' })
  key!: string;

  @ApiProperty({ example: 52428800, description: 'Bytes stored.' })
  size!: number;

  @ApiProperty({ example: 'c3b0a1d2e4f5a6b7c8d9e0f1a2b3c4d5-7', description: "The object's ETag (a multipart upload's ends in `-<parts>`)." })
  etag!: string;
}

export class JobOutputLinkDto extends JobOutputDto {
  @ApiProperty({ example: `/jobs/${ID}/outputs/run-1-result.json`, description: 'Where to download it (`GET`, role read).' })
  url!: string;
}

/** `GET /jobs/{id}/outputs`. */
export class JobOutputsDto {
  @ApiProperty({ example: 'test.outputs' })
  outputBucket!: string;

  @ApiProperty({ type: String, nullable: true, example: `run-1-copy-${ID}.manifest.json`, description: 'The manifest object beside the log; null when the Job wrote nothing.' })
  manifestObject!: string | null;

  @ApiProperty({ type: [JobOutputLinkDto], description: 'In key order.' })
  outputs!: JobOutputLinkDto[];
}
