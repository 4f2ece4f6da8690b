/** API errors as the API server reports them: a `Status` object with its code, reason and details. */

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** What an error message needs to know of a resource. */
export interface ResourceNames {
  resource: string;
  group: string;
  kind: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `jobs.batch`, or `pods` for the core group. */
export function qualifiedResource(names: ResourceNames): string {
  return names.group ? `${names.resource}.${names.group}` : names.resource;
}

function resourceDetails(names: ResourceNames, name: string): StatusDetails {
  return { name, ...(names.group ? { group: names.group } : {}), kind: names.resource };
}

export function notFound(names: ResourceNames, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(names)} "${name}" not found`, resourceDetails(names, name));
}

export function alreadyExists(names: ResourceNames, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(names)} "${name}" already exists`, resourceDetails(names, name));
}

export function conflict(names: ResourceNames, name: string, why: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(names)} "${name}": ${why}`,
    resourceDetails(names, name),
  );
}

export const STALE_OBJECT = 'the object has been modified; please apply your changes to the latest version and try again';

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function forbidden(names: ResourceNames, name: string, why: string): ApiError {
  const subject = name ? `${qualifiedResource(names)} "${name}"` : qualifiedResource(names);
  return new ApiError(403, 'Forbidden', `${subject} is forbidden: ${why}`, resourceDetails(names, name));
}

export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export function routeNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function unsupportedMediaType(contentType: string, accepted: string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    { causes: [{ reason: 'UnexpectedServerResponse', message: contentType }] },
  );
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

type FieldErrorType = 'Required' | 'Invalid' | 'NotSupported' | 'Forbidden' | 'Duplicate' | 'TooLong';

const CAUSE_REASONS: Record<FieldErrorType, string> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  Duplicate: 'FieldValueDuplicate',
  TooLong: 'FieldValueTooLong',
};

/** One validation failure, worded as k8s.io/apimachinery's field.Error. */
export class FieldError {
  constructor(
    readonly type: FieldErrorType,
    readonly field: string,
    readonly value?: unknown,
    readonly detail?: string,
  ) {}

  static required(field: string, detail?: string): FieldError {
    return new FieldError('Required', field, undefined, detail);
  }

  static invalid(field: string, value: unknown, detail: string): FieldError {
    return new FieldError('Invalid', field, value, detail);
  }

  static notSupported(field: string, value: unknown, supported: string[]): FieldError {
    return new FieldError('NotSupported', field, value, `supported values: ${supported.map((s) => `"${s}"`).join(', ')}`);
  }

  static forbidden(field: string, detail: string): FieldError {
    return new FieldError('Forbidden', field, undefined, detail);
  }

  static duplicate(field: string, value: unknown): FieldError {
    return new FieldError('Duplicate', field, value);
  }

  body(): string {
    const value = typeof this.value === 'string' ? JSON.stringify(this.value) : JSON.stringify(this.value ?? null);
    switch (this.type) {
      case 'Required':
        return `Required value${this.detail ? `: ${this.detail}` : ''}`;
      case 'Invalid':
        return `Invalid value: ${value}${this.detail ? `: ${this.detail}` : ''}`;
      case 'NotSupported':
        return `Unsupported value: ${value}: ${this.detail}`;
      case 'Forbidden':
        return `Forbidden: ${this.detail}`;
      case 'Duplicate':
        return `Duplicate value: ${value}`;
      case 'TooLong':
        return `Too long: ${this.detail}`;
    }
  }

  toString(): string {
    return `${this.field}: ${this.body()}`;
  }

  toCause(): StatusCause {
    return { reason: CAUSE_REASONS[this.type], message: this.body(), field: this.field };
  }
}

/** 422: `Job.batch "x" is invalid: spec.template.spec.containers: Required value`. */
export function invalid(names: ResourceNames, name: string, errors: FieldError[]): ApiError {
  const kind = names.group ? `${names.kind}.${names.group}` : names.kind;
  const list = errors.length === 1 ? errors[0].toString() : `[${errors.map(String).join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${list}`, {
    name,
    ...(names.group ? { group: names.group } : {}),
    kind: names.kind,
    causes: errors.map((e) => e.toCause()),
  });
}
