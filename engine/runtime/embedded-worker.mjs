// Worker-thread entry of the embedded mode: registers the TypeScript loader (tsx), then runs embedded-worker.ts.
import { register } from 'tsx/esm/api';
register();
await import('./embedded-worker.ts');
