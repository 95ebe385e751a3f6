// Where the browser tests find Chromium and how they launch it: Debian's package (playwright's own
// browser downloads cannot be fetched here), with the flags that keep a headless run offline and
// quiet. Plain JS so the test runner script, the vitest config and the tests share one copy.
import { existsSync } from 'node:fs';

/** The Chromium binary; CHROMIUM_PATH overrides Debian's location. */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** playwright's launch options for that binary. */
export const launchOptions = { executablePath: chromiumPath, args: chromiumArgs, headless: true };

export function hasChromium() {
  return existsSync(chromiumPath);
}
