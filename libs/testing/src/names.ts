import { randomBytes } from 'node:crypto';

/**
 * A fresh namespace for one test file: a MongoDB database name and a prefix for
 * topic and group names, so files run in parallel and reruns never see old data.
 */
export function createTestNamespace(label: string): { readonly database: string; readonly prefix: string } {
  const id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const safe = label
    .replace(/[^a-z0-9]+/gi, '-')
    .toLowerCase()
    .slice(0, 20);
  return { database: `t_${safe.replace(/-/g, '_')}_${id}`, prefix: `t.${safe}.${id}.` };
}
