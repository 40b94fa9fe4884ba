// Chromium for browser checks comes from the machine's packages (Debian's `chromium`). If it is
// missing, the check installs it; where that is impossible it says so and the test is skipped.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The path to a usable Chromium, or the reason there is none. */
export function ensureChromium(): { path: string } | { missing: string } {
  if (existsSync(CHROMIUM)) return { path: CHROMIUM };
  const apt = spawnSync('apt-get', ['install', '-y', '-q', 'chromium'], {
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (apt.status !== 0) {
    // A stale package index is the usual cause on a fresh machine: refresh once and retry.
    spawnSync('apt-get', ['update', '-q'], { encoding: 'utf8', timeout: 300_000 });
    spawnSync('apt-get', ['install', '-y', '-q', 'chromium'], {
      encoding: 'utf8',
      timeout: 600_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  if (existsSync(CHROMIUM)) return { path: CHROMIUM };
  return {
    missing: `Chromium is not installed and \`apt-get install chromium\` failed: ${(apt.stderr ?? '').trim().split('\n').at(-1) ?? ''}`,
  };
}

/** Flags for a headless Chromium on a machine with a closed network (see TOOLING.md). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
