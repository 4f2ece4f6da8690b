import { describeProblems, fieldProblems, type FieldProblem } from '@app/contracts';
import { BadRequestException, HttpException, HttpStatus, ValidationPipe } from '@nestjs/common';

/** A 400 that names each field at fault and the rule it breaks: Nest's Bad Request body with `errors` added. */
export class InvalidInputException extends BadRequestException {
  constructor(subject: 'query' | 'work request' | 'file path', problems: FieldProblem[]) {
    const body = HttpException.createBody(`Invalid ${subject}: ${describeProblems(problems)}`, 'Bad Request', HttpStatus.BAD_REQUEST);
    super({ ...body, errors: problems });
  }
}

/** Query parameters into their DTO, bad ones answered like bad work requests. */
export class QueryPipe extends ValidationPipe {
  constructor() {
    super({ transform: true, exceptionFactory: (errors) => new InvalidInputException('query', fieldProblems(errors)) });
  }
}
