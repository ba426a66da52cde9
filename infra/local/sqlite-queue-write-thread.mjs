// The queue's writer thread (see sqlite-queue-write-thread.ts): writes each group of publishes as it
// comes, together with any that queued up behind it, and says which committed. Plain JavaScript: a
// worker does not inherit the parent's TypeScript loader.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { joinGroups, QueueWriter } from './sqlite-queue-writer.mjs';

const port = parentPort;
const db = new Database(workerData.file);
for (const p of workerData.pragmas) db.pragma(p);
const writer = new QueueWriter(db);

port.on('message', (first) => {
  const batch = [];
  let stop = false;
  for (let m = first; m; m = receiveMessageOnPort(port)?.message) {
    if (m.stop) {
      stop = true;
      break;
    }
    batch.push(m);
  }
  if (batch.length) {
    const ids = batch.flatMap((b) => b.ids);
    // The latest received time of the groups written together (none: undefined).
    const marks = batch.map((b) => b.receivedMs).filter((m) => typeof m === 'number');
    const receivedMs = marks.length ? Math.max(...marks) : undefined;
    try {
      // Messages posted while a transaction ran: written as one group.
      writer.write(joinGroups(batch), receivedMs);
      port.postMessage({ done: ids });
    } catch (err) {
      port.postMessage({ failed: ids, error: err instanceof Error ? err.message : String(err) });
    }
  }
  if (stop) {
    db.close();
    port.close();
  }
});
