// Last step of `npm run build`: copies the files the product reads at run time beside its modules (every non-TypeScript file under src/: card templates, locale strings) and stamps the build as complete.
import { cpSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Usage: node scripts/copy-assets.mjs [OUT_DIR] (default dist, tsc's outDir in tsconfig.build.json).
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(root, process.argv[2] ?? 'dist');
const source = join(root, 'src');
if (!existsSync(source)) throw new Error(`no src/ under ${root}: run the build from a checkout of the project`);
if (!existsSync(join(out, 'src', 'index.js'))) throw new Error(`${out}/src/index.js is missing: run tsc first`);

const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (!name.endsWith('.ts')) cpSync(path, join(out, relative(root, path)));
  }
};
walk(source);
// bin/entra-sync.js runs the build only when this stamp is newer than every file under src/.
writeFileSync(join(out, 'build-stamp'), `${new Date().toISOString()}\n`);
