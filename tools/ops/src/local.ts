// `npm run ops` and `npm run status`: the CLI against the local infrastructure of
// tools/local-infra unless KAFKA_BROKERS and MONGO_URL name a cluster (as the
// simulator does); the bundle (main.ts) requires them, as the workers do.
import { runOpsProcess } from './process-entry';

/** The workers' environment with the local infrastructure's addresses where none is given. */
function withLocalDefaults(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    KAFKA_BROKERS: env['KAFKA_BROKERS'] || '127.0.0.1:9092',
    MONGO_URL: env['MONGO_URL'] || 'mongodb://127.0.0.1:27017',
  };
}

runOpsProcess(process.argv.slice(2), withLocalDefaults(process.env));
