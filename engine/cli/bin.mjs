#!/usr/bin/env node
// ratestream CLI entry: registers the TypeScript loader (tsx) and runs engine/cli/main.ts.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('./main.ts');
await main(process.argv);
