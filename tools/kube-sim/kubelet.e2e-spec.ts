import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE_NAME, startKubeSim, type KubeSim } from './index.js';
import { call, eventually, PODS, SECRETS, watch } from './spec-helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'kubelet-spec-'));
const keepRunning = 'setInterval(() => {}, 1 << 30)';
const IMAGES = {
  'test/env': { command: ['node', '-e', 'console.log(JSON.stringify(process.env))'], env: { FROM_CATALOGUE: 'yes' } },
  'test/echo': { command: ['node', '-e', 'console.log(["cwd=" + process.cwd(), ...process.argv.slice(1)].join(" "))', 'from-catalogue'], cwd: scratch },
  'test/pidfile': { command: ['node', '-e', `require("fs").writeFileSync(process.env.PIDFILE, String(process.pid)); ${keepRunning}`] },
  'test/stubborn': { command: ['node', '-e', `process.on("SIGTERM", () => console.log("ignoring SIGTERM")); require("fs").writeFileSync(process.env.PIDFILE, String(process.pid)); ${keepRunning}`] },
  'test/lines': { command: ['node', '-e', 'for (let i = 1; i <= 5; i++) console.log("line " + i); console.error("to stderr")'] },
  'test/ticker': { command: ['node', '-e', 'let i = 0; const t = setInterval(() => { console.log("tick " + ++i); if (i === 3) clearInterval(t); }, 30)'] },
  'test/no-such-binary': { command: ['/nonexistent/binary'] },
};

