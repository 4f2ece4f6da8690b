// Reads the project's Dockerfile and replays its stages in plain directories, for machines without a Docker
// engine. Only the instructions the Dockerfile uses are understood; anything else stops the replay, so that the
// check never silently does less than the image build.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, posix, relative } from 'node:path';

export interface Instruction {
  keyword: string;
  /** Flags such as `--from=build` or `--mount=…`, by name. */
  flags: Record<string, string>;
  args: string;
  line: number;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of logicalLines(text)) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.split(/\s+/);
      if (!image || (as !== undefined && (as.toUpperCase() !== 'AS' || !name))) throw new Error(`Dockerfile:${instruction.line}: cannot read FROM ${instruction.args}`);
      stages.push({ image, name, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(instruction);
    } else if (instruction.keyword !== 'ARG') {
      throw new Error(`Dockerfile:${instruction.line}: ${instruction.keyword} before the first FROM`);
    }
  }
  return stages;
}

/** Joins continued lines and drops comments (parser directives such as `# syntax=` included). */
function logicalLines(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) return;
    if (pending === '') startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    instructions.push(toInstruction(pending + line, startLine));
    pending = '';
  });
  return instructions;
}

function toInstruction(text: string, line: number): Instruction {
  const [, keyword, rest] = /^(\S+)\s*(.*)$/s.exec(text)!;
  const flags: Record<string, string> = {};
  let args = rest;
  for (let flag = /^--([\w-]+)=(\S+)\s*/.exec(args); flag; flag = /^--([\w-]+)=(\S+)\s*/.exec(args)) {
    flags[flag[1]] = flag[2];
    args = args.slice(flag[0].length);
  }
  return { keyword: keyword.toUpperCase(), flags, args: args.trim(), line };
}

/** ENTRYPOINT and CMD in exec form (a JSON array), which needs no shell in the image. */
export function execForm(instruction: Instruction): string[] {
  const parsed = JSON.parse(instruction.args) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) {
    throw new Error(`Dockerfile:${instruction.line}: ${instruction.keyword} must be a JSON array of strings`);
  }
  return parsed;
}

/** A stage replayed into `root`, which stands for its file system's `/`. */
export interface ReplayedStage {
  root: string;
  workdir: string;
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  user?: string;
}

export interface ReplayOptions {
  /** The build context: the repository. */
  context: string;
  /** A directory per stage is made under it. */
  into: string;
  /** Output of RUN commands. */
  log: (text: string) => void;
}

export function replayStages(stages: Stage[], options: ReplayOptions): ReplayedStage[] {
  const ignored = dockerignore(options.context);
  const replayed: ReplayedStage[] = [];
  stages.forEach((stage, index) => {
    const state: ReplayedStage = { root: join(options.into, stage.name ?? `stage-${index}`), workdir: '/', env: {}, entrypoint: [], cmd: [] };
    mkdirSync(state.root, { recursive: true });
    const inStage = (path: string) => join(state.root, posix.resolve(state.workdir, path));
    for (const instruction of stage.instructions) {
      const where = `Dockerfile:${instruction.line}`;
      switch (instruction.keyword) {
        case 'WORKDIR':
          state.workdir = posix.resolve(state.workdir, instruction.args);
          mkdirSync(inStage('.'), { recursive: true });
          break;
        case 'ENV':
          for (const [, name, value] of instruction.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) state.env[name] = value.replace(/^"|"$/g, '');
          break;
        case 'COPY': {
          const parts = instruction.args.split(/\s+/);
          const destination = parts.pop()!;
          const from = instruction.flags.from;
          const source = from === undefined ? undefined : replayed[stages.findIndex((candidate) => candidate.name === from)];
          if (from !== undefined && !source) throw new Error(`${where}: no stage named ${from}`);
          for (const part of parts) {
            const path = source ? join(source.root, posix.resolve(source.workdir, part)) : join(options.context, part);
            if (!source && ignored(part)) throw new Error(`${where}: ${part} is excluded by .dockerignore`);
            copyInto(path, inStage(destination), destination.endsWith('/') || parts.length > 1, source ? () => false : (file) => ignored(relative(options.context, file)));
          }
          break;
        }
        case 'RUN': {
          if (/^\[/.test(instruction.args)) throw new Error(`${where}: RUN in exec form is not replayed`);
          if (/(^|[\s;&|])\//.test(instruction.args)) throw new Error(`${where}: RUN with an absolute path cannot be replayed outside the image`);
          options.log(`$ ${instruction.args}\n`);
          const run = spawnSync('/bin/sh', ['-c', instruction.args], { cwd: inStage('.'), env: { ...process.env, ...state.env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
          options.log(run.stdout + run.stderr);
          if (run.status !== 0) throw new Error(`${where}: RUN failed (exit ${run.status}): ${instruction.args}`);
          break;
        }
        case 'ENTRYPOINT':
          state.entrypoint = execForm(instruction);
          break;
        case 'CMD':
          state.cmd = execForm(instruction);
          break;
        case 'USER':
          state.user = instruction.args;
          break;
        case 'ARG':
        case 'LABEL':
        case 'EXPOSE':
          break;
        default:
          throw new Error(`${where}: ${instruction.keyword} is not replayed by this check`);
      }
    }
    replayed.push(state);
  });
  return replayed;
}

/** Docker's COPY: a directory's contents go into the destination; a file goes into it when it names a directory. */
function copyInto(source: string, destination: string, intoDirectory: boolean, skip: (file: string) => boolean): void {
  if (!existsSync(source)) throw new Error(`COPY: ${source} does not exist`);
  if (statSync(source).isDirectory()) {
    mkdirSync(destination, { recursive: true });
    for (const entry of readdirSync(source)) {
      const file = join(source, entry);
      if (!skip(file)) copyInto(file, join(destination, entry), false, skip);
    }
    return;
  }
  const target = intoDirectory ? join(destination, basename(source)) : destination;
  mkdirSync(join(target, '..'), { recursive: true });
  cpSync(source, target, { verbatimSymlinks: true });
}

/** `.dockerignore` as a predicate on context-relative paths: `*`, `?`, `**`, `!` exceptions, last match wins. */
export function dockerignore(context: string): (path: string) => boolean {
  const file = join(context, '.dockerignore');
  const rules = (existsSync(file) ? readFileSync(file, 'utf8') : '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const exception = line.startsWith('!');
      const pattern = posix.normalize(exception ? line.slice(1) : line).replace(/^\/+/, '');
      return { exception, matches: globToRegExp(pattern) };
    });
  return (path) => {
    const normalized = posix.normalize(path.split('\\').join('/')).replace(/^\.\//, '');
    let excluded = false;
    for (const rule of rules) if (rule.matches.test(normalized)) excluded = !rule.exception;
    return excluded;
  };
}

/** A pattern also matches everything below a directory it matches. */
function globToRegExp(pattern: string): RegExp {
  const segments = pattern.split('/');
  const body = segments
    .map((segment, index) => {
      const last = index === segments.length - 1;
      if (segment === '**') return last ? '.*' : '(?:[^/]+/)*';
      const part = segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
      return last ? part : `${part}/`;
    })
    .join('');
  return new RegExp(`^${body}(?:/.*)?$`);
}
