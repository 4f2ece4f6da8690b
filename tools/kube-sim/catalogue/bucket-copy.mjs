// Reads every object of INPUT_BUCKET from the S3 store at MINIO_SERVICE_HOST:MINIO_SERVICE_PORT and writes
// a summary (name, size, sha256 of each object) to OUTPUT_BUCKET as result.json, or <FILE_PREFIX>-result.json.
import { Client } from 'minio';
import { createHash } from 'node:crypto';

const env = process.env;
const required = (name, value) => {
  if (!value) {
    console.error(`error: ${name} is not set`);
    process.exit(2);
  }
  return value;
};
const inputBucket = required('INPUT_BUCKET', env.INPUT_BUCKET);
const outputBucket = env.OUTPUT_BUCKET || inputBucket;
const s3 = new Client({
  endPoint: required('MINIO_SERVICE_HOST', env.MINIO_SERVICE_HOST),
  port: Number(required('MINIO_SERVICE_PORT', env.MINIO_SERVICE_PORT)),
  useSSL: false,
  accessKey: required('MINIO_ACCESS_KEY', env.MINIO_ACCESS_KEY ?? env.AWS_ACCESS_KEY_ID),
  secretKey: required('MINIO_SECRET_KEY', env.MINIO_SECRET_KEY ?? env.AWS_SECRET_ACCESS_KEY),
  // Temporary credentials (a Job's own, from STS) come with a session token.
  sessionToken: env.MINIO_SESSION_TOKEN ?? env.AWS_SESSION_TOKEN,
});

try {
  console.log(`Reading s3://${inputBucket}`);
  const objects = [];
  for await (const item of s3.listObjectsV2(inputBucket, '', true)) {
    if (!item.name) continue;
    const chunks = [];
    for await (const chunk of await s3.getObject(inputBucket, item.name)) chunks.push(chunk);
    const content = Buffer.concat(chunks);
    const sha256 = createHash('sha256').update(content).digest('hex');
    objects.push({ name: item.name, size: content.length, sha256 });
    console.log(`  ${item.name} ${content.length} bytes sha256 ${sha256}`);
  }
  const resultName = env.FILE_PREFIX ? `${env.FILE_PREFIX}-result.json` : 'result.json';
  const result = Buffer.from(`${JSON.stringify({ inputBucket, objects }, null, 2)}\n`);
  if (!(await s3.bucketExists(outputBucket))) await s3.makeBucket(outputBucket);
  // Passing the size keeps the upload a single PUT (no multipart listing).
  await s3.putObject(outputBucket, resultName, result, result.length, { 'Content-Type': 'application/json' });
  console.log(`Wrote s3://${outputBucket}/${resultName} (${objects.length} objects)`);
  console.log('SUCCESS');
} catch (error) {
  console.error(`error: ${error.message}`);
  process.exit(1);
}
