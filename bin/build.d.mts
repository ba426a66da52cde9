// Types for bin/build.mjs (plain JavaScript so that bin/puddle.mjs can run it before anything is compiled).
export declare const ROOT: string;
export declare function fingerprint(): { hash: string; files: string[] };
export declare function ensureBuilt(opts?: { quiet?: boolean }): Promise<string>;
