/** Label and field selectors: parsing the query-string syntax and matching objects. Pure. */

export type LabelOperator = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export type LabelSelector = LabelRequirement[];

export class SelectorError extends Error {}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((p) => p.trim());
}

function checkKey(key: string): string {
  if (!LABEL_KEY.test(key) || key.length > 316) {
    throw new SelectorError(`unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  }
  return key;
}

function checkValue(value: string): string {
  if (!LABEL_VALUE.test(value) || value.length > 63) {
    throw new SelectorError(`unable to parse requirement: invalid label value: "${value}": at key: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  }
  return value;
}

const SET_REQUIREMENT = /^(\S+)\s+(in|notin)\s*\((.*)\)$/;
const COMPARISON = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/;

function parseRequirement(text: string): LabelRequirement {
  const set = SET_REQUIREMENT.exec(text);
  if (set) {
    const values = set[3].split(',').map((v) => checkValue(v.trim()));
    return { key: checkKey(set[1]), operator: set[2] as 'in' | 'notin', values };
  }
  const comparison = COMPARISON.exec(text);
  if (comparison) {
    const [, key, op, rawValue] = comparison;
    const value = rawValue.trim();
    if (/[=!(),\s]/.test(value)) {
      throw new SelectorError(`unable to parse requirement: found '${value}', expected: ',' or 'end of string'`);
    }
    if (op === '>' || op === '<') {
      if (!/^-?\d+$/.test(value)) throw new SelectorError(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
      return { key: checkKey(key), operator: op === '>' ? 'gt' : 'lt', values: [value] };
    }
    return { key: checkKey(key), operator: op === '!=' ? '!=' : '=', values: [checkValue(value)] };
  }
  if (text.startsWith('!')) return { key: checkKey(text.slice(1).trim()), operator: '!', values: [] };
  if (/^\S+$/.test(text)) return { key: checkKey(text), operator: 'exists', values: [] };
  throw new SelectorError(`unable to parse requirement: found '${text}', expected: in, notin, =, ==, !=, gt, lt`);
}

export function parseLabelSelector(selector: string | undefined): LabelSelector {
  if (!selector || !selector.trim()) return [];
  return splitRequirements(selector).map((part) => {
    if (!part) throw new SelectorError(`unable to parse requirement: found ',', expected: identifier`);
    return parseRequirement(part);
  });
}

/** A `metav1.LabelSelector` (matchLabels/matchExpressions) as requirements. */
export function fromLabelSelectorObject(selector: { matchLabels?: Record<string, string>; matchExpressions?: any[] } | undefined): LabelSelector {
  if (!selector) return [];
  const requirements: LabelSelector = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({ key, operator: '=', values: [value] }));
  for (const expression of selector.matchExpressions ?? []) {
    const operator = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' } as const)[expression.operator as string];
    if (!operator) throw new SelectorError(`"${expression.operator}" is not a valid label selector operator`);
    requirements.push({ key: expression.key, operator, values: expression.values ?? [] });
  }
  return requirements;
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  return selector.every(({ key, operator, values }) => {
    const present = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, key);
    const value = present ? labels[key] : undefined;
    switch (operator) {
      case 'exists':
        return present;
      case '!':
        return !present;
      case '=':
        return present && value === values[0];
      case '!=':
        return !present || value !== values[0];
      case 'in':
        return present && values.includes(value!);
      case 'notin':
        return !present || !values.includes(value!);
      case 'gt':
      case 'lt': {
        if (!present || !/^-?\d+$/.test(value!)) return false;
        return operator === 'gt' ? Number(value) > Number(values[0]) : Number(value) < Number(values[0]);
      }
    }
  });
}

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** Splits on an unescaped separator; `\,`, `\=` and `\\` are escapes as in fields.ParseSelector. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) {
      current += text[i] + text[i + 1];
      i++;
    } else if (text[i] === separator) {
      parts.push(current);
      current = '';
    } else current += text[i];
  }
  parts.push(current);
  return parts;
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(selector: string | undefined): FieldRequirement[] {
  if (!selector || !selector.trim()) return [];
  return splitUnescaped(selector, ',').map((part) => {
    const match = /^([^=!]+?)\s*(==|=|!=)(.*)$/.exec(part.trim());
    if (!match) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    const [, field, op, value] = match;
    return { field: field.trim(), operator: op === '!=' ? '!=' : '=', value: unescape(value.trim()) };
  });
}

/** Checks a field selector against the fields a resource supports; throws on others. */
export function checkFieldSelector(requirements: FieldRequirement[], supported: Iterable<string>): void {
  const known = new Set(supported);
  for (const { field } of requirements) {
    if (!known.has(field)) throw new SelectorError(`field label not supported: ${field}`);
  }
}

export function matchesFields(requirements: FieldRequirement[], fieldOf: (field: string) => string | undefined): boolean {
  return requirements.every(({ field, operator, value }) => {
    const actual = fieldOf(field) ?? '';
    return operator === '=' ? actual === value : actual !== value;
  });
}
