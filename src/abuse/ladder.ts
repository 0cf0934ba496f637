/**
 * Response ladders: what to do about the first, second, third… offence of one pattern by one key.
 *
 * A ladder is a list of steps; a step is one action or several taken together (`['temp_ban', 'alert']`). The n-th
 * offence takes step n, and offences past the end take the last step again (where bans escalate on their own).
 */

export const ABUSE_ACTIONS = Object.freeze(['log', 'throttle', 'disconnect', 'temp_ban', 'permanent_ban', 'alert'] as const);

/**
 * - `log`: the `abuse_detected` event only (every offence has one, whatever its step).
 * - `throttle`: a tighter rate limit for the key for a while (`throttleFor`).
 * - `disconnect`: close the key's live connections; it may reconnect.
 * - `temp_ban`: ban the key for an escalating time and close its connections.
 * - `permanent_ban`: ban the key until lifted and close its connections.
 * - `alert`: an `admin_alert` event.
 */
export type AbuseAction = (typeof ABUSE_ACTIONS)[number];

/** As written in a config: an action, or actions taken together. */
export type LadderStepInput = AbuseAction | readonly AbuseAction[];

export type LadderStep = readonly AbuseAction[];
export type Ladder = readonly LadderStep[];

/** Ladders longer than this are a mistake (escalation past a few steps is the ban's job). */
export const MAX_LADDER_STEPS = 10;

/** The order actions run in within a step: the cheapest and least harmful first, the alert once the rest is done. */
const ACTION_ORDER: Readonly<Record<AbuseAction, number>> = {
  log: 0,
  throttle: 1,
  disconnect: 2,
  temp_ban: 3,
  permanent_ban: 4,
  alert: 5,
};

export function isAbuseAction(value: unknown): value is AbuseAction {
  return typeof value === 'string' && Object.hasOwn(ACTION_ORDER, value);
}

/** Problems with a ladder as written, one message each; empty when it is valid. */
export function ladderIssues(input: unknown): string[] {
  if (!Array.isArray(input)) return ['must be a list of steps, for example ["throttle", "temp_ban"]'];
  if (input.length === 0) return ['must have at least one step (["log"] only reports)'];
  if (input.length > MAX_LADDER_STEPS) return [`has ${input.length} steps; at most ${MAX_LADDER_STEPS}`];
  const issues: string[] = [];
  input.forEach((step: unknown, index) => {
    const actions: unknown[] = Array.isArray(step) ? step : [step];
    if (actions.length === 0) issues.push(`step ${index + 1} is empty`);
    for (const action of actions) {
      if (!isAbuseAction(action)) issues.push(`step ${index + 1}: ${JSON.stringify(action)} is not one of ${ABUSE_ACTIONS.join(', ')}`);
    }
  });
  return issues;
}

/**
 * A validated ladder in its resolved form: each step a frozen list in run order, without duplicates; `log` dropped
 * when other actions are there (the event is always written); `temp_ban` dropped beside `permanent_ban`.
 */
export function resolveLadder(input: readonly LadderStepInput[]): Ladder {
  return Object.freeze(
    input.map((step) => {
      const actions = new Set<AbuseAction>(typeof step === 'string' ? [step] : step);
      if (actions.has('permanent_ban')) actions.delete('temp_ban');
      if (actions.size > 1) actions.delete('log');
      return Object.freeze([...actions].sort((a, b) => ACTION_ORDER[a] - ACTION_ORDER[b]));
    }),
  );
}

/** The step for the `offence`-th offence (1-based); past the end, the last step again. */
export function stepFor(ladder: Ladder, offence: number): LadderStep {
  const index = Math.min(Math.max(offence, 1), ladder.length) - 1;
  return ladder[index] ?? ['log'];
}
