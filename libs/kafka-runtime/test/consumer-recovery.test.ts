import { Writable } from 'node:stream';
import { KafkaJSConnectionError, KafkaJSGroupCoordinatorNotFound, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { ProjectionError, createLogger } from '@sc/service-kit';
import { createConsumerRecovery, createRetrier, isInfrastructureCrash } from '../src';

// kafkajs's types declare no arguments for it; kafkajs itself passes the message.
const coordinatorNotFound = (): Error =>
  Reflect.construct(KafkaJSGroupCoordinatorNotFound, ['Failed to find group coordinator']) as Error;
const brokerDown = () => new ProjectionError('KAFKA_UNAVAILABLE', 'connect failed', { retriable: true });

/** Resolves once `condition` holds (checked every millisecond), or fails after a while. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(condition()).toBe(true);
}

function selfCaused(): Error {
  const error = new Error('loop');
  error.cause = error;
  return error;
}

describe('isInfrastructureCrash', () => {
  it.each([
    ['a kafkajs error kafkajs calls non-retriable (no coordinator found)', coordinatorNotFound()],
    [
      'kafkajs giving up after its retries',
      new KafkaJSNumberOfRetriesExceeded(new Error('Not connected'), { retryCount: 5, retryTime: 3000 }),
    ],
    [
      'an error caused by a kafkajs connection error',
      new Error('commit failed', { cause: new KafkaJSConnectionError('Connection refused') }),
    ],
    ['a retriable error of ours', brokerDown()],
  ])('given %s, then it is the broker’s trouble', (_name, error) => {
    expect(isInfrastructureCrash(error)).toBe(true);
  });

  it.each([
    ['a bug', new TypeError('x is undefined')],
    [
      'a non-retriable error of ours, whatever its cause',
      new ProjectionError('CONFIG_INVALID', 'bad', { retriable: false, cause: coordinatorNotFound() }),
    ],
    ['a thrown string', 'boom'],
    ['an error that is its own cause', selfCaused()],
  ])('given %s, then it is not', (_name, error) => {
    expect(isInfrastructureCrash(error)).toBe(false);
  });
});

describe('createConsumerRecovery', () => {
  const make = (restart: () => Promise<void> = async () => undefined) => {
    const abort = new AbortController();
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      name: 'recovery-test',
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
          done();
        },
      }),
    });
    const policy = { initialMs: 1, maxMs: 2 };
    const retrier = createRetrier({ policy, logger, signal: abort.signal });
    const fatal: unknown[] = [];
    let restarts = 0;
    let counted = 0;
    const recovery = createConsumerRecovery({
      restart: async () => {
        restarts++;
        await restart();
      },
      retrier,
      policy,
      logger,
      signal: abort.signal,
      onFatal: (error) => fatal.push(error),
      onRestart: () => counted++,
    });
    return { recovery, abort, fatal, lines, restarts: () => restarts, counted: () => counted, retrier };
  };

  it('given a crash kafkajs restarts itself, when it is reported, then the worker leaves it to kafkajs', async () => {
    const { recovery, fatal, restarts } = make();
    recovery.crashed(new KafkaJSConnectionError('Connection refused'), true);
    recovery.crashed(new KafkaJSConnectionError('Connection refused'), true);
    await recovery.idle();
    expect({ restarts: restarts(), fatal, isFatal: recovery.fatal(), reasons: recovery.reasons() }).toEqual({
      restarts: 0,
      fatal: [],
      isFatal: false,
      reasons: [],
    });
  });

  it('given broker trouble kafkajs does not retry, when the consumer crashes, then the worker restarts it once, saying why until then', async () => {
    const { recovery, fatal, restarts, counted } = make();
    recovery.crashed(coordinatorNotFound(), false);
    expect(recovery.reasons()).toEqual([
      'kafka: consumer restarting after a crash: KafkaJSGroupCoordinatorNotFound: Failed to find group coordinator',
    ]);
    await recovery.idle();
    expect({ restarts: restarts(), counted: counted(), fatal, reasons: recovery.reasons() }).toEqual({
      restarts: 1,
      counted: 1,
      fatal: [],
      reasons: [],
    });
    expect(recovery.fatal()).toBe(false);
  });

  it('given the broker still down, when a restart fails, then it is retried until it succeeds, and no crash is fatal', async () => {
    let calls = 0;
    const { recovery, fatal, restarts } = make(async () => {
      if (++calls < 3) throw brokerDown();
    });
    recovery.crashed(coordinatorNotFound(), false);
    await recovery.idle();
    expect({ restarts: restarts(), fatal }).toEqual({ restarts: 3, fatal: [] });
  });

  it('given a restarted consumer that crashes again while it starts, then the worker restarts it again', async () => {
    let calls = 0;
    const holder: { recovery?: ReturnType<typeof createConsumerRecovery> } = {};
    const world = make(async () => {
      // kafkajs reports a failed join as a crash before its `run` resolves.
      if (++calls === 1) holder.recovery!.crashed(coordinatorNotFound(), false);
    });
    holder.recovery = world.recovery;
    world.recovery.crashed(coordinatorNotFound(), false);
    await world.recovery.idle();
    expect(world.restarts()).toBe(2);
    expect(world.recovery.reasons()).toEqual([]);
  });

  it('given crashes without a join between them, then each waits longer; given a join, then the count starts again', async () => {
    const { recovery, lines } = make();
    const crashCounts = () =>
      lines.filter((l) => typeof l['crashesSinceJoin'] === 'number').map((l) => l['crashesSinceJoin']);
    recovery.crashed(coordinatorNotFound(), false);
    await recovery.idle();
    recovery.crashed(coordinatorNotFound(), false);
    await recovery.idle();
    recovery.joined();
    recovery.crashed(coordinatorNotFound(), false);
    await recovery.idle();
    expect(crashCounts()).toEqual([1, 2, 1]);
  });

  it('given a crash that is not the broker’s (a bug), then the process must end: onFatal once, liveness fails, no restart', async () => {
    const { recovery, fatal, restarts, lines } = make();
    const bug = new TypeError('x is undefined');
    recovery.crashed(bug, false);
    recovery.crashed(new TypeError('again'), false);
    recovery.crashed(coordinatorNotFound(), false);
    await recovery.idle();
    expect({ fatal, isFatal: recovery.fatal(), restarts: restarts() }).toEqual({
      fatal: [bug],
      isFatal: true,
      restarts: 0,
    });
    expect(lines.filter((l) => l['level'] === 'fatal')).toHaveLength(1);
  });

  it('given a restart that fails on an error that is not retriable, then the process must end', async () => {
    const refusal = new ProjectionError('CONFIG_INVALID', 'refused', { retriable: false });
    const { recovery, fatal } = make(async () => {
      throw refusal;
    });
    recovery.crashed(coordinatorNotFound(), false);
    await recovery.idle();
    expect({ fatal, isFatal: recovery.fatal() }).toEqual({ fatal: [refusal], isFatal: true });
  });

  it('given a restart pending, when the worker stops, then the consumer is not restarted and idle resolves', async () => {
    const { recovery, abort, restarts } = make();
    recovery.crashed(coordinatorNotFound(), false);
    abort.abort();
    await recovery.idle();
    recovery.crashed(coordinatorNotFound(), false);
    await until(() => recovery.reasons().length === 0);
    expect(restarts()).toBe(0);
  });
});
