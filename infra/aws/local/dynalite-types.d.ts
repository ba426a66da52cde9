// dynalite 4 ships no types; only what the tests use.
declare module 'dynalite' {
  import type { Server } from 'node:http';
  interface DynaliteOptions {
    /** Milliseconds a CreateTable takes to become ACTIVE (default 500). */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    /** A folder for LevelDB; in memory when unset. */
    path?: string;
  }
  export default function dynalite(opts?: DynaliteOptions): Server;
}
