// The one registry of what the bot answers: typed commands (help and unknown included) and card verbs, by name.
import { createApplyFlow } from './apply-flow.js';
import { type CardVerb, createVerbRoutes } from './card-actions.js';
import { COMMAND_ROUTES } from './command-handlers.js';
import { type ParseResult, parse } from './command-parser.js';
import { escapeCardText } from './escape.js';
import {
  type Access,
  type CommandInput,
  cardReply,
  type HandlerInput,
  type IncomingAttachment,
  type Reply,
  type Route,
  type VerbInput,
  type VerbReply,
} from './handlers.js';
import { renderHelpCard } from './render-cards.js';
import type { BotRuntime } from './runtime.js';

/** A route found for one request: its name (metrics, logs), who may run it, and the handler bound to the request. */
export interface FoundRoute<I, R> {
  readonly name: string;
  readonly access: Access;
  run(input: I): Promise<R>;
}

export type MessageInput = HandlerInput & { readonly attachments: readonly IncomingAttachment[] };

export interface Registry {
  command(parsed: ParseResult): FoundRoute<MessageInput, Reply>;
  /** A card verb; `command` resolves to the typed command the button stands for, with that command's access. */
  verb(verb: CardVerb, data: Readonly<Record<string, unknown>>): FoundRoute<VerbInput, VerbReply>;
}

export function createRegistry(rt: BotRuntime): Registry {
  const verbs = createVerbRoutes(createApplyFlow(rt));

  function command(parsed: ParseResult): FoundRoute<MessageInput, Reply> {
    if (parsed.kind === 'help')
      return { name: 'help', access: 'anyone', run: async ({ lang }) => cardReply(renderHelpCard(lang)) };
    if (parsed.kind === 'unknown')
      return {
        name: 'unknown',
        access: 'anyone',
        async run({ lang }) {
          const reason = escapeCardText(parsed.reason, 300);
          const notice = parsed.suggestion
            ? lang.t('help.didYouMean', { reason, suggestion: escapeCardText(parsed.suggestion, 120) })
            : reason;
          return cardReply(renderHelpCard(lang, { notice }));
        },
      };
    // Each route takes its own command kind; the kind was just read from `parsed`, so the pair matches.
    const route = COMMAND_ROUTES[parsed.kind] as Route<CommandInput, Reply>;
    return { name: parsed.kind, access: route.access, run: (input) => route.run(rt, { ...input, command: parsed }) };
  }

  function verb(name: CardVerb, data: Readonly<Record<string, unknown>>): FoundRoute<VerbInput, VerbReply> {
    if (name === 'command') {
      // A button that stands for a typed command: the same route and authorization (help excepted: a button needs read
      // access, typed help none); its card is a new message.
      const parsed = parse(typeof data.command === 'string' && data.command.length <= 300 ? data.command : '');
      if (parsed.kind === 'unknown' || parsed.kind === 'import')
        return { name: parsed.kind, access: verbs.command.access, run: (input) => verbs.command.run(rt, input) };
      const typed = command(parsed);
      return {
        name: parsed.kind,
        access: parsed.kind === 'help' ? 'read' : typed.access,
        run: async (input) => ({
          text: input.lang.t('button.done'),
          post: await typed.run({ ...input, attachments: [] }),
        }),
      };
    }
    const route: Route<VerbInput, VerbReply> = verbs[name];
    return { name: `card:${name}`, access: route.access, run: (input) => route.run(rt, input) };
  }

  return { command, verb };
}
