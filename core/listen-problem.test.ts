import { describe, expect, it } from 'vitest';
import { itsAddress, listenProblem } from './listen-problem.js';

const advice = { taken: ': stop it', denied: ': pick a port above 1023' };
const failure = (code: string, address?: string) => Object.assign(new Error(code), { code, ...(address ? { address } : {}) });

describe('listenProblem', () => {
  it('says a taken port and a refused one, each with its own advice', () => {
    expect(listenProblem(failure('EADDRINUSE'), '127.0.0.1:8080 (PORT)', advice)).toBe('127.0.0.1:8080 (PORT) is already taken by another process: stop it');
    expect(listenProblem(failure('EACCES'), '127.0.0.1:80 (PORT)', advice)).toBe('127.0.0.1:80 (PORT) may not be listened on by this user: pick a port above 1023');
  });

  it('leaves any other failure to its caller', () => {
    expect(listenProblem(failure('EADDRNOTAVAIL'), 'x', advice)).toBeNull();
    expect(listenProblem(null, 'x', advice)).toBeNull();
  });

  it("names which of a host name's addresses was taken, only when it is not the host itself", () => {
    expect(itsAddress(failure('EADDRINUSE', '::1'), 'localhost')).toBe(', its address ::1');
    expect(itsAddress(failure('EADDRINUSE', '127.0.0.1'), '127.0.0.1')).toBe('');
    expect(itsAddress(failure('EADDRINUSE'), 'localhost')).toBe('');
  });
});
