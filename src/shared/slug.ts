// Slugs for ids made from names and titles. Plain code (no zod), so workflows may use it too.

/** Lowercase words joined by dashes, at most 63 characters: a valid contract or plan id. */
export function slugify(text: string): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return slug || 'item';
}

/** Unique slugs for names, in order: a repeat gets -2, -3… */
export function uniqueSlugs(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    const base = slugify(name);
    let slug = base;
    for (let i = 2; used.has(slug); i++) slug = `${base.slice(0, 60)}-${i}`;
    used.add(slug);
    return slug;
  });
}
