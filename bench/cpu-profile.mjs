/**
 * Preload that records a CPU profile of an app process, for `npm run bench -- --profile DIR`. Node 20 refuses
 * `--cpu-prof` in NODE_OPTIONS, so the apps (started by `AppProcess` with plain `node`) load this through
 * `NODE_OPTIONS=--import …` instead; the profile is written to CPU_PROFILE_DIR when the process exits.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const directory = process.env.CPU_PROFILE_DIR;
if (directory) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  // The in-thread inspector session answers synchronously, so the profile is complete before the process ends.
  process.on('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(join(directory, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
