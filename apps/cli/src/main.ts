#!/usr/bin/env node
// The `cloud-worker` command (package.json's bin). Kept light: commander and the CLI's own files; what only one
// command needs (the progress bars, RabbitMQ's client) is imported when that command runs.
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }, process.cwd());
process.exitCode = code;
// A follow's EventSource or a kept-alive socket must not hold the process open once the answer is out.
process.stdout.write('', () => process.exit(code));
