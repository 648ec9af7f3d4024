// Loads the Adaptive Card JSON templates in src/bot/cards/ and expands them with data (adaptivecards-templating).
import { readFileSync } from 'node:fs';
import * as ACData from 'adaptivecards-templating';

export interface AdaptiveCardJson {
  readonly type: 'AdaptiveCard';
  readonly [key: string]: unknown;
}

const cache = new Map<string, unknown>();

function load(name: string): unknown {
  let json = cache.get(name);
  if (json === undefined) {
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`card template name must be kebab-case: ${name}`);
    json = JSON.parse(readFileSync(new URL(`./cards/${name}.json`, import.meta.url), 'utf8')) as unknown;
    cache.set(name, json);
  }
  return json;
}

/**
 * Expands `cards/<name>.json` with `data` as `$root`. Data values are inserted as values, never re-evaluated
 * as expressions; callers escape directory text (escape.ts) and pre-format numbers as strings.
 */
export function renderTemplate(name: string, data: Record<string, unknown>): AdaptiveCardJson {
  const template = new ACData.Template(load(name));
  const card = template.expand({ $root: data }) as AdaptiveCardJson;
  if (card?.type !== 'AdaptiveCard') throw new Error(`card template ${name} did not expand to an AdaptiveCard`);
  return card;
}
