/**
 * The S3 test server as a process of its own, started and driven over Node IPC by `startS3ServerProcess`
 * (server-process.ts); its options come as JSON in the first argument.
 */
import { startS3Server, type S3ServerOptions } from './s3-server.js';
import type { S3ProcessAnswer, S3ProcessCall, S3ProcessReady } from './server-process.js';

const s3 = await startS3Server(JSON.parse(process.argv[2] ?? '{}') as S3ServerOptions);
const answer = (message: S3ProcessAnswer | S3ProcessReady) => process.send!(message);

process.on('message', (message: S3ProcessCall) => {
  switch (message.call) {
    case 'addUser':
      s3.addUser(message.user);
      return answer({ id: message.id });
    case 'requests':
      return answer({ id: message.id, requests: s3.requests });
  }
});
// The parent disconnects to stop it, or has ended: either way it stops, and an orphan keeps neither port nor objects.
process.once('disconnect', async () => {
  await s3.stop();
  process.exit();
});

answer({ ready: { endpoint: s3.endpoint, host: s3.host, port: s3.port, accessKey: s3.accessKey, secretKey: s3.secretKey } });
