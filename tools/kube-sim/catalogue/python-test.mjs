// Local stand-in for the seed's mstc/python-test image: prints "Started", every environment variable sorted
// as "K: v", sleeps SLEEP_SECONDS (default 5; fractions allowed), prints the S3 host and port, then SUCCESS.
const env = process.env;
console.log('Started');
for (const key of Object.keys(env).sort()) console.log(`${key}: ${env[key]}`);
const seconds = Number.parseFloat(env.SLEEP_SECONDS ?? '5');
await new Promise((resolve) => setTimeout(resolve, (Number.isFinite(seconds) ? Math.max(0, seconds) : 5) * 1000));
console.log(`host: ${env.MINIO_SERVICE_HOST ?? ''}`);
console.log(`port: ${env.MINIO_SERVICE_PORT ?? ''}`);
console.log('SUCCESS');
