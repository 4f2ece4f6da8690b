import { JOB_STATUSES, type JobStatus } from '@app/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';

export const MAX_PAGE_SIZE = 100;

/** Paging shared by every listing. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20, description: 'Records per page.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: `limit must be 1 to ${MAX_PAGE_SIZE}` })
  @Max(MAX_PAGE_SIZE, { message: `limit must be 1 to ${MAX_PAGE_SIZE}` })
  limit = 20;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.' })
  @IsOptional()
  @IsString({ message: 'cursor must be a string' })
  cursor?: string;
}

export class ListJobsQuery extends PageQuery {
  @ApiPropertyOptional({
    description: 'Only jobs with one of these statuses (comma-separated); all when absent.',
    example: 'running',
    enum: JOB_STATUSES,
    isArray: true,
  })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((status) => status.trim()) : value))
  @IsIn(JOB_STATUSES, { each: true, message: `status must be one or more of ${JOB_STATUSES.join(', ')}` })
  status?: JobStatus[];
}
