import { ProjectionError, describeError, findCause, isRetriable } from '../src';

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

describe('findCause', () => {
  const chain = () => {
    const root = new RangeError('root');
    const middle = new TypeError('middle', { cause: root });
    return { root, middle, top: new Error('top', { cause: middle }) };
  };

  it('given a chain, then the first error that matches, the error itself first', () => {
    const { root, middle, top } = chain();
    expect(findCause(top, (e) => e instanceof RangeError)).toBe(root);
    expect(findCause(top, (e) => e instanceof TypeError || e instanceof RangeError)).toBe(middle);
    expect(findCause(top, () => true)).toBe(top);
  });

  it('given no match, a match beyond the depth, or no error at all, then undefined', () => {
    const { top } = chain();
    expect(findCause(top, (e) => e instanceof SyntaxError)).toBeUndefined();
    expect(findCause(top, (e) => e instanceof RangeError, 2)).toBeUndefined();
    expect(findCause('boom', () => true)).toBeUndefined();
  });

  it('given a chain that loops, then the search ends', () => {
    const looped = new Error('loop');
    looped.cause = looped;
    expect(findCause(looped, (e) => e.message === 'never')).toBeUndefined();
  });
});
