import { Command, CommanderError, Option } from 'commander';
import { ApiClient } from './api-client.js';
import { collect, integer, jobId, type Context } from './commands/context.js';
import { cancelCommand, getCommand, listCommand, logsCommand, outputsCommand, waitCommand } from './commands/jobs.js';
import { jobSpecOptions } from './commands/job-spec.js';
import { DEFAULT_BUCKET, runCommand, type RunOptions } from './commands/run.js';
import { AMQP_DEFAULTS, submitCommand, submitOverAmqp, type RequestFlags } from './commands/submit.js';
import { CliError, ExitCode } from './exit-codes.js';
import { OUTPUT_FORMATS, type OutputFormat } from './format.js';
import { DEFAULT_API, resolveSettings } from './settings.js';
import { Terminal, type Streams } from './terminal.js';

const EXIT_CODES = `
Exit codes:
  0   the job succeeded (or the command did what it was asked)
  1   the job failed
  2   refused or could not start (invalid request, image policy, image pull, …)
  3   the job timed out
  4   the job was cancelled
  10  bad arguments          11  the api (or RabbitMQ) cannot be reached
  12  401/403: token missing, invalid or without the role
  13  no such job (or not yours)    14  another error answer from the api
  15  a local file could not be read or written    130  interrupted (Ctrl-C)`;

/** Job id argument: a UUID or `@latest`. */
const idArgument = (value: string) => (value === '@latest' ? value : jobId(value));

/**
 * The `cloud-worker` command. Each action returns its exit code; errors (CliError) carry theirs. `streams` and
 * `env` are parameters so that the specs can run it in memory.
 */
