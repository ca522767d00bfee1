// Bundles the console (apps/console) into dist/apps/console: index.html, app.js and app.css, everything it
// needs included (no CDN at run time). `npm run build` runs it; `--watch` rebuilds on change.
const { build, context } = require('esbuild');
const { copyFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const out = join(root, 'dist', 'apps', 'console');

async function main() {
  mkdirSync(out, { recursive: true });
  copyFileSync(join(root, 'apps', 'console', 'index.html'), join(out, 'index.html'));
  const options = {
    entryPoints: { app: join(root, 'apps', 'console', 'src', 'main.ts') },
    outdir: out,
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'esm',
    target: ['chrome120', 'firefox120', 'safari17'],
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  };
  if (process.argv.includes('--watch')) {
    await (await context(options)).watch();
    console.log(`console: watching, output in ${out}`);
    return;
  }
  await build(options);
}

main().catch((error) => {
  console.error(`build-console: ${error.message}`);
  process.exit(1);
});
