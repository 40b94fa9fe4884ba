// User satisfaction: a person's 1..5 score per contract, kept as JSON lines in
// <ARBITER_DATA_DIR>/ratings.jsonl. Appending never rewrites history; the last rating wins.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { badInput } from '../shared/errors.js';

export interface Rating {
  workflowId: string;
  score: number;
  comment?: string;
  by: string;
  at: string;
}

export const ratingsFile = (dataDir: string): string => join(dataDir, 'ratings.jsonl');

/** `--score`: an integer 1..5, else BAD_INPUT naming the flag. */
export function parseScore(text: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isInteger(n) || n < 1 || n > 5) {
    throw badInput(`--score: "${text}" is not a whole number from 1 to 5`);
  }
  return n;
}

export function appendRating(dataDir: string, rating: Rating): void {
  mkdirSync(dataDir, { recursive: true });
  appendFileSync(ratingsFile(dataDir), `${JSON.stringify(rating)}\n`);
}

/** The last rating per workflow id; unreadable lines are skipped (a rating is advisory data). */
export function readRatings(dataDir: string): Map<string, Rating> {
  const file = ratingsFile(dataDir);
  const out = new Map<string, Rating>();
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as Partial<Rating>;
      if (typeof r.workflowId === 'string' && typeof r.score === 'number') out.set(r.workflowId, r as Rating);
    } catch {
      // skip a torn or hand-edited line
    }
  }
  return out;
}
