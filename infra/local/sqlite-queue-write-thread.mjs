// The queue's writer thread (see sqlite-queue-write-thread.ts): waits on the ring (sqlite-queue-ring.mjs), writes
// every group found there in one transaction, and says which committed. Plain JavaScript: a worker does not
// inherit the parent's TypeScript loader. It blocks in Atomics.wait and never returns to its event loop until told
// to stop; posting to the parent needs no event loop, and a group too large for the ring is taken from the port
// with receiveMessageOnPort.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { joinGroups, QueueWriter } from './sqlite-queue-writer.mjs';
import { INLINE, ON_PORT, RingReader, STOP } from './sqlite-queue-ring.mjs';

const port = parentPort;
const db = new Database(workerData.file);
for (const p of workerData.pragmas) db.pragma(p);
const writer = new QueueWriter(db);
const ring = new RingReader(workerData.ring);

/** Records taken so far: a record's number is its group's id on the other side. */
let taken = 0;
let stop = false;
while (!stop) {
  ring.wait();
  const groups = [];
  let latest;
  const first = taken + 1;
  for (const record of ring.takeAll()) {
    if (record.kind === STOP) {
      stop = true;
      break;
    }
    taken++;
    const { group, receivedMs } = record.kind === INLINE ? record : record.kind === ON_PORT ? (receiveMessageOnPort(port)?.message ?? {}) : {};
    // The thread dies with it: what it had and did not confirm fails, the rest is written on the queue's connection.
    if (!group) throw new Error(`queue writer thread: no group for a record of kind ${record.kind}`);
    groups.push(group);
    if (typeof receivedMs === 'number' && !(latest >= receivedMs)) latest = receivedMs;
  }
  if (groups.length === 0) {
    ring.release();
    continue;
  }
  let answer;
  try {
    // Groups published while a transaction ran: written as one, with the latest received time among them.
    writer.write(joinGroups(groups), latest);
    answer = { done: [first, taken] };
  } catch (err) {
    answer = { failed: [first, taken], error: err instanceof Error ? err.message : String(err) };
  }
  // Their bodies were read from the ring's memory: its space is given back once they are written, before the answer
  // (on which the event loop sends what waited for room).
  ring.release();
  port.postMessage(answer);
}
db.close();
port.close();
