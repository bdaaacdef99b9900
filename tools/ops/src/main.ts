// Entry of the operator CLI's bundle (dist/tools/ops/main.js), as a Kubernetes Job
// runs it: `node main.js <command> [projection] [options]` with the workers' environment.
import { runOpsProcess } from './process-entry';

runOpsProcess(process.argv.slice(2), process.env);
