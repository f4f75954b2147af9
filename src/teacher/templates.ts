import { UserError } from '../util/errors.js';
import { checkTextLines, readTextFile } from '../util/utf8.js';

/**
 * Prompt templates. The defaults follow the paper's appendix I (figures 10 and 11); a user can
 * replace any of them with a file. Placeholders are `{name}`; each kind declares which ones it
 * needs, so an override that drops one, or misspells one, is caught before any request is sent.
 */
export type PromptKind = 'reasoning' | 'unguided' | 'description';

/** Paper figure 10: oracle-guided reasoning (the prompt sees the true next training item). */
export const REASONING_TEMPLATE = `### Task:
Based on the user’s chronological purchase history and the target item, analyze and summarize user’s preferences related to the target item. Focus on identifying the user’s preferences related to the target item from the user’s purchase history.

### User’s Purchase History:
{user_purchase_history}

### Target Item:
{target_item}

### Requirements:
- Start with "The user’s preferences related to the target item are as follows:"
- Write a single coherent paragraph (max {max_words} words) summarizing the user’s preferences related to the target item.

### Response:
`;

/**
 * Unguided reasoning for the ablations (paper 4.3.2): the same history, no oracle; the model
 * reasons and then picks the next item from candidates (the true one among sampled others), so
 * whether its prediction matches can be decided exactly.
 */
export const UNGUIDED_TEMPLATE = `### Task:
Based on the user’s chronological purchase history, analyze the user’s preferences and predict which of the candidate items the user will purchase next.

### User’s Purchase History:
{user_purchase_history}

### Candidate Items:
{candidate_items}

### Requirements:
- Start with "The user’s preferences are as follows:"
- Write a single coherent paragraph (max {max_words} words) summarizing the user’s preferences and why they lead to your prediction.
- End with a final line of the form "Prediction: [number]" naming exactly one candidate.

### Response:
`;

/** Paper figure 11, for data with review text: reviews of what the item's buyers bought just before it. */
export const DESCRIPTION_REVIEWS_TEMPLATE = `### Task:
Analyze the provided metadata and reviews to determine what kinds of users are most likely to prefer the target item. Your response should start with: "Users who prefer [common themes/preferences] would find this item suitable." Incorporate patterns from the reviews, such as favored features, usage scenarios, or functional benefits. Avoid generic statements and ensure your description is grounded in the review content.

### Target Item Metadata:
- **Target Item Title**: {item_title}
- **Brand**: {brand}
- **Categories**: {categories}
- **Original Description**: {description}

### Reviews of Previously Purchased Items:
{previous_item_reviews}

### Requirements:
- Begin with the sentence: "Users who prefer ..."
- Use a single paragraph, no more than {max_words} words.
- Focus on inferred user traits, preferences, and realistic use cases.

### Response:
`;

/**
 * Figure 11 adapted to data without review text (src/teacher/README.md): the items the buyers
 * bought just before this one stand in for their reviews.
 */
export const DESCRIPTION_PRIOR_ITEMS_TEMPLATE = `### Task:
Analyze the provided metadata and the items its buyers purchased just before it to determine what kinds of users are most likely to prefer the target item. Your response should start with: "Users who prefer [common themes/preferences] would find this item suitable." Incorporate patterns from those purchases, such as favored features, usage scenarios, or functional benefits. Avoid generic statements and ensure your description is grounded in these purchases.

### Target Item Metadata:
- **Target Item Title**: {item_title}
- **Brand**: {brand}
- **Categories**: {categories}
- **Original Description**: {description}

### Items Its Buyers Purchased Just Before It:
{previous_item_reviews}

### Requirements:
- Begin with the sentence: "Users who prefer ..."
- Use a single paragraph, no more than {max_words} words.
- Focus on inferred user traits, preferences, and realistic use cases.

### Response:
`;

/** Placeholders each kind must contain, and the optional ones it may contain. */
const PLACEHOLDERS: Record<PromptKind, { required: string[]; optional: string[] }> = {
  reasoning: { required: ['user_purchase_history', 'target_item'], optional: ['max_words'] },
  unguided: { required: ['user_purchase_history', 'candidate_items'], optional: ['max_words'] },
  description: {
    required: ['item_title', 'previous_item_reviews'],
    optional: ['brand', 'categories', 'description', 'max_words'],
  },
};

/** A validated template: the text and where it came from (for error messages and --show). */
export interface Template {
  kind: PromptKind;
  text: string;
  source: string;
}

export function checkTemplate(kind: PromptKind, text: string, source: string): Template {
  const { required, optional } = PLACEHOLDERS[kind];
  const used = new Set([...text.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]));
  const missing = required.filter((p) => !used.has(p));
  if (missing.length)
    throw new UserError(
      `${source}: ${kind} template lacks the placeholder {${missing[0]}} (required: ${required.map((p) => `{${p}}`).join(', ')})`,
    );
  const unknown = [...used].filter((p) => !required.includes(p) && !optional.includes(p));
  if (unknown.length)
    throw new UserError(
      `${source}: ${kind} template has an unknown placeholder {${unknown[0]}} (known: ${[...required, ...optional].map((p) => `{${p}}`).join(', ')})`,
    );
  return { kind, text, source };
}

/** Reads an override template file and checks its placeholders. */
export function loadTemplate(kind: PromptKind, file: string, flag: string): Template {
  const text = readTextFile(file, `${flag} ${file}`);
  checkTextLines(`${flag} ${file}`, text);
  return checkTemplate(kind, text, `${flag} ${file}`);
}

export function defaultTemplate(kind: PromptKind, hasReviews: boolean): Template {
  const text =
    kind === 'reasoning'
      ? REASONING_TEMPLATE
      : kind === 'unguided'
        ? UNGUIDED_TEMPLATE
        : hasReviews
          ? DESCRIPTION_REVIEWS_TEMPLATE
          : DESCRIPTION_PRIOR_ITEMS_TEMPLATE;
  return { kind, text, source: 'default' };
}

/** Fills `{name}` placeholders in one pass (values may themselves contain braces). */
export function render(template: Template, values: Record<string, string>): string {
  return template.text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => values[name] ?? whole);
}
