/**
 * The tokenizer of Universal Sentence Encoder lite, a port of the tfjs-models USE tokenizer as
 * described in /work/shared/models/use-lite-architecture.md (a): NFKC, '▁' for spaces, a
 * Viterbi over vocabulary pieces where 0 means "unset" and ties go to the shorter piece, and runs
 * of unknown tokens collapsed into one id 0. No BOS/EOS.
 */
import type { Tokenizer } from './types.js';

const firstPieceId = 6; // ids 0-5 are reserved and never matched

interface TrieNode {
  children: Map<string, TrieNode>;
  id: number; // -1: no piece ends here
  score: number;
}

export class UseLiteTokenizer implements Tokenizer {
  private readonly root: TrieNode = { children: new Map(), id: -1, score: 0 };

  /** vocabulary: [piece, score] pairs as in the package's vocab.json (a null score counts as 0). */
  constructor(vocabulary: ReadonlyArray<readonly [string, number | null]>) {
    vocabulary.forEach(([piece, score], id) => {
      if (id < firstPieceId) return;
      let node = this.root;
      for (const char of piece) {
        let next = node.children.get(char);
        if (!next) node.children.set(char, (next = { children: new Map(), id: -1, score: 0 }));
        node = next;
      }
      // A piece listed twice keeps its last id (the package's behaviour).
      node.id = id;
      node.score = score ?? 0;
    });
  }

  encode(text: string): number[] {
    const normalized = text.normalize('NFKC');
    if (normalized.length === 0) return [];
    const chars = [...('▁' + normalized.replaceAll(' ', '▁'))];
    const n = chars.length;
    // Candidates grouped by end position, in increasing order of start.
    const ending: Array<Array<{ start: number; id: number; score: number }>> = Array.from({ length: n + 1 }, () => []);
    for (let start = 0; start < n; start++) {
      let node: TrieNode | undefined = this.root;
      let found = false;
      for (let end = start; end < n && node; end++) {
        node = node.children.get(chars[end]);
        if (node && node.id >= 0) {
          ending[end + 1].push({ start, id: node.id, score: node.score });
          found = true;
        }
      }
      if (!found) ending[start + 1].push({ start, id: 0, score: 0 });
    }
    const best = new Float64Array(n + 1);
    const word = new Int32Array(n + 1);
    const length = new Int32Array(n + 1);
    for (let end = 0; end <= n; end++) {
      for (const c of ending[end]) {
        const value = c.score + best[c.start];
        if (best[end] === 0 || value >= best[end]) {
          best[end] = value;
          word[end] = c.id;
          length[end] = end - c.start;
        }
      }
    }
    const ids: number[] = [];
    for (let p = n; p > 0; p -= length[p]) ids.push(word[p]);
    ids.reverse();
    return ids.filter((id, i) => id !== 0 || i === 0 || ids[i - 1] !== 0);
  }

  /** The graph keeps the head of the text. */
  truncate(ids: number[], maxTokens: number): number[] {
    return ids.slice(0, maxTokens);
  }
}
