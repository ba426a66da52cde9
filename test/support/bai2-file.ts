// BAI2 files for tests, laid out as the specification has them (01 file header, 02 group, 03 account, 16
// transactions, 49/98/99 trailers with their control totals and record counts computed), as a bank sends them.

export type Tx = [code: number, amount: number, bankRef: string, customerRef: string, text: string];
export interface Group {
  asOf: string;
  time: string;
  modifier: string;
  /** Group status: 1 update (the default), 2 deletion, 3 correction, 4 test only. */
  status?: string;
  account: string;
  balances: Record<string, number>;
  tx: Tx[];
}

/** A BAI2 file as the specification lays it out, its 49/98/99 control totals and record counts computed. */
export function bai2(created: string, fileId: number, groups: Group[]): string {
  const out = [`01,BANKUS33,CHARITY,${created},${fileId},,,2/`];
  let fileTotal = 0;
  for (const g of groups) {
    const bals = Object.entries(g.balances);
    const total = bals.reduce((n, [, v]) => n + v, 0) + g.tx.reduce((n, t) => n + t[1], 0);
    const account = [`03,${g.account},USD,${bals.map(([c, v]) => `${c},${v},,`).join(',')}/`, ...g.tx.map((t) => `16,${t[0]},${t[1]},0,${t[2]},${t[3]},${t[4]}/`)];
    account.push(`49,${total},${account.length + 1}/`);
    out.push(`02,CHARITY,BANKUS33,${g.status ?? '1'},${g.asOf},${g.time},,${g.modifier}/`, ...account, `98,${total},1,${account.length + 2}/`);
    fileTotal += total;
  }
  out.push(`99,${fileTotal},${groups.length},${out.length + 1}/`);
  return `${out.join('\n')}\n`;
}

