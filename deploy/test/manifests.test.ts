import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { CONSUMER_GROUPS, DOMAIN_TOPICS, GROUP_TOPICS, deadLetterTopicOf } from '@sc/event-schemas';
import { REQUIRED_WORKER_ENV_VARS as RUNTIME_REQUIRED, WORKER_ENV_VARS as RUNTIME_VARS } from '@sc/kafka-runtime';
import { MONGO_STORE_ENV_VARS, REQUIRED_MONGO_STORE_ENV_VARS } from '@sc/mongo-store';
import { WORKERS as DECLARED_WORKERS } from '@sc/read-models';

// A worker reads the runtime's variables and its store adapter's.
const WORKER_ENV_VARS = [...RUNTIME_VARS, ...MONGO_STORE_ENV_VARS];
const REQUIRED_WORKER_ENV_VARS = [...RUNTIME_REQUIRED, ...REQUIRED_MONGO_STORE_ENV_VARS];

// Rendered with the real kustomize, built once from the Go module proxy.
const KUSTOMIZE_VERSION = 'v5.7.1';
const root = resolve(__dirname, '..', '..');
const deploy = resolve(__dirname, '..');
/** The one Dockerfile of every worker's image, relative to the repository root. */
const WORKER_DOCKERFILE = 'deploy/worker.Dockerfile';

function kustomizeBinary(): string {
  const bin = join(root, '.local-infra', 'cache', `kustomize-${KUSTOMIZE_VERSION}`);
  if (!existsSync(join(bin, 'kustomize'))) {
    mkdirSync(bin, { recursive: true });
    execFileSync('go', ['install', `sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}`], {
      env: { ...process.env, GOBIN: bin },
      stdio: 'pipe',
    });
  }
  return join(bin, 'kustomize');
}

