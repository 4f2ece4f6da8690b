/**
 * What keeps credentials out of the logs. Two halves, because pino's own `redact` takes fixed paths (a wildcard
 * stands for one level) and never looks inside a value: it cannot find a secret field at an unknown depth, nor a
 * password inside an error's message, stack or URL.
 *
 * - Secret fields, by key, at any depth of a log object: `redactSecretFields`.
 * - Credentials inside text: `redactText`, the password of `scheme://user:password@host` (the user stays, as an
 *   identifier) and the value of `name: value` / `name=value` for a secret name (a kubeconfig quoted in a YAML
 *   error, a query string, an `Authorization` header in a message).
 *
 * An access key (S3_ACCESS_KEY, `accessKey`), like a user name, identifies; only its secret half is redacted.
 */

export const REDACTED = '***';

/** Names of secrets, matched at the end of a key (`bearerToken`, `S3_SECRET_KEY`, `client-key-data`, `set-cookie`). */
const SECRET_NAME =
  'pass(?:word|wd|phrase)|secret(?:[-_]?(?:access[-_]?)?key)?|token|api[-_]?key|private[-_]?key|key[-_]?data|authorization|cookies?|credentials';

const SECRET_KEY = new RegExp(`(?:${SECRET_NAME})$`, 'i');

/**
 * `scheme://user:password@`: the password runs to the last `@` before the end of the authority (`/`, `?`, `#`),
 * as URL parsers take it. Neither part crosses a `"` or splits a `\` escape, so that the text may be a JSON line
 * (see `redactText`). The look-behind keeps the scan linear: a scheme starts a word.
 */
const URL_CREDENTIALS = /(?<![\w+.-])([a-z][\w+.-]*:\/\/[^\s"\\:/?#@]*):(?:[^\s"\\/?#]|\\.)*@/gi;

/**
 * `token: value`, `password="value"`, `"secretKey":"value"` (also inside a JSON string, quotes escaped), with an
 * optional `Bearer `/`Basic `. The value stops at a quote, a backslash, space or a separator, and starts with
 * none of those nor a bracket or colon, so a JSON line stays JSON: `"token":{…}` or `"token":5` is left to the
 * key-based half.
 */
const SECRET_ASSIGNMENT = new RegExp(
  String.raw`(${SECRET_NAME})((?:\\?"\s*:\s*\\?"|'?\s*[:=]\s*(?:\\?["'])?)(?:(?:bearer|basic)\s+)?)[^\s"'\\,;&{}[\]:][^\s"'\\,;&{}[\]]*`,
  'gi',
);

/** Deeper than pino prints (its depthLimit is 5): nothing below is written, so nothing below needs looking at. */
const MAX_DEPTH = 10;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** The text with URL passwords and secret assignments replaced by `***`; the same string when there is none. */
export function redactText(text: string): string {
  const withoutUrlPasswords = text.includes('@') ? text.replace(URL_CREDENTIALS, `$1:${REDACTED}@`) : text;
  return withoutUrlPasswords.replace(SECRET_ASSIGNMENT, `$1$2${REDACTED}`);
}

/**
 * The value with every field named like a secret replaced by `***`, at any depth, Errors' own fields included.
 * Copy on write: when nothing is secret (nearly every log line) the value itself comes back, and otherwise only
 * the objects on the way to a secret are copied, each keeping its prototype (an Error stays an Error for pino).
 */
export function redactSecretFields<T>(value: T): T {
  return redactFields(value, 0, []) as T;
}

function redactFields(value: unknown, depth: number, ancestors: object[]): unknown {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  if (depth > MAX_DEPTH || ancestors.includes(value)) return value;
  ancestors.push(value);
  try {
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      value.forEach((item, index) => {
        const redacted = redactFields(item, depth + 1, ancestors);
        if (redacted !== item) (copy ??= [...value])[index] = redacted;
      });
      return copy ?? value;
    }
    let copy: object | undefined;
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      const redacted = isSecretKey(key) && item !== undefined && item !== null ? REDACTED : redactFields(item, depth + 1, ancestors);
      if (redacted === item) continue;
      copy ??= Object.create(Object.getPrototypeOf(value) as object | null, Object.getOwnPropertyDescriptors(value)) as object;
      Object.defineProperty(copy, key, { value: redacted, enumerable: true, writable: true, configurable: true });
    }
    return copy ?? value;
  } finally {
    ancestors.pop();
  }
}
