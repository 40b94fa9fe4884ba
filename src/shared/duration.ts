// Durations in config files: ISO-8601 (`PT30S`, `P1D`, as SPEC §2 asks for deadlines) or the
// short form operators type (`30s`, `5m`, `2h`, `1d`). Pure, so workflows may use it.
const ISO = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const SHORT = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const short = SHORT.exec(text);
  if (short) return Math.round(Number(short[1]) * UNIT_MS[short[2] as keyof typeof UNIT_MS]);
  const iso = ISO.exec(text);
  if (!iso || text === 'P' || text.endsWith('T')) return undefined;
  const [, d, h, m, s] = iso.map((v) => (v === undefined ? 0 : Number(v)));
  return Math.round(
    (d ?? 0) * UNIT_MS.d + (h ?? 0) * UNIT_MS.h + (m ?? 0) * UNIT_MS.m + (s ?? 0) * UNIT_MS.s,
  );
}