function pod(name: string, image: string, extra: { env?: unknown[]; command?: string[]; args?: string[]; containers?: unknown[]; grace?: number } = {}) {
  return {
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      ...(extra.grace !== undefined ? { terminationGracePeriodSeconds: extra.grace } : {}),
      containers: extra.containers ?? [{ name: 'main', image, ...(extra.env ? { env: extra.env } : {}), ...(extra.command ? { command: extra.command } : {}), ...(extra.args ? { args: extra.args } : {}) }],
    },
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the kubelet', () => {
  let sim: KubeSim;
  beforeAll(async () => {
    sim = await startKubeSim({ images: IMAGES, timing: { maxTerminationGraceMs: 200 } });
  });
  afterAll(() => sim.stop());

  const phase = (name: string) => sim.get('pods', 'default', name)?.status?.phase;
  const state = (name: string) => sim.get('pods', 'default', name)?.status?.containerStatuses?.[0]?.state;
  const log = async (name: string, query = '') => call(sim, 'GET', `${PODS}/${name}/log${query}`);
  const ended = (name: string) => eventually(() => ['Succeeded', 'Failed'].includes(phase(name)), 5000, `${name} to end`);

  it('moves a pod through ContainerCreating, running and terminated, shaped as the real API', async () => {
    const stream = await watch(sim, `${PODS}?watch=true&fieldSelector=metadata.name%3Dlifecycle`);
    await call(sim, 'POST', PODS, { body: pod('lifecycle', 'test/lines') });
    await ended('lifecycle');
    await stream.next((e) => e.object.status?.phase === 'Succeeded');
    stream.close();
    const states = stream.events.map((e) => Object.keys(e.object.status?.containerStatuses?.[0]?.state ?? {})[0]);
    expect(states.filter((s, i) => i === 0 || s !== states[i - 1])).toEqual([undefined, 'waiting', 'running', 'terminated']);
    const creating = stream.events.find((e) => e.object.status?.containerStatuses?.[0]?.state?.waiting)!.object;
    expect(creating.spec.nodeName).toBe(NODE_NAME);
    expect(creating.status).toMatchObject({ phase: 'Pending', hostIP: '172.18.0.2', startTime: expect.any(String) });
    expect(creating.status.containerStatuses[0]).toEqual({ name: 'main', state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, restartCount: 0, image: 'test/lines', imageID: '', started: false });

    const done = sim.get('pods', 'default', 'lifecycle');
    const status = done.status.containerStatuses[0];
    expect(status).toMatchObject({ ready: false, started: false, restartCount: 0, image: 'docker.io/test/lines:latest', imageID: expect.stringMatching(/^docker\.io\/test\/lines@sha256:[0-9a-f]{64}$/), containerID: expect.stringMatching(/^containerd:\/\/[0-9a-f]{64}$/) });
    expect(status.state.terminated).toEqual({ exitCode: 0, reason: 'Completed', startedAt: expect.any(String), finishedAt: expect.any(String), containerID: status.containerID });
    expect(done.status.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
    expect(done.status.conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual(['PodReadyToStartContainers=False', 'Initialized=True', 'Ready=False', 'ContainersReady=False', 'PodScheduled=True']);
    const reasons = sim.list('events', 'default').filter((e) => e.involvedObject.name === 'lifecycle').map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']));
  });

  it('serves the log as text/plain with tailLines, timestamps and limitBytes', async () => {
    const full = await log('lifecycle');
    expect(full.headers.get('content-type')).toBe('text/plain');
    expect(full.body).toBe('line 1\nline 2\nline 3\nline 4\nline 5\nto stderr\n');
    expect((await log('lifecycle', '?tailLines=2')).body).toBe('line 5\nto stderr\n');
    expect((await log('lifecycle', '?limitBytes=9')).body).toBe('line 1\nli');
    expect((await log('lifecycle', '?container=main&timestamps=true&tailLines=1')).body).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z to stderr\n$/);
  });

  it('refuses logs of unknown containers, and asks to choose in a pod of several', async () => {
    expect((await log('lifecycle', '?container=other')).body).toMatchObject({ code: 400, message: 'container other is not valid for pod lifecycle' });
    await call(sim, 'POST', PODS, { body: pod('two', '', { containers: [{ name: 'a', image: 'test/lines' }, { name: 'b', image: 'test/echo' }] }) });
    await ended('two');
    expect((await log('two')).body).toMatchObject({ code: 400, message: 'a container name must be specified for pod two, choose one of: [a b]' });
    expect((await log('two', '?container=b')).body).toMatch(/^cwd=.* from-catalogue\n$/);
    expect((await log('missing')).status).toBe(404);
  });

  it('follows a log until the container ends', async () => {
    await call(sim, 'POST', PODS, { body: pod('ticker', 'test/ticker') });
    await eventually(() => state('ticker')?.running, 3000, 'the ticker to run');
    const response = await fetch(`${sim.url}${PODS}/ticker/log?follow=true`);
    expect(await response.text()).toBe('tick 1\ntick 2\ntick 3\n');
    expect(phase('ticker')).toBe('Succeeded');
  });

  it('gives the process only the container env, PATH, HOME, HOSTNAME and the catalogue env', async () => {
    await call(sim, 'POST', SECRETS, { body: { metadata: { name: 'env-secret' }, stringData: { key: 's3cret' } } });
    const env = [
      { name: 'LITERAL', value: 'plain' },
      { name: 'EXPANDED', value: 'is-$(LITERAL)' },
      { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'key' } } },
      { name: 'OPTIONAL', valueFrom: { secretKeyRef: { name: 'absent', key: 'key', optional: true } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    ];
    await call(sim, 'POST', PODS, { body: pod('env', 'test/env', { env }) });
    await ended('env');
    const printed = JSON.parse((await log('env')).body);
    expect(Object.keys(printed).sort()).toEqual(['EXPANDED', 'FROM_CATALOGUE', 'FROM_SECRET', 'HOME', 'HOSTNAME', 'LITERAL', 'NODE', 'PATH', 'POD_NAME', 'POD_NAMESPACE']);
    expect(printed).toMatchObject({ LITERAL: 'plain', EXPANDED: 'is-plain', FROM_SECRET: 's3cret', POD_NAME: 'env', POD_NAMESPACE: 'default', HOSTNAME: 'env', NODE: NODE_NAME, FROM_CATALOGUE: 'yes' });
  });

  it('waits in CreateContainerConfigError for a missing secret, and starts once it exists', async () => {
    const env = [{ name: 'LATE', valueFrom: { secretKeyRef: { name: 'late', key: 'value' } } }];
    await call(sim, 'POST', PODS, { body: pod('config-error', 'test/env', { env }) });
    await eventually(() => state('config-error')?.waiting?.reason === 'CreateContainerConfigError', 3000, 'CreateContainerConfigError');
    expect(state('config-error').waiting.message).toBe('secret "late" not found');
    expect((await log('config-error')).body).toMatchObject({ code: 400, message: 'container "main" in pod "config-error" is waiting to start: CreateContainerConfigError' });
    expect(sim.list('events', 'default').some((e) => e.involvedObject.name === 'config-error' && e.reason === 'Failed' && e.message === 'Error: secret "late" not found')).toBe(true);
    await call(sim, 'POST', SECRETS, { body: { metadata: { name: 'late' }, stringData: { other: 'x' } } });
    await eventually(() => state('config-error')?.waiting?.message === "couldn't find key value in Secret default/late", 3000, 'the missing key to be reported');
    await call(sim, 'PATCH', `${SECRETS}/late`, { contentType: 'application/merge-patch+json', body: { stringData: { value: 'finally' } } });
    await ended('config-error');
    expect(JSON.parse((await log('config-error')).body).LATE).toBe('finally');
  });

  it('leaves an image missing from the catalogue in ErrImagePull, then ImagePullBackOff, with events', async () => {
    await call(sim, 'POST', PODS, { body: pod('no-image', 'registry.example.com:5000/team/missing:1.2') });
    await eventually(() => state('no-image')?.waiting?.reason === 'ImagePullBackOff', 3000, 'ImagePullBackOff');
    expect(state('no-image').waiting.message).toBe('Back-off pulling image "registry.example.com:5000/team/missing:1.2"');
    const events = sim.list('events', 'default').filter((e) => e.involvedObject.name === 'no-image');
    expect(events.map((e) => `${e.type} ${e.reason}: ${e.message}`)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Warning Failed: Failed to pull image "registry.example.com:5000\/team\/missing:1.2": .*not found$/),
        'Warning Failed: Error: ErrImagePull',
        'Normal BackOff: Back-off pulling image "registry.example.com:5000/team/missing:1.2"',
        'Warning Failed: Error: ImagePullBackOff',
      ]),
    );
    expect((await log('no-image')).body.message).toBe('container "main" in pod "no-image" is waiting to start: trying and failing to pull image');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(state('no-image').waiting.reason).toBe('ImagePullBackOff');
    expect(phase('no-image')).toBe('Pending');
  });

  it('reports InvalidImageName for references the runtime cannot parse', async () => {
    await call(sim, 'POST', PODS, { body: pod('bad-image', 'mstc/Python-Test') });
    await eventually(() => state('bad-image')?.waiting?.reason === 'InvalidImageName', 3000, 'InvalidImageName');
    expect(state('bad-image').waiting.message).toBe('Failed to apply default image tag "mstc/Python-Test": couldn\'t parse image name "mstc/Python-Test": invalid reference format: repository name must be lowercase');
  });

  it('lets command replace and args extend the catalogue command, with $(VAR) expansion', async () => {
    await call(sim, 'POST', PODS, { body: pod('args', 'test/echo', { args: ['x', '$(WHO)'], env: [{ name: 'WHO', value: 'me' }] }) });
    await call(sim, 'POST', PODS, { body: pod('command', 'test/echo', { command: ['node', '-e', 'console.log("replaced", process.argv.slice(1).join(","))'], args: ['a'] }) });
    await ended('args');
    await ended('command');
    expect((await log('args')).body).toBe(`cwd=${scratch} from-catalogue x me\n`);
    expect((await log('command')).body).toBe('replaced a\n');
  });

  it('ends a container whose command cannot start with StartError', async () => {
    await call(sim, 'POST', PODS, { body: pod('start-error', 'test/no-such-binary') });
    await ended('start-error');
    expect(state('start-error').terminated).toMatchObject({ exitCode: 128, reason: 'StartError', message: expect.stringContaining('ENOENT') });
  });

  it('kills the process of a deleted pod and removes the pod after it ended', async () => {
    const pidFile = join(scratch, 'pid');
    await call(sim, 'POST', PODS, { body: pod('victim', 'test/pidfile', { env: [{ name: 'PIDFILE', value: pidFile }] }) });
    await eventually(() => state('victim')?.running, 3000, 'the container to run');
    const pid = await eventually(() => Number(readFileSync(pidFile, 'utf8')) || false, 3000, 'the pid file');
    const stream = await watch(sim, `${PODS}?watch=true&fieldSelector=metadata.name%3Dvictim`);
    const deleted = await call(sim, 'DELETE', `${PODS}/victim`);
    expect(deleted.body.metadata).toMatchObject({ deletionTimestamp: expect.any(String), deletionGracePeriodSeconds: 30 });
    const gone = await stream.next((e) => e.type === 'DELETED');
    stream.close();
    expect(gone.object.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
    expect(alive(pid)).toBe(false);
    expect(sim.list('events', 'default').some((e) => e.involvedObject.name === 'victim' && e.reason === 'Killing')).toBe(true);
  });

  it('sends SIGKILL when SIGTERM is ignored past the grace period', async () => {
    const pidFile = join(scratch, 'stubborn-pid');
    await call(sim, 'POST', PODS, { body: pod('stubborn', 'test/stubborn', { env: [{ name: 'PIDFILE', value: pidFile }], grace: 1 }) });
    await eventually(() => state('stubborn')?.running, 3000, 'the container to run');
    const pid = await eventually(() => Number(readFileSync(pidFile, 'utf8')) || false, 3000, 'the pid file');
    const started = Date.now();
    const stream = await watch(sim, `${PODS}?watch=true&fieldSelector=metadata.name%3Dstubborn`);
    await call(sim, 'DELETE', `${PODS}/stubborn`);
    const gone = await stream.next((e) => e.type === 'DELETED');
    stream.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(gone.object.status.containerStatuses[0].state.terminated.exitCode).toBe(137);
    expect(alive(pid)).toBe(false);
  });

  it('deletes a pod that never started at once', async () => {
    await call(sim, 'DELETE', `${PODS}/no-image`);
    await eventually(() => sim.get('pods', 'default', 'no-image') === undefined, 2000, 'the pod to go');
  });
});

