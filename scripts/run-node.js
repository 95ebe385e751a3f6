// `node scripts/run-node.js [node options] script [args]`: runs node with the flag this node needs
// for relaxed SIMD (node-flags.js) and the given arguments. The package.json scripts start node
// through it, so `npm start`, the benchmarks and the soak run on Node 20 and on Node 22+ alike.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { relaxedSimdFlags } from './node-flags.js';

// The scripts it runs are mostly build outputs (build/examples, build/bench): before the first
// build node's own error was a stack about a missing module.
// (Only a path to a .js file counts: `-e code` and other option values are not scripts.)
const script = process.argv.slice(2).find((arg) => !arg.startsWith('-') && /\.[cm]?js$/.test(arg));
if (script && !existsSync(script)) {
  console.error(`run-node: ${script} does not exist; build first with npm run build (npm start builds before it runs)`);
  process.exit(1);
}

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
