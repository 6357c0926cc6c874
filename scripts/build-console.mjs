#!/usr/bin/env node
// Builds the web console (apps/console) into dist/console: one ES module bundle, one stylesheet
// and index.html, with source maps. esbuild bundles Preact and the API client from node_modules,
// so the console loads nothing from any other host (works offline; a strict CSP allows 'self'
// only). Type checking is `npm run typecheck` (esbuild strips types without checking them).
// Used by `npm run build`, `npm test` and `npm start`; runnable alone: `node scripts/build-console.mjs`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function buildConsole({ outdir = `${root}dist/console` } = {}) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: ['apps/console/src/main.tsx', 'apps/console/src/styles.css'],
    outdir,
    entryNames: '[name]',
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: 'apps/console/tsconfig.json',
    logLevel: 'warning',
  });
  copyFileSync(`${root}apps/console/index.html`, `${outdir}/index.html`);
  return outdir;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  buildConsole().then(
    (outdir) => console.log(`[console] built ${outdir} in ${Date.now() - started} ms`),
    (error) => {
      console.error(`[console] build failed: ${error.message}`);
      process.exit(1);
    },
  );
}
