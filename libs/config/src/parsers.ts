import { Transform } from 'class-transformer';

// Environment values arrive as strings; these turn them into typed values once, at load time. A value that
// cannot be parsed is kept as it came, so that validation names the variable and the value.

export function ToInteger(): PropertyDecorator {
  return Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value));
}

/** A comma-separated list; blanks are dropped. */
export function ToList(): PropertyDecorator {
  return Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((item) => item.trim()).filter(Boolean) : value));
}

export function ToJson(): PropertyDecorator {
  return Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  });
}

/** `true` or `false` (any case); anything else is kept as it came, for validation to name. */
export function ToBoolean(): PropertyDecorator {
  return Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    const word = value.trim().toLowerCase();
    return word === 'true' ? true : word === 'false' ? false : value;
  });
}
