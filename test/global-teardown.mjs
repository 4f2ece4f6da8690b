// Stops the broker the global setup started for the run (a private node or a container); one found running stays.
export default async function globalTeardown() {
  await globalThis.cloudWorkerTestBroker?.stop();
}
