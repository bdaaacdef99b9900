import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/** The MongoDB commands a fault can hit. */
export type FaultCommand = 'find' | 'update' | 'insert';

/**
 * When the connection is cut: before the command reaches the server (it never
 * runs), or after the server got it and before its reply reaches the client (it
 * ran, and the client only sees a reset: the worst case for a write).
 */
export type FaultMoment = 'before the command' | 'before the reply';

/** A TCP proxy in front of MongoDB that cuts connections in the middle of chosen commands. */
export interface FaultProxy {
  readonly port: number;
  /** Arms one fault: the next connection that sends `command` is cut at `moment`. */
  cutNext(command: FaultCommand, moment: FaultMoment): void;
  /** Cuts every open connection now. */
  cutAll(): void;
  /** Cuts every connection and refuses new ones until {@link FaultProxy.resume}: the store is down. */
  pause(): void;
  /** Accepts connections again. */
  resume(): void;
  /** An outage: {@link FaultProxy.pause} for `ms`, then {@link FaultProxy.resume}. */
  outage(ms: number): Promise<void>;
  /** Faults armed and not yet hit. */
  pending(): number;
  /** Connections cut so far, by command and moment. */
  readonly cuts: Map<string, number>;
  close(): Promise<void>;
}

const OP_MSG = 2013;

/**
 * The command name of a client message: an OP_MSG whose first section (kind 0) is
 * the command document, whose first field is the command's name. Undefined for
 * anything else (replies, legacy opcodes, document sequences first).
 */
export function commandNameOf(message: Buffer): string | undefined {
  if (message.length < 27 || message.readInt32LE(12) !== OP_MSG || message[20] !== 0) return undefined;
  // header (16) + flagBits (4) + section kind (1) + document length (4) + element type (1) = 26.
  const end = message.indexOf(0, 26);
  return end < 0 ? undefined : message.toString('utf8', 26, end);
}

/** Starts a {@link FaultProxy} on an ephemeral port of 127.0.0.1. */
export async function startFaultProxy(targetHost: string, targetPort: number): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const armed: { command: FaultCommand; moment: FaultMoment }[] = [];
  const cuts = new Map<string, number>();
  const count = (what: string) => cuts.set(what, (cuts.get(what) ?? 0) + 1);

  let down = false;
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    let pending: Buffer = Buffer.alloc(0);
    let cutOnReply = false;
    client.on('data', (data: Buffer) => {
      pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
      // Whole messages only: a message starts with its length.
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const length = pending.readInt32LE(0);
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        const name = commandNameOf(message);
        const fault = armed.findIndex((f) => f.command === name);
        if (fault >= 0) {
          const [{ command, moment }] = armed.splice(fault, 1) as [(typeof armed)[number]];
          count(`${command} ${moment}`);
          if (moment === 'before the command') return cut();
          cutOnReply = true;
        }
        upstream.write(message);
      }
    });
    upstream.on('data', (data: Buffer) => {
      if (cutOnReply) return cut();
      client.write(data);
    });
    for (const socket of [client, upstream]) {
      socket.on('error', cut);
      socket.on('close', () => {
        sockets.delete(socket);
        cut();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fault proxy has no port');

  return {
    port: address.port,
    cutNext: (command, moment) => void armed.push({ command, moment }),
    cutAll: () => {
      for (const socket of sockets) socket.destroy();
    },
    pause: () => {
      down = true;
      for (const socket of sockets) socket.destroy();
    },
    resume: () => {
      down = false;
    },
    outage: async (ms) => {
      down = true;
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => setTimeout(r, ms));
      down = false;
    },
    pending: () => armed.length,
    cuts,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