export function buildProgram(streams: Streams, cwd: string, done: (code: number) => void): Command {
  const program = new Command('cloud-worker')
    .description('Uploads inputs, runs images as cloud-worker jobs, follows them and downloads their outputs.')
    .option('--api <url>', `the api's address (default: $CLOUD_WORKER_API, else ${DEFAULT_API}: npm run dev's)`)
    .option('--token <token>', 'the bearer token (default: $CLOUD_WORKER_TOKEN, else the contents of .local/token, which npm run dev writes)')
    .addOption(new Option('-o, --output <format>', 'text for people, json for scripts (stable: the api\'s field names), name: ids only').choices(OUTPUT_FORMATS).default('text'))
    .addHelpText('after', EXIT_CODES)
    .showHelpAfterError('(cloud-worker --help lists the commands and options)')
    .configureOutput({ writeOut: (text) => streams.stdout.write(text), writeErr: (text) => streams.stderr.write(text) })
    .exitOverride();

  /** Runs an action with the context of the global options; its exit code goes to `done`. */
  const action =
    <A extends unknown[]>(work: (context: Context, ...args: A) => Promise<number>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const globals = command.optsWithGlobals<{ api?: string; token?: string; output: OutputFormat }>();
      const settings = resolveSettings({ flags: globals, env: streams.env, cwd });
      const context = { client: new ApiClient(settings), terminal: new Terminal(streams), format: globals.output };
      done(await work(context, ...(args.slice(0, -1) as A)));
    };

  const requestOptions = (command: Command) =>
    command
      .option('--image <image>', 'the image to run')
      .option('--name <jobName>', 'the job name (a lowercase RFC 1123 label, 1–26 characters)')
      .option('--input-bucket <bucket>', 'the bucket the job reads')
      .option('--output-bucket <bucket>', 'the bucket the job writes (default: the input bucket)')
      .option('--prefix <prefix>', 'the prefix of the job\'s objects (FILE_PREFIX)')
      .option('--timeout <minutes>', 'minutes the job may run (0: the default)', integer(0));

  jobSpecOptions(program
    .command('run')
    .description('upload inputs, run IMAGE, follow it, download its outputs')
    .argument('<image>', 'the image to run, e.g. mstc/bucket-copy')
    .argument('[args...]', "the container's arguments, after -- (e.g. -- --mode fast)"))
    .requiredOption('--name <jobName>', 'the job name (a lowercase RFC 1123 label, 1–26 characters)')
    .option('--input <path>', 'a file or folder to upload (repeat for more); folders go whole', collect, [])
    .option('--input-bucket <bucket>', 'where the inputs go, and the job reads', DEFAULT_BUCKET)
    .option('--output-bucket <bucket>', 'the bucket the job writes (default: the input bucket)')
    .option('--prefix <prefix>', "the run's prefix: inputs go under <prefix>/, the job gets it as FILE_PREFIX (default: generated)")
    .option('--timeout <minutes>', 'minutes the job may run (0: the default)', integer(0))
    .option('--out <dir>', 'download the outputs into this folder')
    .option('--detach', 'submit and exit: do not follow the job')
    .option('--cancel-on-interrupt', 'Ctrl-C cancels the job (by default it detaches and the job runs on)')
    .addHelpText('after', '\nExamples:\n  cloud-worker run mstc/bucket-copy --name copy --input ./data --out ./results\n  cloud-worker run mstc/eap --name big --limits cpu=4,memory=16Gi --env MODE=full -- --steps 100')
    .action(action((context, image: string, args: string[], options: RunOptions) => runCommand(context, image, args, options)));

  jobSpecOptions(requestOptions(program.command('submit').description('submit a work request (flags, or -f request.json) and print its record')))
    .option('--arg <value>', "a container argument (repeat for more, in order)", collect)
    .option('-f, --file <path>', 'the work request as JSON (- for stdin); flags override its fields')
    .option('--id <uuid>', 'the request id, for idempotent submission')
    .option('--wait', 'follow the job to its end and exit as it did')
    .option('--amqp <url>', 'publish to RabbitMQ the MSTC way (raw JSON, reply_to) instead of the api, and wait for the reply')
    .option('--exchange <name>', 'with --amqp: the work exchange', AMQP_DEFAULTS.exchange)
    .option('--routing-key <key>', 'with --amqp: the routing key', AMQP_DEFAULTS.routingKey)
    .addHelpText('after', '\nExamples:\n  cloud-worker submit --image mstc/python-test --name test-job --input-bucket test.inputs\n  cloud-worker submit -f request.json --amqp amqp://guest:guest@localhost:5672')
    .action(
      action((context, options: RequestFlags & { wait?: boolean; amqp?: string; exchange: string; routingKey: string }) =>
        options.amqp ? submitOverAmqp(context, { ...options, amqp: options.amqp }) : submitCommand(context, options),
      ),
    );

  /** A command on one job: its id (or @latest) first, and an example in its help. */
  const jobCommand = (name: string, description: string, example: string) =>
    program
      .command(name)
      .description(description)
      .argument('<id>', 'a job id, or @latest for your newest', idArgument)
      .addHelpText('after', `\nExample:\n  cloud-worker ${example}`);

  jobCommand('get', "print a job's record", 'get @latest -o json').action(action((context, id: string) => getCommand(context, id)));

  program
    .command('ls')
    .description('list jobs, newest first')
    .option('--status <statuses>', 'only these, comma-separated (queued, running, succeeded, failed, timed_out, cancelled)')
    .option('--limit <n>', 'at most this many', integer(1, 100_000), 20)
    .addHelpText('after', '\nExample:\n  cloud-worker ls --status failed,timed_out --limit 50')
    .action(action((context, options: { status?: string; limit: number }) => listCommand(context, options)));

  jobCommand('logs', "print a job's log; -f follows it live until the job ends", 'logs -f @latest --tail 20')
    .option('-f, --follow', 'follow the log until the job has ended')
    .option('--tail <n>', 'only the last n lines', integer(1, 100_000))
    .action(action((context, id: string, options: { follow?: boolean; tail?: number }) => logsCommand(context, id, options)));

  jobCommand('wait', 'wait for a job to end and exit as it did', 'wait @latest && echo done').action(action((context, id: string) => waitCommand(context, id)));

  jobCommand('cancel', 'cancel a job', 'cancel 5d0c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11').action(action((context, id: string) => cancelCommand(context, id)));

  jobCommand('outputs', "list a job's outputs; --out downloads them", 'outputs @latest --out ./results')
    .option('--out <dir>', 'download them into this folder')
    .action(action((context, id: string, options: { out?: string }) => outputsCommand(context, id, options)));

  return program;
}

/** Runs the CLI on these arguments; resolves with the exit code. Errors go to stderr, one line, no stack. */
export async function runCli(argv: string[], streams: Streams, cwd: string): Promise<number> {
  let code: number = ExitCode.SUCCEEDED;
  const program = buildProgram(streams, cwd, (exitCode) => (code = exitCode));
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return ExitCode.USAGE;
    }
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and the version are asked for: not errors. Commander has printed its message already.
      return error.exitCode === 0 ? ExitCode.SUCCEEDED : ExitCode.USAGE;
    }
    const { err } = new Terminal(streams);
    if (error instanceof CliError) {
      streams.stderr.write(`${err.red('error:')} ${error.message}\n`);
      return error.exitCode;
    }
    streams.stderr.write(`${err.red('error:')} ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.API_ERROR;
  }
}
