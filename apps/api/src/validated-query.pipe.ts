import { describeProblems, fieldProblems } from '@app/contracts';
import { BadRequestException, Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/** Query parameters into their DTO, with bad ones answered in the same 400 format as bad work requests. */
@Injectable()
export class ValidatedQueryPipe implements PipeTransform<unknown, object> {
  transform(value: unknown, metadata: ArgumentMetadata): object {
    const type = metadata.metatype as (new () => object) | undefined;
    if (!type) return value as object;
    const query = plainToInstance(type, value ?? {});
    const problems = fieldProblems(validateSync(query, { forbidUnknownValues: false }));
    if (problems.length === 0) return query;
    throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: `Invalid query: ${describeProblems(problems)}`, errors: problems });
  }
}
