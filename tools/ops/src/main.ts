// Entry of the operator CLI's bundle (dist/tools/ops/main.js), as a Kubernetes Job
// runs it: `node main.js <command> [projection] [options]` with the workers' environment.
import { runOps } from './cli';

runOps(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`ops: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
