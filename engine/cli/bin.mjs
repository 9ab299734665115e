#!/usr/bin/env node
// ratestream CLI entry: runs the compiled dist/cli/main.js when it was built from the current sources (npm install
// builds it; `npm run build` after an edit), else registers the TypeScript loader (tsx) and runs engine/cli/main.ts.
import { distIsFresh } from './build-dist.mjs';

let main;
if (process.env.RATESTREAM_TSX !== '1' && distIsFresh()) {
  ({ main } = await import('../../dist/cli/main.js'));
} else {
  if (process.env.RATESTREAM_TSX !== '1' && process.stderr.isTTY) {
    process.stderr.write('ratestream: dist/ is missing or older than the sources: running them through tsx (slower start; `npm run build` compiles them)\n');
  }
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('./main.ts'));
}
await main(process.argv);
