// Runs the worker on this machine in workerd, the Workers runtime, through
// Miniflare's Node API: first `wrangler deploy --dry-run` bundles it exactly
// as a deploy would upload it, then Miniflare serves that bundle with
// wrangler.toml's settings. (`wrangler dev` works too, but its inspector
// breaks large streamed request bodies such as image tarballs.)
//
//   node local.mjs [--port 8787] [--host 127.0.0.1]    (npm start)
//
// The tests start it the same way, through `start()`.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';

export const workerDir = path.dirname(fileURLToPath(import.meta.url));

/** Bundles the worker into `outdir` as `wrangler deploy` would (offline). */
export function bundle(outdir) {
  execFileSync(path.join(workerDir, 'node_modules/.bin/wrangler'),
    ['deploy', '--dry-run', '--outdir', outdir], {
      cwd: workerDir,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
}

/**
 * Serves the bundle in `outdir` with wrangler.toml's compatibility date,
 * module rules and [vars] (`vars` overrides some). Resolves to the running
 * Miniflare and its URL; `port: 0` takes a free port.
 */
export async function start(outdir, { host = '127.0.0.1', port = 0, vars = {} } = {}) {
  const { workerOptions: w } = unstable_getMiniflareWorkerOptions(path.join(workerDir, 'wrangler.toml'));
  const mf = new Miniflare({
    modules: true,
    scriptPath: path.join(outdir, 'index.js'),
    modulesRoot: outdir,
    modulesRules: w.modulesRules,
    compatibilityDate: w.compatibilityDate,
    compatibilityFlags: w.compatibilityFlags,
    bindings: { ...w.bindings, ...vars },
    host,
    port,
  });
  return { mf, url: await mf.ready };
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  const outdir = mkdtempSync(path.join(tmpdir(), 'layerkit-worker-'));
  bundle(outdir);
  const { mf, url } = await start(outdir, { host: values.host, port: Number(values.port) });
  console.log(`layerkit worker on ${url} (Ctrl-C stops it)`);
  // workerd has read the bundle; the folder goes whichever way Node exits.
  process.on('exit', () => rmSync(outdir, { recursive: true, force: true }));
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => mf.dispose().finally(() => process.exit(0)));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main();
}
