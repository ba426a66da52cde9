// Preloaded (node --import) into a `puddle` under test: `localhost` resolves to 127.0.0.1 and ::1, as on most
// machines (Debian's /etc/hosts lists both), though this one's /etc/hosts lists only 127.0.0.1. Every other name
// resolves as the system says.
import dns from 'node:dns';

const system = dns.lookup;
const BOTH = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

dns.lookup = function lookup(host, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  const opts = typeof options === 'object' && options !== null ? options : typeof options === 'number' ? { family: options } : {};
  if (host !== 'localhost') return system.call(this, host, options, callback);
  const found = BOTH.filter((a) => !opts.family || opts.family === a.family || opts.family === `IPv${a.family}`);
  process.nextTick(() => (opts.all ? cb(null, found) : cb(null, found[0].address, found[0].family)));
  return {};
};

const systemPromises = dns.promises.lookup;
dns.promises.lookup = function lookup(host, options) {
  if (host !== 'localhost') return systemPromises.call(this, host, options);
  return new Promise((resolve) => dns.lookup(host, options ?? {}, (_err, address, family) => resolve(Array.isArray(address) ? address : { address, family })));
};

// What `import { lookup } from 'node:dns'` gives a module loaded after this one.
(await import('node:module')).syncBuiltinESMExports();