type Resource = { kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown };
type Container = {
  args?: string[];
  ports: { name: string; containerPort: number }[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom: { configMapRef: { name: string } }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  securityContext: {
    allowPrivilegeEscalation: boolean;
    readOnlyRootFilesystem: boolean;
    capabilities: { drop: string[] };
  };
  image: string;
};

function render(dir: string): Resource[] {
  const output = execFileSync(kustomizeBinary(), ['build', join(deploy, dir)], { encoding: 'utf8' });
  return parseAllDocuments(output).map((d) => d.toJSON() as Resource);
}

// The manifests must agree with the workers as they are declared (@sc/read-models).
const WORKERS = DECLARED_WORKERS.map((w) => ({ app: w.app, group: w.group, port: w.defaultPort }));
const topics = (
  JSON.parse(readFileSync(join(deploy, 'topics.json'), 'utf8')) as {
    topics: { name: string; partitions: number; replicationFactor: number; config: Record<string, string> }[];
  }
).topics;
const partitionsOf = (group: keyof typeof GROUP_TOPICS) =>
  GROUP_TOPICS[group].reduce((sum, t) => sum + topics.find((d) => d.name === t)!.partitions, 0);
const find = (resources: Resource[], kind: string, name: string) =>
  resources.find((r) => r.kind === kind && r.metadata.name === name);

describe.each(['base', 'overlays/dev', 'overlays/prod', 'alternatives/hpa'])('kustomize build %s', (dir) => {
  const resources = render(dir);
  const config = find(resources, 'ConfigMap', 'sc-projections-config') as unknown as { data: Record<string, string> };

  it.each(WORKERS)('$app: probes, port, env, grace period and security as the runtime expects', ({ app, port }) => {
    const deployment = find(resources, 'Deployment', app) as unknown as {
      spec: {
        template: {
          spec: {
            terminationGracePeriodSeconds: number;
            securityContext: Record<string, unknown>;
            containers: Container[];
          };
        };
      };
    };
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    expect(container!.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
    expect(container!.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container!.ports).toEqual([{ name: 'http', containerPort: port }]);
    expect(container!.env.find((e) => e.name === 'HTTP_PORT')?.value).toBe(String(port));

    const provided = new Set([...Object.keys(config.data), ...container!.env.map((e) => e.name)]);
    for (const name of provided) expect(WORKER_ENV_VARS).toContain(name);
    for (const name of REQUIRED_WORKER_ENV_VARS) expect(provided).toContain(name);
    expect(container!.envFrom).toEqual([{ configMapRef: { name: 'sc-projections-config' } }]);
    for (const secret of ['MONGO_URL', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) {
      const entry = container!.env.find((e) => e.name === secret);
      expect(entry?.value).toBeUndefined();
      expect(entry?.valueFrom?.secretKeyRef).toMatchObject({ name: 'sc-projections-secrets', key: secret });
      expect(config.data[secret]).toBeUndefined();
    }

    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(config.data['SHUTDOWN_GRACE_MS']));
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(container!.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(find(resources, 'Service', `${app}-metrics`)).toBeDefined();
    expect(find(resources, 'ServiceMonitor', app)).toMatchObject({
      spec: { endpoints: [{ port: 'http', path: '/metrics' }] },
    });
    expect(find(resources, 'PodDisruptionBudget', app)).toBeDefined();
  });

  it.each(WORKERS)('$app: scales on its own group, from 1 to the partition count of its topics', ({ app, group }) => {
    const max = partitionsOf(group);
    if (dir === 'alternatives/hpa') {
      expect(find(resources, 'ScaledObject', app)).toBeUndefined();
      expect(find(resources, 'HorizontalPodAutoscaler', app)).toMatchObject({
        spec: { minReplicas: 1, maxReplicas: max, scaleTargetRef: { name: app } },
      });
      return;
    }
    const scaled = find(resources, 'ScaledObject', app) as unknown as {
      spec: {
        minReplicaCount: number;
        maxReplicaCount: number;
        scaleTargetRef: { name: string };
        triggers: { type: string; metadata: { consumerGroup: string } }[];
      };
    };
    expect(scaled.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: max, scaleTargetRef: { name: app } });
    expect(scaled.spec.triggers).toEqual([
      expect.objectContaining({ type: 'kafka', metadata: expect.objectContaining({ consumerGroup: group }) }),
    ]);
  });

  it('provisions exactly the declared topics', () => {
    const listed = (
      find(resources, 'ConfigMap', 'sc-projections-topics') as unknown as { data: { 'topics.txt': string } }
    ).data['topics.txt'];
    expect(
      listed
        .trim()
        .split('\n')
        .map((l) => l.trim()),
    ).toEqual(topics.map((t) => `${t.name} ${t.partitions} ${t.replicationFactor} ${t.config['retention.ms']}`));
  });
});

describe('overlays', () => {
  it('put each environment in its own namespace with its image tag', () => {
    for (const [dir, namespace, tag] of [
      ['overlays/dev', 'sc-dev', 'dev'],
      ['overlays/prod', 'sc-prod', 'prod'],
    ] as const) {
      const resources = render(dir);
      expect(new Set(resources.map((r) => r.metadata.namespace))).toEqual(new Set([namespace]));
      const deployment = find(resources, 'Deployment', 'order-summary-worker') as unknown as {
        spec: { template: { spec: { containers: Container[] } } };
      };
      expect(deployment.spec.template.spec.containers[0]!.image).toBe(`sc/order-summary-worker:${tag}`);
    }
  });
});

describe('topic declaration', () => {
  it('has every domain topic, kept forever so a projection can be rebuilt, and a dead-letter topic per group', () => {
    for (const topic of Object.values(DOMAIN_TOPICS))
      expect(topics.find((t) => t.name === topic)?.config['retention.ms']).toBe('-1');
    for (const group of Object.values(CONSUMER_GROUPS))
      expect(topics.map((t) => t.name)).toContain(deadLetterTopicOf(group));
  });
});

describe('images and docker-compose', () => {
  interface Service {
    build?: { context: string; dockerfile: string; args?: Record<string, string> };
    environment: Record<string, string>;
    ports?: string[];
    init?: boolean;
  }
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
  };

  it.each(WORKERS)(
    '$app: its image is the one worker Dockerfile given the app; compose uses only variables the worker reads, on its port',
    ({ app, port }) => {
      const service = compose.services[app]!;
      const names = Object.keys(service.environment);
      for (const name of names) expect(WORKER_ENV_VARS).toContain(name);
      for (const name of REQUIRED_WORKER_ENV_VARS) expect(names).toContain(name);
      expect(service.environment['HTTP_PORT']).toBe(String(port));
      expect(service.ports).toEqual([`${port}:${port}`]);
      expect(service.init).toBe(true);
      expect(service.build).toEqual({ context: '.', dockerfile: WORKER_DOCKERFILE, args: { APP: app } });
    },
  );

  it('builds the app named by APP, ships its bundle and runs it as a non-root user', () => {
    const dockerfile = readFileSync(join(root, WORKER_DOCKERFILE), 'utf8');
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages).toHaveLength(2);
    // An ARG is visible only in the stage that declares it.
    for (const stage of stages) expect(stage).toMatch(/^ARG APP$/m);
    expect(stages[0]).toContain('npx nx build "$APP"');
    expect(stages[1]).toContain('COPY --from=build /repo/dist/apps/${APP}/ ./');
    expect(stages[1]).toMatch(/^USER node$/m);
    // The port is the worker's default from its descriptor, not restated in the image.
    expect(dockerfile).not.toMatch(/HTTP_PORT|EXPOSE/);
  });

  it('points the workers at the compose broker and database', () => {
    for (const { app } of WORKERS) {
      expect(compose.services[app]!.environment['KAFKA_BROKERS']).toBe('kafka:9092');
      expect(compose.services[app]!.environment['MONGO_URL']).toBe('mongodb://mongo:27017');
    }
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['kafka', 'mongo']));
  });
});

