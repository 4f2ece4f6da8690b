import { describe, expect, it } from '@jest/globals';
import { jobs } from './resources/jobs.js';
import { Job } from './schema.js';
import { decodeProblems, validateLabels, validateName } from './validation.js';

describe('names and labels', () => {
  it('checks DNS-1123 subdomains and labels with the API server wording', () => {
    expect(validateName('my-job.v1', 'subdomain', 'metadata.name')).toEqual([]);
    expect(String(validateName('My_Job', 'subdomain', 'metadata.name')[0])).toMatch(/^metadata\.name: Invalid value: "My_Job": a lowercase RFC 1123 subdomain must consist of/);
    expect(String(validateName('a.b', 'label', 'metadata.name')[0])).toMatch(/a lowercase RFC 1123 label must consist of/);
    expect(String(validateName('a'.repeat(64), 'label', 'metadata.name')[0])).toMatch(/must be no more than 63 characters/);
  });

  it('checks label keys and values', () => {
    expect(validateLabels({ 'app.kubernetes.io/name': 'x', a: '' }, 'metadata.labels')).toEqual([]);
    expect(validateLabels({ a: 'not ok!' }, 'metadata.labels')).toHaveLength(1);
    expect(validateLabels({ '/a': 'x' }, 'metadata.labels')).toHaveLength(1);
  });
});

describe('strict decoding', () => {
  it('finds unknown fields by their path, down to containers', () => {
    const doc = { kind: 'Job', spec: { foo: 1, template: { spec: { containers: [{ name: 'c', bar: true }] } } } };
    expect(decodeProblems(doc, Job)).toEqual({ unknownFields: ['spec.foo', 'spec.template.spec.containers[0].bar'], typeErrors: [] });
  });

  it('accepts anything inside fields typed any, and inline fields', () => {
    const doc = { spec: { template: { spec: { affinity: { whatever: 1 }, containers: [{ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }] } } } };
    expect(decodeProblems(doc, Job)).toEqual({ unknownFields: [], typeErrors: [] });
  });

  it('reports type errors as Go json does', () => {
    expect(decodeProblems({ spec: { backoffLimit: 'six' } }, Job).typeErrors).toEqual(['json: cannot unmarshal string into Go struct field JobSpec.spec.backoffLimit of type int32']);
  });

  it('drops unknown fields, as decoding into the API types does', () => {
    const doc: any = { spec: { foo: 1, parallelism: 2, template: { spec: { containers: [{ name: 'c', bar: 1 }] } } } };
    decodeProblems(doc, Job, true);
    expect(doc).toEqual({ spec: { parallelism: 2, template: { spec: { containers: [{ name: 'c' }] } } } });
  });
});

describe('Job validation', () => {
  const valid = () => {
    const job: any = { metadata: { name: 'j', namespace: 'ns', uid: 'u' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } } };
    jobs.normalize!(job);
    jobs.prepareForCreate(job);
    return job;
  };

  it('defaults as the API server does: selector, labels, backoffLimit, completions', () => {
    const job = valid();
    expect(job.spec).toMatchObject({ backoffLimit: 6, completions: 1, parallelism: 1, completionMode: 'NonIndexed', suspend: false, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } } });
    expect(job.metadata.labels).toEqual({ 'batch.kubernetes.io/controller-uid': 'u', 'batch.kubernetes.io/job-name': 'j', 'controller-uid': 'u', 'job-name': 'j' });
    expect(job.spec.template.spec.containers[0]).toMatchObject({ imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log' });
    expect(jobs.validate!(job)).toEqual([]);
  });

  it('keeps a Job\'s own labels', () => {
    const job: any = { metadata: { name: 'j', namespace: 'ns', uid: 'u', labels: { mine: 'yes' } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } } };
    jobs.normalize!(job);
    jobs.prepareForCreate(job);
    expect(job.metadata.labels).toEqual({ mine: 'yes' });
  });

  it('requires containers, an image, and a restartPolicy of Never or OnFailure', () => {
    const job = valid();
    job.spec.template.spec.restartPolicy = 'Always';
    job.spec.template.spec.containers = [{ name: 'c' }];
    expect(jobs.validate!(job).map(String)).toEqual([
      'spec.template.spec.containers[0].image: Required value',
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ]);
  });

  it('refuses changes to the template or selector', () => {
    const old = valid();
    const changed = valid();
    changed.spec.template.spec.containers[0].image = 'y';
    changed.spec.ttlSecondsAfterFinished = 5;
    expect(jobs.validateUpdate!(changed, old).map(String)).toEqual([expect.stringMatching(/^spec\.template: Invalid value: .*: field is immutable$/)]);
  });
});
