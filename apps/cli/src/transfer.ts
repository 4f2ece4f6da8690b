import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ApiClient, OutputEntry } from './api-client.js';
import { CliError, ExitCode } from './exit-codes.js';
import { formatBytes } from './format.js';
import type { Terminal } from './terminal.js';

/** How many files move at once: enough to fill a link with small files, few enough to leave the api room. */
const PARALLEL_TRANSFERS = 4;

export interface InputFile {
  /** The local file. */
  path: string;
  /** Its object name: `<prefix>/<input's base name>[/<path inside the folder>]`. */
  key: string;
  size: number;
}

/**
 * The files to upload for `--input` paths: a file as itself, a folder with everything under it (symbolic links to
 * files followed, to folders not), each under `<prefix>/` with its base name first, as `cp -r` would copy them.
 */
export async function collectInputs(paths: string[], prefix: string): Promise<InputFile[]> {
  const files: InputFile[] = [];
  for (const path of paths) {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`--input ${path}: ${error.code === 'ENOENT' ? 'no such file or folder' : error.message}`, ExitCode.USAGE);
    });
    const top = basename(resolve(path));
    if (info.isFile()) {
      files.push({ path, key: `${prefix}/${top}`, size: info.size });
      continue;
    }
    if (!info.isDirectory()) throw new CliError(`--input ${path}: neither a file nor a folder`, ExitCode.USAGE);
    const entries = await readdir(path, { recursive: true, withFileTypes: true });
    for (const entry of entries.sort((a, b) => join(a.parentPath, a.name).localeCompare(join(b.parentPath, b.name)))) {
      const file = join(entry.parentPath, entry.name);
      if (!entry.isFile() && !(entry.isSymbolicLink() && (await stat(file).catch(() => undefined))?.isFile())) continue;
      const inside = relative(path, file).split(sep).join('/');
      files.push({ path: file, key: `${prefix}/${top}/${inside}`, size: (await stat(file)).size });
    }
  }
  const seen = new Map<string, string>();
  for (const file of files) {
    const other = seen.get(file.key);
    if (other) throw new CliError(`--input: ${other} and ${file.path} would both be uploaded as ${file.key}; rename one`, ExitCode.USAGE);
    seen.set(file.key, file.path);
  }
  return files;
}

/** An object name as a URL path: each segment escaped, the slashes kept. */
export function keyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/**
 * Where an output lands under `--out`: its name as a relative path. A name with an empty, `.` or `..` segment or a
 * backslash is refused: the names come from the job, which may write anything, and none may leave the folder.
 */
export function outputPath(outDir: string, name: string): string {
  const segments = name.split('/');
  if (name.includes('\\') || segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new CliError(`output "${name}" is not a relative path of plain segments; not saved under ${outDir}`, ExitCode.API_ERROR);
  }
  return join(outDir, ...segments);
}

/** Byte progress of a set of transfers: bars on a terminal, a line per finished file elsewhere. */
export class TransferProgress {
  private bars: import('cli-progress').MultiBar | undefined;
  private total: import('cli-progress').SingleBar | undefined;
  private done = 0;
  private files = 0;
  private readonly started = Date.now();

  private constructor(
    private readonly terminal: Terminal,
    /** `upload` or `download`. */
    private readonly verb: string,
    private readonly totalBytes: number,
    private readonly fileCount: number,
  ) {}

  static async start(terminal: Terminal, verb: string, totalBytes: number, fileCount: number): Promise<TransferProgress> {
    const progress = new TransferProgress(terminal, verb, totalBytes, fileCount);
    if (terminal.interactive) {
      // Loaded only where bars are drawn.
      const { MultiBar, Presets } = await import('cli-progress');
      progress.bars = new MultiBar(
        {
          stream: terminal.streams.stderr as NodeJS.WriteStream,
          format: `{label} {bar} {percentage}% | {bytes} | {speed}`,
          hideCursor: true,
          clearOnComplete: false,
          autopadding: true,
          fps: 10,
        },
        Presets.shades_classic,
      );
      progress.total = progress.bars.create(Math.max(totalBytes, 1), 0, progress.payload(`${verb}ing ${fileCount} file${fileCount === 1 ? '' : 's'}`, 0, totalBytes));
    }
    return progress;
  }

