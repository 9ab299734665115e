/**
 * Hot reload for long-running mode: RuleWatcher watches a rule file and everything its version depends on
 * (reference tables, usage-class libraries, Avro schemas), recompiles on change, and swaps the rules only when
 * the new ones compile. A failed compile keeps the last good rules and is reported (every problem with
 * file:line:col). Unchanged content (same version hash) is not a swap.
 *
 *   const w = new RuleWatcher('rules/x.mediation.yaml', { onSwap: (r) => mediator.swapRules(r), onError: log });
 *   w.start(); … w.current …; w.close();
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from '../config/yaml-loader.ts';
import { type CompileOptions, type CompiledMediation, compileMediationFile } from './compiler.ts';

export interface RuleWatcherOptions extends CompileOptions {
  /** wait this long after the last change before recompiling (editors write in several steps). Default 150 ms. */
  debounceMs?: number;
  /** called after a successful swap with the new and the previous rules */
  onSwap?(rules: CompiledMediation, previous: CompiledMediation): void;
  /** called when a reload failed; the previous rules stay in force */
  onError?(error: Error, problems: readonly ConfigProblem[]): void;
}

export type ReloadResult =
  | { status: 'swapped'; rules: CompiledMediation; previous: CompiledMediation }
  | { status: 'unchanged'; rules: CompiledMediation }
  | { status: 'failed'; rules: CompiledMediation; error: Error; problems: readonly ConfigProblem[] };

export class RuleWatcher {
  readonly file: string;
  private rules: CompiledMediation;
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** counts, for metrics and tests */
  readonly stats = { swaps: 0, failures: 0 };
  lastError: { error: Error; problems: readonly ConfigProblem[] } | undefined;

  /** compiles the rules once; throws ConfigError when the first version does not compile (nothing to keep) */
  constructor(file: string, private readonly opts: RuleWatcherOptions = {}) {
    this.file = resolve(file);
    this.rules = compileMediationFile(this.file, opts);
  }

  /** the rules in force (the last ones that compiled) */
  get current(): CompiledMediation {
    return this.rules;
  }

  /** recompile now; swap only on success */
  reload(): ReloadResult {
    let next: CompiledMediation;
    try {
      next = compileMediationFile(this.file, this.opts);
    } catch (e) {
      const error = e as Error;
      const problems = e instanceof ConfigError ? e.problems : [{ file: this.file, line: 1, col: 1, message: error.message }];
      this.stats.failures++;
      this.lastError = { error, problems };
      this.opts.onError?.(error, problems);
      return { status: 'failed', rules: this.rules, error, problems };
    }
    this.lastError = undefined;
    if (next.version === this.rules.version) return { status: 'unchanged', rules: this.rules };
    const previous = this.rules;
    this.rules = next;
    this.stats.swaps++;
    this.opts.onSwap?.(next, previous);
    this.rewatch();
    return { status: 'swapped', rules: next, previous };
  }

  /** start watching the rule file and its dependencies */
  start(): this {
    this.rewatch();
    return this;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  /** watch the folders of every file the rules depend on (editors replace files by rename, so watch folders) */
  private rewatch(): void {
    if (this.closed) return;
    for (const w of this.watchers) w.close();
    this.watchers = [];
    const byDir = new Map<string, Set<string>>();
    for (const f of new Set([this.file, ...this.rules.files])) {
      const d = dirname(f);
      const s = byDir.get(d) ?? new Set<string>();
      s.add(basename(f));
      byDir.set(d, s);
    }
    for (const [dir, names] of byDir) {
      try {
        const w = watch(dir, { persistent: false }, (_ev, name) => {
          if (name === null || names.has(String(name))) this.schedule();
        });
        w.on('error', () => this.schedule());
        this.watchers.push(w);
      } catch {
        /* a folder that vanished: the next reload reports the missing file */
      }
    }
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) this.reload();
    }, this.opts.debounceMs ?? 150);
  }
}
