// Child process for the queue erasure's memory test (erasure-queue-pages.test.ts): queueHolding with `scrub` over
// the queue.db in <home>, for the supporter id given, run under the heap limit the parent sets; prints its result.
import { queueHolding } from '../../infra/local/erasure-home.js';
import { erasureNeedles } from '../../puddles/erasure-match.js';

const [home, id] = process.argv.slice(2);
if (!home || !id) throw new Error('usage: queue-holding.ts <home> <supporter id>');
const found = queueHolding(home, erasureNeedles({ supporterIds: [id], emails: [], texts: [] }), { scrub: true });
process.stdout.write(`${JSON.stringify({ waiting: found.waiting, dead_letters: found.deadLetters.length })}\n`);
