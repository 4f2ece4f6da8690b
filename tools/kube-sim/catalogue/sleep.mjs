// Runs until it is killed.
console.log('Started, sleeping until killed');
setInterval(() => {}, 1 << 30);
