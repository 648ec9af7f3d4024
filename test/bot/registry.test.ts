// The one registry: every typed command and card verb has a route, and each route's access level is the one the bot
// has always enforced (reads need an admin, changes a live Global Administrator check, help needs nobody).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_VERBS } from '../../src/bot/card-actions.js';
import { parse } from '../../src/bot/command-parser.js';
import { createRegistry, type Registry } from '../../src/bot/registry.js';
import type { BotRuntime } from '../../src/bot/runtime.js';
import { openStore, type Stores } from '../../src/store/index.js';

const D = 'contoso.co.jp';
/** A line of each command the parser knows, and the access its route must have. */
const COMMANDS: readonly [string, string, 'anyone' | 'read' | 'write'][] = [
  ['help', 'help', 'anyone'],
  ['previw contoso.co.jp', 'unknown', 'anyone'],
  ['connect', 'connect', 'read'],
  ['status', 'status', 'read'],
  ['domains', 'domains', 'read'],
  [`precheck ${D}`, 'precheck', 'read'],
  [`preview ${D}`, 'preview', 'read'],
  ['preview all', 'preview-all', 'read'],
  [`logs ${D}`, 'logs', 'read'],
  [`domain add ${D}`, 'domain-add', 'write'],
  [`domain set ${D} max-deletions 20`, 'domain-set', 'write'],
  [`domain set ${D} on-delete disable`, 'domain-on-delete', 'write'],
  [`domain remove ${D}`, 'domain-remove', 'write'],
  ['import', 'import', 'write'],
  [`schedule ${D} on`, 'schedule', 'write'],
  [`pause ${D}`, 'pause', 'write'],
  [`resume ${D}`, 'resume', 'write'],
  [`notify here ${D}`, 'notify-here', 'write'],
  [`notify ${D} always`, 'notify-mode', 'write'],
];

describe('handler registry', () => {
  let stores: Stores;
  let registry: Registry;
  beforeAll(async () => {
    stores = await openStore('memory://');
    // Looking a route up runs nothing: only the apply flow's stores are touched when the registry is built.
    registry = createRegistry({ stores } as unknown as BotRuntime);
  });
  afterAll(async () => {
    await stores.close();
  });

  it('finds a route for each typed command, with its access level', () => {
    for (const [line, name, access] of COMMANDS) {
      const parsed = parse(line);
      expect(parsed.kind, line).toBe(name);
      expect(registry.command(parsed), line).toMatchObject({ name, access });
    }
  });

  it('finds a route for each card verb: reading verbs need an admin, the others a live check', () => {
    const reading = new Set(['preview', 'logs', 'setup-form', 'show-plan']);
    for (const verb of CARD_VERBS.filter((v) => v !== 'command'))
      expect(registry.verb(verb, {}), verb).toMatchObject({
        name: `card:${verb}`,
        access: reading.has(verb) ? 'read' : 'write',
      });
  });

  it('a command button is routed as the command it stands for, with that command’s access', () => {
    expect(registry.verb('command', { command: `logs ${D}` })).toMatchObject({ name: 'logs', access: 'read' });
    expect(registry.verb('command', { command: `schedule ${D} off` })).toMatchObject({
      name: 'schedule',
      access: 'write',
    });
    // Help from a button is an admin's read; what no button may stand for is refused after a live check.
    expect(registry.verb('command', { command: 'help' })).toMatchObject({ name: 'help', access: 'read' });
    expect(registry.verb('command', { command: 'import' })).toMatchObject({ name: 'import', access: 'write' });
    expect(registry.verb('command', { command: 'frobnicate' })).toMatchObject({ name: 'unknown', access: 'write' });
  });
});
