// Keeps this page's pass fresh (core/http/dashboard-pass.ts): the hub renews a pass past half its life when asked, and
// a page left open for days (a TV on /tv since the rehearsal) otherwise asks nothing once its stream is open, so its
// pass would run out and the screen turn red at the next reconnect. Once an hour is far inside a day, the shortest pass.
const EVERY_MS = 3_600_000;

export function keepPassFresh(): void {
  setInterval(() => {
    // A failure is the stream's to show (its refusal says why); this only keeps the cookie.
    fetch('/pass', { cache: 'no-store' }).catch(() => undefined);
  }, EVERY_MS);
}
