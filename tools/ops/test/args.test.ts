import { USER_CARDS_WORKER, FEED_BUILDER_WORKER } from '@sc/read-models';
import { UsageError, parseOpsArgs } from '../src/args';

describe('parseOpsArgs', () => {
  it('reads each command with its projection and options', () => {
    expect(parseOpsArgs([])).toEqual({ command: { name: 'help' }, json: false });
    expect(parseOpsArgs(['status', '--json'])).toEqual({ command: { name: 'status' }, json: true });
    expect(parseOpsArgs(['verify', 'user_cards', '--show', '3'])).toEqual({
      command: { name: 'verify', worker: USER_CARDS_WORKER, show: 3, mode: 'auto', maxMemoryDocuments: undefined },
      json: false,
    });
    expect(parseOpsArgs(['rebuild', 'feed-builder-worker', '--dry-run']).command).toEqual({
      name: 'rebuild',
      worker: FEED_BUILDER_WORKER,
      dryRun: true,
      keepOld: false,
    });
    expect(parseOpsArgs(['dlq', 'list', 'sc-proj-user-cards']).command).toEqual({
      name: 'dlq-list',
      worker: USER_CARDS_WORKER,
    });
    expect(parseOpsArgs(['dlq', 'show', 'user_cards', '--reason', 'missing_entity']).command).toEqual({
      name: 'dlq-show',
      worker: USER_CARDS_WORKER,
      reason: 'missing_entity',
      limit: 20,
    });
    expect(
      parseOpsArgs([
        'dlq',
        'replay',
        'user_cards',
        '--reason',
        'handler_error',
        '--event-type',
        'user.verified',
        '--since',
        '2026-11-28T06:00:00Z',
        '--max-records',
        '5',
      ]).command,
    ).toEqual({
      name: 'dlq-replay',
      worker: USER_CARDS_WORKER,
      selection: { reason: 'handler_error', eventType: 'user.verified', since: new Date('2026-11-28T06:00:00Z') },
      maxRecords: 5,
    });
  });

  it('given verify with a fold mode, when parsed, then it names the mode and the auto threshold', () => {
    const verify = (...options: string[]) => parseOpsArgs(['verify', 'user_cards', ...options]).command;
    expect(verify('--temporary-collection')).toMatchObject({ mode: 'collection', maxMemoryDocuments: undefined });
    expect(verify('--in-memory')).toMatchObject({ mode: 'memory' });
    expect(verify('--max-memory-documents', '5000')).toMatchObject({ mode: 'auto', maxMemoryDocuments: 5000 });
  });

  it.each([
    [['verify', 'user_cards', '--temporary-collection', '--in-memory'], /exclude each other/],
    [
      ['verify', 'user_cards', '--in-memory', '--max-memory-documents', '9'],
      /not with --temporary-collection or --in-memory/,
    ],
    [['verify', 'user_cards', '--max-memory-documents', 'lots'], /--max-memory-documents must be a whole number/],
    [['rebuild', 'user_cards', '--temporary-collection'], /--temporary-collection does not apply to rebuild/],
  ])('given the verify mode options %j, when parsed, then a usage error says why', (argv, message) => {
    expect(() => parseOpsArgs(argv)).toThrow(UsageError);
    expect(() => parseOpsArgs(argv)).toThrow(message);
  });

  it.each([
    [['explode'], /unknown command "explode"/],
    [['verify'], /a projection is required/],
    [['verify', 'nope'], /unknown projection "nope": one of user_cards, feed_items, order_summaries/],
    [['verify', 'user_cards', 'extra'], /unexpected argument extra/],
    [['status', '--dry-run'], /--dry-run does not apply to status/],
    [['verify', 'user_cards', '--bogus'], /unknown option --bogus/],
    [['verify', 'user_cards', '--show', '0'], /--show must be a whole number ≥ 1/],
    [['dlq', 'show', 'user_cards'], /dlq show needs --reason R/],
    [['dlq', 'show', 'user_cards', '--reason', 'oops'], /unknown reason "oops"/],
    [['dlq', 'replay', 'user_cards', '--reason'], /--reason needs a value/],
    [
      ['dlq', 'replay', 'user_cards', '--reason', 'handler_error', '--since', 'yesterday'],
      /--since must be an ISO time/,
    ],
    [['dlq', 'purge', 'user_cards'], /dlq needs list, show or replay \(got "purge"\)/],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => parseOpsArgs(argv)).toThrow(UsageError);
    expect(() => parseOpsArgs(argv)).toThrow(message);
  });
});
