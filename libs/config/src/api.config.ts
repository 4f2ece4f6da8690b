import { IsInt, Min } from 'class-validator';
import { CommonConfig } from './common.config.js';
import { ToInteger } from './parsers.js';

export class ApiConfig extends CommonConfig {
  /** Largest accepted request body; work requests are small, so anything bigger is refused early. */
  @ToInteger()
  @IsInt({ message: 'MAX_REQUEST_BYTES must be an integer' })
  @Min(1024, { message: 'MAX_REQUEST_BYTES must be at least 1024' })
  MAX_REQUEST_BYTES = 64 * 1024;
}
