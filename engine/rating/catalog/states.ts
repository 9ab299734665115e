/**
 * Catalog section: service types (type-specific states mapped to core states, transitions with one-time charges,
 * bill on first use) and the account hierarchy with its services as reference data.
 */
import { z } from 'zod';
import { parseMoney } from '../../core/money.ts';
import { parseDuration } from '../durations.ts';
import { money, quantityText } from '../price/common.ts';
import { parseQuantity } from '../units.ts';
import { bool, type CompileContext, CORE_STATES, type CoreState, id, NEW_STATE } from './common.ts';
import type { CatalogConfig, CompiledCatalog } from './index.ts';

const transitionSchema = z.object({
  from: z.union([z.string(), z.array(z.string())]).describe('state(s), or "[New]" for the initial state'),
  to: z.string(),
  charge: money.optional().describe('one-time charge of this transition'),
  description: z.string().optional(),
  'allow-negative': bool.optional().describe('this element is a credit: negative amounts are intended (otherwise a negative amount is an error)'),
}).strict();

const firstUseSchema = z.object({
  'usage-class': z.string().optional().describe('usage that counts (default: any)'),
  threshold: quantityText.optional().describe('activate when counted usage reaches this quantity'),
  unit: z.string().default('event'),
  window: z.string().optional().describe('only usage within this rolling window counts toward the threshold (e.g. 24h)'),
  period: z.string().optional().describe('activate anyway this long after the service entered the waiting state'),
  from: z.string().default('pre-active').describe('the waiting state'),
  to: z.string().default('active'),
}).strict();

export const serviceTypeSchema = z.object({
  id,
  description: z.string().optional(),
  states: z.record(z.string(), z.enum(CORE_STATES)).describe('type-specific state → core state'),
  transitions: z.array(transitionSchema).default([]),
  'bill-on-first-use': firstUseSchema.optional(),
}).strict();

const serviceSchema = z.object({
  id,
  type: z.string().default('default'),
  plan: id,
  state: z.string().optional().describe('current state (default: the type\'s initial state, or active)'),
  since: z.string().optional().describe('when the service entered that state (ISO date)'),
  until: z.string().optional().describe('end date of the service'),
}).strict();

export const accountSchema = z.object({
  id,
  name: z.string().optional(),
  parent: id.optional(),
  plan: id.optional().describe('plan for usage not tied to a service'),
  services: z.array(serviceSchema).default([]),
}).strict();

export interface Transition {
  from: string;
  to: string;
  charge: bigint;
  description?: string;
}

export interface CompiledServiceType {
  id: string;
  states: Map<string, CoreState>;
  transitions: Map<string, Map<string, Transition>>;
  initial?: string;
  firstUse?: {
    usageClass?: string;
    threshold?: number;
    window?: number;
    period?: number;
    from: string;
    to: string;
  };
}

export interface ServiceRef {
  id: string;
  account: string;
  type: string;
  plan: string;
  state: string;
  since: number;
  until?: number;
}

export function compileServiceTypes(c: CompileContext): Map<string, CompiledServiceType> {
  const { cfg, at } = c;
  // service types
  const serviceTypes = new Map<string, CompiledServiceType>();
  cfg['service-types'].forEach((st, si) => {
    const states = new Map(Object.entries(st.states));
    const transitions = new Map<string, Map<string, Transition>>();
    let initial: string | undefined;
    st.transitions.forEach((t, ti) => {
      const froms = Array.isArray(t.from) ? t.from : [t.from];
      if (!states.has(t.to)) at(['service-types', si, 'transitions', ti, 'to'], `unknown state ${t.to} of service type ${st.id}`);
      for (const f of froms) {
        if (f !== NEW_STATE && !states.has(f)) at(['service-types', si, 'transitions', ti, 'from'], `unknown state ${f} of service type ${st.id}`);
        if (f === NEW_STATE && initial === undefined) initial = t.to;
        const m = transitions.get(f) ?? new Map<string, Transition>();
        m.set(t.to, { from: f, to: t.to, charge: t.charge ? parseMoney(t.charge) : 0n, description: t.description });
        transitions.set(f, m);
      }
    });
    let firstUse: CompiledServiceType['firstUse'];
    const fu = st['bill-on-first-use'];
    if (fu) {
      try {
        if (!states.has(fu.from)) throw new Error(`bill-on-first-use: unknown state ${fu.from}`);
        if (!states.has(fu.to)) throw new Error(`bill-on-first-use: unknown state ${fu.to}`);
        if (!transitions.get(fu.from)?.has(fu.to)) throw new Error(`bill-on-first-use: no transition ${fu.from} → ${fu.to}`);
        if (!fu.threshold && !fu.period) throw new Error('bill-on-first-use needs a threshold, a period or both');
        firstUse = {
          usageClass: fu['usage-class'],
          threshold: fu.threshold ? parseQuantity(fu.threshold, fu.unit) : undefined,
          window: fu.window ? parseDuration(fu.window) : undefined,
          period: fu.period ? parseDuration(fu.period) : undefined,
          from: fu.from,
          to: fu.to,
        };
      } catch (e) {
        at(['service-types', si, 'bill-on-first-use'], (e as Error).message);
      }
    }
    serviceTypes.set(st.id, { id: st.id, states, transitions, initial, firstUse });
  });
  return serviceTypes;
}

