// Loads the Adaptive Card JSON templates in src/bot/cards/ and expands them with data (adaptivecards-templating).
import { readFileSync } from 'node:fs';
import * as ACData from 'adaptivecards-templating';

export interface AdaptiveCardJson {
  readonly type: 'AdaptiveCard';
  readonly [key: string]: unknown;
}

/** Parsed templates by name: the Template constructor parses every `${…}` expression, so it runs once per card. */
const templates = new Map<string, ACData.Template>();

function templateOf(name: string): ACData.Template {
  let template = templates.get(name);
  if (template === undefined) {
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`card template name must be kebab-case: ${name}`);
    const json = JSON.parse(readFileSync(new URL(`./cards/${name}.json`, import.meta.url), 'utf8')) as unknown;
    template = new ACData.Template(json);
    templates.set(name, template);
  }
  return template;
}

/**
 * Expands `cards/<name>.json` with `data` as `$root`. Data values are inserted as values, never re-evaluated
 * as expressions; callers escape directory text (escape.ts) and pre-format numbers as strings.
 */
export function renderTemplate(name: string, data: Record<string, unknown>): AdaptiveCardJson {
  const card = templateOf(name).expand({ $root: data }) as AdaptiveCardJson;
  if (card?.type !== 'AdaptiveCard') throw new Error(`card template ${name} did not expand to an AdaptiveCard`);
  return card;
}
