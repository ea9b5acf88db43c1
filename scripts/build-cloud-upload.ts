/**
 * After `tsc`, writes build/back4app/cloud/: the folder Back4app's cloud-code upload takes (and any
 * Parse Server's `cloud` option), complete on its own. Back4app runs the folder's `main.js` and
 * installs the `dependencies` of the folder's `package.json`; nothing outside the folder is
 * uploaded. The compiled cloud code reaches outside build/cloud (../../parse-config), so the files
 * main.js loads are copied with their layout under shop/, and main.js loads shop/cloud/main.js.
 *
 * schema.graphql holds the typed GraphQL operations (scripts/server/graphql-schema.ts), which
 * Back4app reads from the cloud folder as Parse's `graphQLCustomTypeDefs`.
 *
 * The build fails when the cloud code requires a package that is not in `dependencies`, or a file
 * outside build/: it would load here and fail on the host.
 */
import { builtinModules } from 'node:module';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SHOP_TYPE_DEFS } from './server/graphql-schema';

const ROOT = path.resolve(__dirname, '..');
const BUILD = path.join(ROOT, 'build');
const UPLOAD_DIR = path.join(BUILD, 'back4app', 'cloud');

const REQUIRE = /\brequire\((["'])([^"']+)\1\)/g;

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function resolveFile(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  const file = [base, `${base}.js`, path.join(base, 'index.js')].find((candidate) => existsSync(candidate) && candidate.endsWith('.js'));
  if (!file) throw new Error(`${path.relative(ROOT, from)} requires ${specifier}, which the build did not write`);
  return file;
}

/** The compiled files main.js loads, and the packages they require. */
function closure(entry: string): { files: string[]; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    if (path.relative(BUILD, file).startsWith('..')) throw new Error(`The cloud code requires ${file}, outside build/`);
    files.add(file);
    for (const [, , specifier] of readFileSync(file, 'utf8').matchAll(REQUIRE)) {
      if (specifier.startsWith('.')) visit(resolveFile(file, specifier));
      else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) packages.add(packageName(specifier));
    }
  };
  visit(entry);
  return { files: [...files].sort(), packages };
}

function writeCloudUpload(): { files: number; dependencies: Record<string, string> } {
  const project = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const { files, packages } = closure(path.join(BUILD, 'cloud', 'main.js'));
  const dependencies: Record<string, string> = {};
  for (const name of [...packages].sort()) {
    const version = project.dependencies?.[name];
    if (!version) throw new Error(`The cloud code requires ${name}, which package.json does not list in dependencies`);
    dependencies[name] = version;
  }

  rmSync(path.dirname(UPLOAD_DIR), { recursive: true, force: true });
  for (const file of files) {
    const target = path.join(UPLOAD_DIR, 'shop', path.relative(BUILD, file));
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(file, target);
  }
  writeFileSync(
    path.join(UPLOAD_DIR, 'main.js'),
    "// The shop's cloud code, compiled by `npm run build` (see docs/DEPLOY.md).\nrequire('./shop/cloud/main.js');\n",
  );
  writeFileSync(path.join(UPLOAD_DIR, 'schema.graphql'), `${SHOP_TYPE_DEFS.trim()}\n`);
  const manifest = { name: `${project.name}-cloud`, version: project.version, private: true, dependencies };
  writeFileSync(path.join(UPLOAD_DIR, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { files: files.length, dependencies };
}

const { files, dependencies } = writeCloudUpload();
const deps = Object.entries(dependencies).map(([name, version]) => `${name}@${version}`).join(', ') || 'none';
console.log(`Cloud code for upload: ${path.relative(ROOT, UPLOAD_DIR)}/ (main.js, schema.graphql and ${files} compiled files; dependencies: ${deps})`);
