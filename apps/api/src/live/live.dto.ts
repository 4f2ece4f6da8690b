import { ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { ListJobsQuery } from '../jobs/dto/list-jobs.query.js';

export const MAX_TAIL_LINES = 100_000;

export class LogQuery {
  @ApiPropertyOptional({ default: false, description: 'Stream the log while the job runs, into the stored log when it ends; the answer ends with the job.' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'follow must be true or false' })
  follow = false;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_TAIL_LINES, description: 'Only the last lines of the log as it is when asked (following goes on from there).' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: `tail must be an integer from 1 to ${MAX_TAIL_LINES}` })
  @Min(1, { message: `tail must be an integer from 1 to ${MAX_TAIL_LINES}` })
  @Max(MAX_TAIL_LINES, { message: `tail must be an integer from 1 to ${MAX_TAIL_LINES}` })
  tail?: number;
}

/** `GET /events?status=…`: the same status filter as the listing. */
export class EventsQuery extends PickType(ListJobsQuery, ['status'] as const) {}
