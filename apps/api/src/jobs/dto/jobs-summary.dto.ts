import type { FinishedInMinute, JobsSummary } from '@app/contracts';
import { ApiProperty } from '@nestjs/swagger';

/** Jobs per status, each counted up to `countLimit`. */
export class StatusCountsDto {
  @ApiProperty({ example: 2017 }) all!: number;
  @ApiProperty({ example: 3 }) queued!: number;
  @ApiProperty({ example: 10 }) running!: number;
  @ApiProperty({ example: 1960 }) succeeded!: number;
  @ApiProperty({ example: 31 }) failed!: number;
  @ApiProperty({ example: 4 }) timed_out!: number;
  @ApiProperty({ example: 9 }) cancelled!: number;
}

export class FinishedInMinuteDto implements FinishedInMinute {
  @ApiProperty({ example: '2026-12-05T15:41:00.000Z', description: 'The start of the minute.' }) minute!: string;
  @ApiProperty({ example: 12 }) succeeded!: number;
  @ApiProperty({ example: 1 }) failed!: number;
  @ApiProperty({ example: 0 }) timed_out!: number;
  @ApiProperty({ example: 0 }) cancelled!: number;
}

/** `GET /jobs/summary`. */
export class JobsSummaryDto implements JobsSummary {
  @ApiProperty({ example: '2026-12-05T16:40:12.000Z' })
  generatedAt!: string;

  @ApiProperty({
    type: StatusCountsDto,
    description:
      "From the record index's names, without reading records; a job changing status may be counted in both for a moment.",
  })
  counts!: StatusCountsDto;

  @ApiProperty({ example: 10000, description: 'Counts stop here: a count equal to it means at least that many.' })
  countLimit!: number;

  @ApiProperty({
    type: [FinishedInMinuteDto],
    description:
      'The jobs that ended in each of the last 60 minutes, oldest first; the last is the current minute so far. Tallied by the api from the ' +
      'results events, after reading up to 1,000 ended records at its start for the hour before it ran.',
  })
  finishedPerMinute!: FinishedInMinuteDto[];
}
