// Runs `npm ci` when node_modules is missing or older than the lockfile.
//
// Plain JavaScript on purpose: it runs before the packages (tsx among them) are
// installed. Typechecked through JSDoc (checkJs in tools/tsconfig.json) and linted.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Installs the npm packages if needed; exits the process if that fails.
 * @param {string} root the repository root
 * @param {NodeJS.ProcessEnv} [env] the environment of `npm ci`
 * @returns {void}
 */
export function ensureDependencies(root, env = process.env) {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(join(root, 'package-lock.json')).mtimeMs) return;
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/**
 * After `ensureDependencies`: loads a TypeScript module of this folder through tsx
 * (in this process, so signals and the exit code stay this script's).
 * @param {string} file a file name relative to this folder, e.g. `./test.ts`
 * @returns {Promise<unknown>} the module's exports
 */
export async function loadTypeScript(file) {
  const { require: tsxRequire } = await import('tsx/cjs/api');
  return /** @type {unknown} */ (tsxRequire(file, import.meta.url));
}
