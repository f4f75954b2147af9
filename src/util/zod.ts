import type { z } from 'zod';

/** The first problem zod found, as `field "a.b": what was expected` (or `field "x" is missing`). */
export function formatIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const field = issue.path.length ? `field "${issue.path.join('.')}"` : '';
  if (field && issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return `${field} is missing`;
  return field ? `${field}: ${issue.message}` : issue.message;
}
