#!/usr/bin/env node
// `npm run build`: the dashboard (web/) built into dist/web/ when missing or stale. `puddle start` and the
// tests do the same on their own; this is for building ahead, e.g. in an image.
import { register } from 'tsx/esm/api';

register();
const { ensureWebBuilt } = await import('../infra/local/web-assets.ts');
console.log(`dashboard: ${await ensureWebBuilt()}`);
