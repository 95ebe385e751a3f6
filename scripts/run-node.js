// `node scripts/run-node.js [node options] script [args]`: runs node with the flag this node needs
// for relaxed SIMD (node-flags.js) and the given arguments. The package.json scripts start node
// through it, so `npm start`, the benchmarks and the soak run on Node 20 and on Node 22+ alike.
import { spawn } from 'node:child_process';
import { relaxedSimdFlags } from './node-flags.js';

const child = spawn(process.execPath, [...relaxedSimdFlags, ...process.argv.slice(2)], { stdio: 'inherit' });
// Ctrl-C reaches the child directly (one process group), and `npm start` stops cleanly on the
// first one, so this process must not pass on a second; a SIGTERM sent to it alone is passed on.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
});
