// A bank account as a setting names it and as a statement carries it: compared without spaces and case, since an
// IBAN is written in groups of four on paper (GB33 BUKB 2020 1555 5555 55) and without them in a camt.053 file.
// The SQL that compares them (recon_breaks, STATEMENT_UNVERIFIABLE) does the same: upper(replace(account, ' ', '')).

/** The account as compared: every space dropped, upper case. */
export function accountKey(account: string): string {
  return account.replace(/\s+/g, '').toUpperCase();
}
