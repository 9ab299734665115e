/**
 * Catalog section: rate conditions — named destinations (prefix lists), time windows, on-net prefixes, and custom
 * `when` expressions. Compiled once: windows to integer lookups, on-net prefixes to a trie, `when` to functions.
 */
import { z } from 'zod';
import { compileExpr, type CompiledExpr } from '../../expr/compile.ts';
import { exprErrorMessage } from '../../mediation/expr-message.ts';
import { FUNCTION_REGISTRY } from '../../mediation/functions/index.ts';
import { PrefixTrie } from '../prefix-trie.ts';
import { TimeWindow, windowSchema, ZoneClock } from '../windows.ts';
import type { CompileContext } from './common.ts';

export const conditionsSchema = {
  destinations: z.record(z.string(), z.array(z.string().min(1))).default({}),
  windows: z.record(z.string(), windowSchema).default({}),
  'on-net': z.object({
    prefixes: z.array(z.string()).default([]),
    attr: z.string().default('onNet').describe('UDR attr set by mediation ("true"/"false"); wins over prefixes'),
  }).strict().optional(),
};

export interface CompiledConditions {
  clock: ZoneClock;
  windows: Map<string, TimeWindow>;
  destinations: Map<string, string[]>;
  onNet?: { trie: PrefixTrie; attr: string };
  /** compile a `when` expression (a problem at `path` and undefined when invalid) */
  whenOf(text: string, path: (string | number)[]): CompiledExpr | undefined;
}

export function compileConditions(c: CompileContext): CompiledConditions {
  const { cfg, at } = c;
  let clock: ZoneClock;
  try {
    clock = new ZoneClock(cfg.timezone);
  } catch (e) {
    at(['timezone'], (e as Error).message);
    clock = new ZoneClock('UTC');
  }
  const windows = new Map<string, TimeWindow>();
  for (const [name, w] of Object.entries(cfg.windows)) {
    try {
      windows.set(name, new TimeWindow(name, w));
    } catch (e) {
      at(['windows', name], (e as Error).message);
    }
  }
  const destinations = new Map(Object.entries(cfg.destinations));
  const exprCtx = { ordinal: false, functions: FUNCTION_REGISTRY, tables: new Map() };
  const whenOf = (text: string, path: (string | number)[]): CompiledExpr | undefined => {
    try {
      return compileExpr(text, exprCtx);
    } catch (e) {
      at(path, exprErrorMessage(e as { message: string; at?: number }, exprCtx));
      return undefined;
    }
  };
  let onNet: CompiledConditions['onNet'];
  if (cfg['on-net']) {
    const trie = new PrefixTrie();
    cfg['on-net'].prefixes.forEach((p, i) => trie.insert(p, i));
    onNet = { trie, attr: cfg['on-net'].attr };
  }
  return { clock, windows, destinations, onNet, whenOf };
}
