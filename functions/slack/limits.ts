// Slack's limits on what a message may hold, with the page that states each one. Slack rejects a
// message that breaks a hard limit (invalid_blocks, msg_blocks_too_long), so the alert that matters
// most — a big, strange change — would be the one lost. Counted in UTF-16 code units (JS .length),
// which is never fewer than the characters Slack counts.

/** "You can include up to 50 blocks in each message" — https://docs.slack.dev/reference/block-kit/blocks */
export const MAX_BLOCKS = 50;

/**
 * Header block text: "Maximum length for the text in this field is 150 characters" —
 * https://docs.slack.dev/reference/block-kit/blocks/header-block
 */
export const HEADER_TEXT = 150;

/**
 * Section block text: "maximum length is 3000 characters" —
 * https://docs.slack.dev/reference/block-kit/blocks/section-block
 */
export const SECTION_TEXT = 3000;

/**
 * Section block fields: "Maximum number of items is 10. Maximum length for the text in each item is 2000 characters" —
 * same page.
 */
export const SECTION_FIELDS = 10;
export const FIELD_TEXT = 2000;

/**
 * Any text object: "The minimum length is 1 and maximum length is 3000 characters" —
 * https://docs.slack.dev/reference/block-kit/composition-objects/text-object
 */
export const TEXT_OBJECT = 3000;

/**
 * Context block elements: "Maximum number of items is 10" —
 * https://docs.slack.dev/reference/block-kit/blocks/context-block
 */
export const CONTEXT_ELEMENTS = 10;

/**
 * Actions block: "There is a maximum of 25 elements in each action block" —
 * https://docs.slack.dev/reference/block-kit/blocks/actions-block
 */
export const ACTIONS_ELEMENTS = 25;

/** block_id: "Maximum length for this field is 255 characters" — every block's reference page. */
export const BLOCK_ID = 255;

/**
 * Button element — https://docs.slack.dev/reference/block-kit/block-elements/button-element:
 * text 75, action_id 255, value 2000 characters.
 */
export const BUTTON_TEXT = 75;
export const ACTION_ID = 255;
export const BUTTON_VALUE = 2000;

/**
 * Confirmation dialog object —
 * https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object:
 * title 100, text 300, confirm and deny 30 characters.
 */
export const CONFIRM_TITLE = 100;
export const CONFIRM_TEXT = 300;
export const CONFIRM_BUTTON = 30;

/**
 * The message `text` argument: Slack truncates beyond 40,000 characters
 * (https://api.slack.com/changelog/2018-04-truncating-really-long-messages) and the chat.postMessage
 * reference (https://docs.slack.dev/reference/methods/chat.postMessage, "Truncating content") asks
 * for at most 4,000.
 */
export const MESSAGE_TEXT_MAX = 40_000;
export const MESSAGE_TEXT_RECOMMENDED = 4_000;

// ---------------------------------------------------------------------------------------------
// runguard's own budgets, below Slack's limits. Slack also refuses messages whose blocks hold too
// much text in total (msg_blocks_too_long), a limit it does not document: a Slack maintainer put it
// near "12,000 text characters with a buffer for block containers" (slackapi/bolt-js#2509, #2867),
// and people hit it from ~11,300. Each part below is clipped to its budget so that the sum stays
// under BLOCKS_TEXT_BUDGET whatever the input; and a person paged at 3 a.m. reads the first lines only.

/** Total text across all blocks of one alert (the parts below add up to less in the worst case). */
export const BLOCKS_TEXT_BUDGET = 9_000;

export const BUDGET = {
  /** The notification line (`text`): push notifications show one line anyway. */
  notification: 500,
  /** One user-controlled value in a field (actor, tool detail, resource name). */
  fieldValue: 150,
  /** The finding's message, when the header had to cut it. */
  message: 600,
  /** What runguard did: the headline and its detail (summaries can list thousands of members). */
  didLine: 400,
  didDetail: 600,
  /** Why the evaluated state was not the live one; an expired exemption. */
  note: 300,
  explanation: 1_000,
  fix: 600,
  contextElement: 200,
  /** Links longer than these are left out rather than cut (a cut URL leads somewhere else). */
  consoleUrl: 600,
  logsUrl: 1_000,
} as const;
