// Prints to stderr and exits with EXIT_CODE (default 3).
const exitCode = Number.parseInt(process.env.EXIT_CODE ?? '3', 10);
console.log('Started');
console.error(`error: mstc/fail failing on purpose with exit code ${exitCode}`);
process.exit(Number.isNaN(exitCode) ? 3 : exitCode);
