import { ProjectionError, describeError, isRetriable } from '../src';

describe('ProjectionError', () => {
  it('carries a code, a retriable flag, a cause and context, and adds context without losing them', () => {
    const cause = new Error('socket hang up');
    const error = new ProjectionError('STORE_UNAVAILABLE', 'find failed', {
      retriable: true,
      cause,
      context: { collection: 'c' },
    });
    const located = error.withContext({ topic: 't', partition: 2, offset: '41' });
    expect(located).toBeInstanceOf(ProjectionError);
    expect(located).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      retriable: true,
      cause,
      context: { collection: 'c', topic: 't', partition: 2, offset: '41' },
    });
    expect(error.context).toEqual({ collection: 'c' });
    expect(isRetriable(located)).toBe(true);
    expect(isRetriable(new Error('x'))).toBe(false);
  });

  it('is described on one line with its cause chain', () => {
    const error = new ProjectionError('KAFKA_UNAVAILABLE', 'send\nfailed', {
      retriable: true,
      cause: new TypeError('boom'),
    });
    expect(describeError(error)).toBe('[KAFKA_UNAVAILABLE] ProjectionError: send failed <- TypeError: boom');
  });
});
