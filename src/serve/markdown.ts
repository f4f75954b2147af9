import { Marked } from 'marked';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

// The page inserts the result as HTML: raw HTML in a card is shown as text, never run.
const marked = new Marked({ gfm: true, renderer: { html: ({ text }) => escapeHtml(text) } });

/** Markdown (a model card) as HTML, with any raw HTML in it escaped. */
export function markdownToHtml(markdown: string): string {
  return marked.parse(markdown, { async: false });
}
