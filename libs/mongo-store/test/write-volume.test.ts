import { BSON } from 'mongodb';
import { counterEvents, counterProjection } from '@sc/projection-core/testing';
import { measureWriteVolume } from '../src';

describe('measureWriteVolume', () => {
  it('counts an insert per new document and an update per later chunk that changes it, in bytes as sent', () => {
    // 4 counters, 3 versions, chunks of 4: chunk 1 creates them, chunks 2 and 3 update each.
    const volume = measureWriteVolume(counterProjection, counterEvents(4, 3), { chunkSize: 4 });
    expect(volume).toMatchObject({ events: 12, inserts: 4, updates: 8 });
    expect(volume.insertBytes).toBeGreaterThan(4 * BSON.calculateObjectSize({ counter_id: 'c0' }));
    // An update sends the changed fields only; a replace would send counter_id and every field again.
    expect(volume.updateBytes).toBeLessThan(volume.replaceBytes);
  });

  it('leaves the replaces out when not asked for, and the statements as sent the same', () => {
    const events = counterEvents(4, 3);
    const withReplaces = measureWriteVolume(counterProjection, events, { chunkSize: 4 });
    const without = measureWriteVolume(counterProjection, events, { chunkSize: 4, asReplaces: false });
    expect(without).toEqual({ ...withReplaces, replaceBytes: 0 });
    expect(withReplaces.replaceBytes).toBeGreaterThan(0);
  });

  it('writes once for a chunk that holds a document’s whole history', () => {
    expect(measureWriteVolume(counterProjection, counterEvents(2, 5), { chunkSize: 100 })).toMatchObject({
      inserts: 2,
      updates: 0,
      updateBytes: 0,
    });
  });
});