export interface CompiledAccounts {
  accounts: Map<string, CatalogConfig['accounts'][number]>;
  parents: Map<string, string | undefined>;
  children: Map<string, string[]>;
  services: Map<string, ServiceRef>;
  servicesByAccount: Map<string, ServiceRef[]>;
}

export function compileAccounts(c: CompileContext, plans: ReadonlyMap<string, unknown>, serviceTypes: ReadonlyMap<string, CompiledServiceType>): CompiledAccounts {
  const { cfg, at, date } = c;
  // accounts, services
  const accounts = new Map<string, CatalogConfig['accounts'][number]>();
  const parents = new Map<string, string | undefined>();
  const children = new Map<string, string[]>();
  const services = new Map<string, ServiceRef>();
  const servicesByAccount = new Map<string, ServiceRef[]>();
  cfg.accounts.forEach((a, ai) => {
    if (accounts.has(a.id)) at(['accounts', ai, 'id'], `duplicate account ${a.id}`);
    accounts.set(a.id, a);
    parents.set(a.id, a.parent);
    if (a.plan && !plans.has(a.plan)) at(['accounts', ai, 'plan'], `unknown plan ${a.plan}`);
    const list: ServiceRef[] = [];
    a.services.forEach((s, si) => {
      const path = ['accounts', ai, 'services', si];
      if (!plans.has(s.plan)) at([...path, 'plan'], `unknown plan ${s.plan}`);
      if (services.has(s.id)) at([...path, 'id'], `duplicate service ${s.id}`);
      const type = serviceTypes.get(s.type);
      if (s.type !== 'default' && !type) at([...path, 'type'], `unknown service type ${s.type}`);
      const state = s.state ?? type?.initial ?? 'active';
      if (type && !type.states.has(state)) at([...path, 'state'], `state ${state} is not a state of type ${s.type}`);
      const ref: ServiceRef = { id: s.id, account: a.id, type: s.type, plan: s.plan, state,
        since: s.since ? date(s.since, [...path, 'since']) : 0, until: s.until ? date(s.until, [...path, 'until']) : undefined };
      services.set(s.id, ref);
      list.push(ref);
    });
    servicesByAccount.set(a.id, list);
  });
  cfg.accounts.forEach((a, ai) => {
    if (a.parent) {
      if (!accounts.has(a.parent)) at(['accounts', ai, 'parent'], `unknown parent account ${a.parent}`);
      const l = children.get(a.parent) ?? [];
      l.push(a.id);
      children.set(a.parent, l);
      // cycles
      const seen = new Set([a.id]);
      let p: string | undefined = a.parent;
      while (p) {
        if (seen.has(p)) { at(['accounts', ai, 'parent'], `account hierarchy has a cycle through ${p}`); break; }
        seen.add(p);
        p = parents.get(p);
      }
    }
  });
  return { accounts, parents, children, services, servicesByAccount };
}

/** The top-most ancestor of an account (itself when it has no parent). */
export function rootOf(cat: CompiledCatalog, account: string): string {
  let a = account;
  for (let i = 0; i < 64; i++) {
    const p = cat.parents.get(a);
    if (!p) return a;
    a = p;
  }
  return a;
}