// Defaults that the command surface (program.ts, loaded for every command) shows in its help and
// the command implementations apply: here, so neither copies the other and help stays cheap.

/** `arbiter policy what-if --last`: how many recently closed contracts are re-decided. */
export const WHAT_IF_LAST = 50;