describe('the operator CLI’s workloads (deploy/ops)', () => {
  const resources = render('ops');
  const projections = DECLARED_WORKERS.map((w) => w.projection.name);
  type OpsPod = { restartPolicy: string; securityContext: Record<string, unknown>; containers: Container[] };
  const pods: [string, OpsPod][] = resources.map((r) => {
    const spec = r['spec'] as {
      template?: { spec: OpsPod };
      jobTemplate?: { spec: { template: { spec: OpsPod } } };
    };
    return [r.metadata.name, (spec.template ?? spec.jobTemplate!.spec.template).spec];
  });

  it('verifies every projection on a schedule, and holds rebuild, replay and list Jobs suspended', () => {
    const verified = resources
      .filter((r) => r.kind === 'CronJob')
      .map(
        (r) => (r['spec'] as { jobTemplate: { spec: { template: { spec: OpsPod } } } }).jobTemplate.spec.template.spec,
      )
      .map((pod) => pod.containers[0]!.args);
    expect(verified.sort()).toEqual(projections.map((p) => ['verify', p, '--json']).sort());
    const jobs = resources.filter((r) => r.kind === 'Job');
    expect(jobs.map((j) => j.metadata.name).sort()).toEqual(['sc-ops-dlq-list', 'sc-ops-dlq-replay', 'sc-ops-rebuild']);
    for (const job of jobs) expect(job['spec']).toMatchObject({ suspend: true });
  });

  it.each(pods.map(([name, pod]) => ({ name, pod })))(
    '$name: runs the ops bundle with the workers’ environment, credentials from the Secret, locked down',
    ({ pod }) => {
      const [container] = pod.containers as (Container & { args: string[] })[];
      expect(['verify', 'rebuild', 'dlq']).toContain(container!.args[0]);
      expect(projections).toContain(container!.args[container!.args[0] === 'dlq' ? 2 : 1]);
      expect(container!.args).toContain('--json');
      expect(container!.image).toMatch(/^sc-projections\/ops:/);
      expect(container!.envFrom).toEqual([{ configMapRef: { name: 'sc-projections-config' } }]);
      for (const entry of container!.env) {
        expect(WORKER_ENV_VARS).toContain(entry.name);
        expect(entry.value).toBeUndefined();
        expect(entry.valueFrom?.secretKeyRef).toMatchObject({ name: 'sc-projections-secrets', key: entry.name });
      }
      expect(container!.env.map((e) => e.name)).toContain('MONGO_URL');
      expect(pod.restartPolicy).toBe('Never');
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      expect(container!.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
    },
  );
});
