import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerignore, execForm, parseDockerfile, type Instruction, type Stage } from '../../scripts/check-production-build-dockerfile.js';
import { NAMESPACE, readYaml, render, ROOT } from './helm.js';
import { Release } from './release.js';

const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(DOCKERFILE);
const [build, image] = [stages[0], stages.at(-1)!];
const values = readYaml('values.yaml') as { podSecurityContext: { runAsUser: number; runAsGroup: number }; api: { port: number }; worker: { port: number } };
const nestProjects = (JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8')) as { projects: Record<string, { type: string; sourceRoot: string; entryFile: string }> }).projects;
// The apps the image runs and the chart deploys; the CLI (apps/cli) is a client, run on users' machines.
const APPS = Object.entries(nestProjects).filter(([name, project]) => project.type === 'application' && name !== 'cli');

function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

describe('the Dockerfile', () => {
  it('builds in one stage and runs in a second, both on the same Node LTS slim image', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['build', undefined]);
    expect(build.image).toBe(image.image);
    expect(/^ARG NODE_IMAGE=(\S+)$/m.exec(DOCKERFILE)?.[1]).toMatch(/^node:\d*[02468]-[a-z]+-slim$/);
  });

  it('installs the locked dependencies, builds both apps, then drops the development dependencies', () => {
    const commands = instructions(build, 'RUN').map((run) => run.args).join('\n');
    expect(commands).toMatch(/npm ci\b[\s\S]*npm run build\b[\s\S]*npm prune --omit=dev\b/);
  });

  it('runs nothing in the final stage, which only takes files from the build stage', () => {
    expect(instructions(image, 'RUN')).toEqual([]);
    for (const copy of instructions(image, 'COPY')) expect(copy.flags.from).toBe('build');
  });

  it("runs as the non-root user of the chart's pod security context", () => {
    const [user, group] = instructions(image, 'USER')[0].args.split(':').map(Number);
    expect(user).toBeGreaterThan(0);
    expect([user, group]).toEqual([values.podSecurityContext.runAsUser, values.podSecurityContext.runAsGroup]);
  });

  it.each(APPS)("starts %s when given its name: a launcher of the built entry file, the argument the chart passes", (name, project) => {
    const [entrypoint] = instructions(image, 'ENTRYPOINT').map(execForm);
    expect(entrypoint[0]).toBe('node');
    const launchers = Object.fromEntries([...instructions(build, 'RUN').map((run) => run.args).join('\n').matchAll(/printf "import '\.\/([^']+)';\\n" > ([\w-]+)\.js/g)].map(([, target, launcher]) => [launcher, target]));
    expect(launchers[name]).toBe(`dist/apps/${name}/${project.sourceRoot}/${project.entryFile}.js`);
    expect(instructions(image, 'COPY').some((copy) => copy.args.split(/\s+/).includes(`/app/${name}.js`))).toBe(true);
    expect(() => new Release(render(), NAMESPACE).app(name)).not.toThrow();
  });

  it('exposes the ports the chart gives the apps', () => {
    const exposed = instructions(image, 'EXPOSE').flatMap((expose) => expose.args.split(/\s+/).map(Number));
    expect(exposed).toEqual(expect.arrayContaining([values.api.port, values.worker.port]));
  });

  it('gets a build context without node_modules, dist or .git, but with every COPY source', () => {
    const ignored = dockerignore(ROOT);
    expect(['node_modules/x', 'dist/apps', '.git/HEAD', 'libs/config/src/load-config.spec.ts'].filter((path) => !ignored(path))).toEqual([]);
    const sources = instructions(build, 'COPY').flatMap((copy) => copy.args.split(/\s+/).slice(0, -1));
    expect(sources.filter(ignored)).toEqual([]);
  });
});
