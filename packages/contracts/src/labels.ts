/**
 * Runner-label matching. A node's `requires` is a list of terms; every term must match (AND), a comma
 * inside a term separates alternatives (OR), and matching is literal string equality.
 */
export function labelsSatisfy(requires: readonly string[], labels: readonly string[]): boolean {
  const have = new Set(labels);
  return requires.every((term) =>
    term
      .split(',')
      .map((alt) => alt.trim())
      .filter((alt) => alt.length > 0)
      .some((alt) => have.has(alt)),
  );
}

/** The terms of `requires` that `labels` fails to satisfy. */
export function unsatisfiedTerms(requires: readonly string[], labels: readonly string[]): string[] {
  return requires.filter((term) => !labelsSatisfy([term], labels));
}
