// Runs Vite's command line from the `vite` devDependency (Vite 8), for `npm run demo` and
// `npm run build:demo`. A bare `vite` in a script runs node_modules/.bin/vite, which is not
// always that one: the `vite7` devDependency (npm:vite@^7, for test-browser/vite-dev.test.ts)
// installs a bin of the same name, and which of the two npm links depends on its layout (here it
// linked Vite 7's). The e2e test builds the page with the same `vite` (test-browser/global-setup.ts).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const manifest = require.resolve('vite/package.json');
/** @type {{ bin: string | Record<string, string> }} */
const { bin } = require(manifest);
// Vite's bin reads its arguments from process.argv, as it would run from node_modules/.bin.
await import(pathToFileURL(join(dirname(manifest), typeof bin === 'string' ? bin : bin.vite)).href);