describe('the kubelet before a container starts', () => {
  it('answers a log request with ContainerCreating, as the real one does', async () => {
    const sim = await startKubeSim({ timing: { imagePullMs: 60_000 } });
    try {
      await call(sim, 'POST', PODS, { body: pod('creating', 'kube-sim/sleep-exit') });
      await eventually(() => sim.get('pods', 'default', 'creating')?.spec.nodeName, 2000, 'the pod to be scheduled');
      expect((await call(sim, 'GET', `${PODS}/creating/log`)).body).toMatchObject({ code: 400, reason: 'BadRequest', message: 'container "main" in pod "creating" is waiting to start: ContainerCreating' });
    } finally {
      await sim.stop();
    }
  });

  it('merges a catalogue file over the default catalogue and keeps logs on disk under stateDir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalogue-'));
    writeFileSync(join(dir, 'images.json'), JSON.stringify({ 'mstc/python-test': { inProcess: 'sleep-exit', env: { SLEEP_MS: '0' } } }));
    const sim = await startKubeSim({ images: join(dir, 'images.json'), stateDir: join(dir, 'state') });
    try {
      await call(sim, 'POST', PODS, { body: pod('overridden', 'mstc/python-test') });
      await eventually(() => sim.get('pods', 'default', 'overridden')?.status?.phase === 'Succeeded', 3000, 'the pod to succeed');
      const uid = sim.get('pods', 'default', 'overridden').metadata.uid;
      expect(readFileSync(join(dir, 'state', 'pods', `default_overridden_${uid}`, 'main', '0.log'), 'utf8')).toMatch(/^\S+ stdout F Started overridden\n/);
    } finally {
      await sim.stop();
    }
  });
});
