/** Finance views (usage, revenue, pools, state timeline, rejects, reconciliation, invoices): see engine/store/views.ts. */
import { VIEW_STATEMENTS } from '../views.ts';
import type { Migration } from './index.ts';

const m: Migration = { version: 3, name: 'finance views', statements: [...VIEW_STATEMENTS] };
export default m;