  /** A bar of one file; `advance` counts its bytes as they pass. */
  file(name: string, size: number): { advance(bytes: number): void; finish(): void } {
    const bar = this.bars?.create(Math.max(size, 1), 0, this.payload(shortName(name), 0, size));
    let moved = 0;
    return {
      advance: (bytes) => {
        moved += bytes;
        this.done += bytes;
        bar?.update(moved, this.payload(shortName(name), moved, size));
        this.total?.update(this.done, this.payload(`${this.verb}ing ${this.files}/${this.fileCount} files`, this.done, this.totalBytes));
      },
      finish: () => {
        this.files++;
        if (bar) {
          this.bars!.remove(bar);
          this.total!.update(this.done, this.payload(`${this.verb}ing ${this.files}/${this.fileCount} files`, this.done, this.totalBytes));
        } else {
          this.terminal.info(`${this.verb}ed ${name} (${formatBytes(size)})`);
        }
      },
    };
  }

  stop(): void {
    this.bars?.stop();
  }

  private payload(label: string, bytes: number, of: number): Record<string, string> {
    const seconds = (Date.now() - this.started) / 1000;
    return { label: label.padEnd(28).slice(0, 28), bytes: `${formatBytes(bytes)}/${formatBytes(of)}`, speed: seconds > 0 ? `${formatBytes(Math.round(this.done / seconds))}/s` : '' };
  }
}

function shortName(name: string): string {
  return name.length > 28 ? `…${name.slice(-27)}` : name;
}

/** Runs `work` over the items, `PARALLEL_TRANSFERS` at a time; the first failure stops the rest from starting. */
async function inParallel<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_TRANSFERS, items.length) }, lane));
}

/** Uploads the files into the bucket through the api (`PUT /files/{bucket}/{key}`), several at once. */
export async function uploadInputs(client: ApiClient, terminal: Terminal, bucket: string, files: InputFile[], signal?: AbortSignal): Promise<void> {
  const progress = await TransferProgress.start(terminal, 'upload', files.reduce((sum, file) => sum + file.size, 0), files.length);
  try {
    await inParallel(files, async (file) => {
      const bar = progress.file(file.key, file.size);
      const counted = createReadStream(file.path, { highWaterMark: 1 << 20 }).pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            bar.advance(chunk.length);
            callback(null, chunk);
          },
        }),
      );
      await client.request(`/files/${encodeURIComponent(bucket)}/${keyPath(file.key)}`, {
        method: 'PUT',
        body: counted,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(file.size) },
        signal,
      });
      bar.finish();
    });
  } finally {
    progress.stop();
  }
}

/** Downloads the listed outputs into the folder, each as its name, checking every size against the list. */
export async function downloadOutputs(client: ApiClient, terminal: Terminal, outputs: OutputEntry[], outDir: string, signal?: AbortSignal): Promise<string[]> {
  const targets = outputs.map((output) => outputPath(outDir, output.name));
  const progress = await TransferProgress.start(terminal, 'download', outputs.reduce((sum, output) => sum + output.size, 0), outputs.length);
  try {
    await inParallel(
      outputs.map((output, index) => ({ output, target: targets[index] })),
      async ({ output, target }) => {
        const bar = progress.file(output.name, output.size);
        const response = await client.request(output.url, { signal });
        await mkdir(dirname(target), { recursive: true }).catch(localFailure(target));
        // Written beside and renamed when whole, so that a broken download leaves no file that looks complete.
        const partial = `${target}.part`;
        let written = 0;
        try {
          await pipeline(
            Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>),
            new Transform({
              transform(chunk: Buffer, _encoding, callback) {
                written += chunk.length;
                bar.advance(chunk.length);
                callback(null, chunk);
              },
            }),
            createWriteStream(partial),
            { signal },
          );
          if (written !== output.size) throw new CliError(`output ${output.name}: got ${written} bytes, the manifest says ${output.size}`, ExitCode.API_ERROR);
          await rename(partial, target);
        } catch (error) {
          await rm(partial, { force: true });
          if (error instanceof CliError || signal?.aborted) throw error;
          throw new CliError(`downloading ${output.name} to ${target}: ${(error as Error).message}`, (error as NodeJS.ErrnoException).code ? ExitCode.LOCAL_FILE : ExitCode.API_ERROR);
        }
        bar.finish();
      },
    );
  } finally {
    progress.stop();
  }
  return targets;
}

function localFailure(path: string): (error: Error) => never {
  return (error) => {
    throw new CliError(`cannot write ${path}: ${error.message}`, ExitCode.LOCAL_FILE);
  };
}
