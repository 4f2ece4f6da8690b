import { describe, expect, it } from '@jest/globals';
import {
  checkFieldSelector,
  fromLabelSelectorObject,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from './selectors.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', 'batch.kubernetes.io/job-name': 'x' };

  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (db, web)', true],
    ['app notin (db,web)', false],
    ['missing notin (db)', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['batch.kubernetes.io/job-name=x', true],
    ['', true],
  ])('%s matches: %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it('compares integers with gt and lt', () => {
    expect(matchesLabels(parseLabelSelector('n>3'), { n: '5' })).toBe(true);
    expect(matchesLabels(parseLabelSelector('n<3'), { n: '5' })).toBe(false);
  });

  it.each(['app=web=x', 'app in (a', 'bad key!=x', ','])('refuses %j', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(SelectorError);
  });

  it('accepts an empty value', () => {
    expect(parseLabelSelector('app=')).toEqual([{ key: 'app', operator: '=', values: [''] }]);
  });

  it('turns matchLabels and matchExpressions into requirements', () => {
    const selector = fromLabelSelectorObject({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }, { key: 'gone', operator: 'DoesNotExist' }] });
    expect(matchesLabels(selector, labels)).toBe(true);
    expect(matchesLabels(selector, { app: 'web', tier: 'back' })).toBe(false);
  });
});

describe('field selectors', () => {
  it('parses =, == and != with escapes', () => {
    expect(parseFieldSelector('metadata.name=a,status.phase!=Running,reason==x\\,y')).toEqual([
      { field: 'metadata.name', operator: '=', value: 'a' },
      { field: 'status.phase', operator: '!=', value: 'Running' },
      { field: 'reason', operator: '=', value: 'x,y' },
    ]);
  });

  it('matches against the fields an object exposes', () => {
    const fields: Record<string, string> = { 'metadata.name': 'a', 'status.phase': 'Pending' };
    expect(matchesFields(parseFieldSelector('metadata.name=a,status.phase!=Running'), (f) => fields[f])).toBe(true);
    expect(matchesFields(parseFieldSelector('metadata.name=b'), (f) => fields[f])).toBe(false);
  });

  it('refuses fields a resource does not support, as the API server does', () => {
    expect(() => checkFieldSelector(parseFieldSelector('spec.foo=1'), ['metadata.name'])).toThrow('field label not supported: spec.foo');
  });
});
