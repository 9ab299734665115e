/**
 * House rules, checked: no circular imports between engine modules (value imports; `import type` is erased), and
 * every CLI command file is registered.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

function walk(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** static value imports and re-exports (not `import type`, not dynamic import()) */
function valueImports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const deps: string[] = [];
  const re = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm;
  for (let m; (m = re.exec(src)); ) {
    const spec = m[1]!;
    deps.push(resolve(dirname(file), spec));
  }
  return deps;
}

describe('architecture', () => {
  const root = resolve('engine');
  const files = walk(root);
  const graph = new Map(files.map((f) => [f, valueImports(f).filter((d) => d.startsWith(root))]));

  it('has no circular value imports', () => {
    const cycles: string[] = [];
    const state = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 1);
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].map((x) => relative(root, x)).join(' → '));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(f, 2);
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('registers every CLI command file', () => {
    const dir = join(root, 'cli/commands');
    const index = readFileSync(join(dir, 'index.ts'), 'utf8');
    const missing = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.endsWith('.test.ts'))
      .filter((f) => /export function register\(/.test(readFileSync(join(dir, f), 'utf8')))
      .filter((f) => !index.includes(`'./${f}'`));
    expect(missing).toEqual([]);
  });
});
