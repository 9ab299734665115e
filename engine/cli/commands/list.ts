/** `ratestream list [parsers|functions|kinds]`: what the registries hold (generated from the specs). */
import type { Command } from 'commander';
import { KINDS } from '../kinds.ts';
import { FUNCTIONS } from '../../mediation/functions/index.ts';
import { PARSERS } from '../../mediation/parsers/index.ts';
import { SINKS } from '../../runtime/sinks/index.ts';
import { SOURCES } from '../../runtime/sources/index.ts';

const WHAT = ['parsers', 'functions', 'kinds', 'sources', 'sinks'];

export function listText(what?: string): string {
  const out: string[] = [];
  if (!what || what === 'parsers') {
    out.push(`parsers (${PARSERS.length}):`);
    for (const p of PARSERS) out.push(`  ${p.type.padEnd(12)} ${p.description}`);
  }
  if (!what || what === 'functions') {
    out.push(`functions (${FUNCTIONS.length}):`);
    for (const f of FUNCTIONS) out.push(`  ${f.name.padEnd(14)} ${f.description}`);
  }
  if (!what || what === 'kinds') {
    out.push(`YAML kinds (${KINDS.length}):`);
    for (const k of KINDS) out.push(`  ${k.kind.padEnd(16)} ${k.description}`);
  }
  if (!what || what === 'sources') {
    out.push(`sources (${SOURCES.length}):`);
    for (const x of SOURCES) out.push(`  ${x.type.padEnd(12)} ${x.description}`);
  }
  if (!what || what === 'sinks') {
    out.push(`sinks (${SINKS.length}):`);
    for (const x of SINKS) out.push(`  ${x.type.padEnd(12)} ${x.description}`);
  }
  return `${out.join('\n')}\n`;
}

export function register(program: Command): void {
  program
    .command('list')
    .description('list feed parsers, rule functions, YAML kinds, sources and sinks from the registries')
    .argument('[what]', `${WHAT.join(' | ')} (default: all)`)
    .action((what?: string) => {
      if (what && !WHAT.includes(what)) throw new Error(`unknown list ${JSON.stringify(what)} (${WHAT.join(', ')})`);
      process.stdout.write(listText(what));
    });
}
