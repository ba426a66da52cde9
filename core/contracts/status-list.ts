// The shape the status lists share (money-status.ts, donation-status.ts): rows of a status and what it means,
// plus other spellings of some of them. Built here once: the values a contract takes, and every spelling a
// landed row may hold with its meaning (what the SQL views of the lists hold).

/** The statuses of a list, in its order. */
export function statusValues<R extends { status: string }>(rows: readonly R[]): readonly R['status'][] {
  return rows.map((r) => r.status);
}

/**
 * The rows, then one row for each other spelling, meaning what the status it stands for means. Throws if a
 * spelling stands for a status the list does not have.
 */
export function statusSpellings<R extends { status: string }>(rows: readonly R[], aliases: Readonly<Record<string, string>>): readonly R[] {
  return [
    ...rows,
    ...Object.entries(aliases).map(([spelling, to]) => {
      const row = rows.find((r) => r.status === to);
      if (!row) throw new Error(`status spelling ${spelling} stands for ${to}, which is not in the list`);
      return { ...row, status: spelling };
    }),
  ];
}
