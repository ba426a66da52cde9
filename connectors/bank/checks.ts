import { fromMinorUnits } from '../../core/money.js';
import { type Statement, type StatementProblem, movesBalance } from './statement.js';

// The controls every bank format shares: the balances carry the entries from opening to closing, and the counts
// and sums the file declares are the entries it holds. A format's own controls (BAI2's 49/98/99 trailers) are its
// reader's. Any problem here means the whole file is not imported (issue #9).

const money = (minor: number, currency: string) => `${fromMinorUnits(minor, currency)} ${currency}`;

/** Where a statement is, for problems: the reader's locator, else its position and reference. */
export function statementWhere(s: Statement, index: number): string {
  return s.locator ?? `statement ${index + 1}${s.statement_ref ? ` (${s.statement_ref})` : ''}`;
}

/** The problems of one statement; empty when it adds up. */
export function checkStatement(s: Statement, index: number): StatementProblem[] {
  const where = statementWhere(s, index);
  const problems: StatementProblem[] = [];
  let booked = 0;
  let credits = 0;
  let debits = 0;
  let creditCount = 0;
  let debitCount = 0;
  let otherCurrency = false;
  for (const e of s.entries) {
    if (e.currency !== s.currency) {
      otherCurrency = true;
      problems.push({ where: e.locator, message: `entry is in ${e.currency}, the statement in ${s.currency}: it cannot be summed into the balance` });
      continue;
    }
    // Pending and information-only entries have not moved the booked balance (an interim report's pending ones moved
    // its interim balances).
    if (movesBalance(s, e)) booked += e.amount_minor;
    if (e.amount_minor >= 0) {
      credits += e.amount_minor;
      creditCount++;
    } else {
      debits -= e.amount_minor;
      debitCount++;
    }
  }
  if (s.opening_balance_minor !== null && s.closing_balance_minor !== null) {
    const expected = s.opening_balance_minor + booked;
    const sum = `opening ${money(s.opening_balance_minor, s.currency)} + booked entries`;
    const gap = money(s.closing_balance_minor - expected, s.currency);
    const closing = money(s.closing_balance_minor, s.currency);
    if (otherCurrency) {
      // What the entries in the statement's currency leave of the balances' movement: the figure the break shows, so
      // the reason says where it comes from (until 2026-12-06 it did not: user test).
      problems.push({
        where: `${where}: closing balance`,
        message:
          `${sum} in ${s.currency} ${money(booked, s.currency)} = ${money(expected, s.currency)}, the closing balance ${closing}: ` +
          `${gap} is left to the entries in other currencies, which the file gives without their ${s.currency} amount`,
      });
    } else if (expected !== s.closing_balance_minor) {
      problems.push({
        where: `${where}: closing balance`,
        message: `${sum} ${money(booked, s.currency)} = ${money(expected, s.currency)}, but the closing balance is ${closing} (off by ${gap})`,
      });
    }
  }
  const d = s.declared;
  const declaredCount = (label: string, declared: number | null | undefined, actual: number) => {
    if (declared !== null && declared !== undefined && declared !== actual) {
      problems.push({ where: `${where}: ${label}`, message: `the file declares ${declared} entries, it holds ${actual}` });
    }
  };
  const declaredSum = (label: string, declared: number | null | undefined, actual: number) => {
    if (declared !== null && declared !== undefined && declared !== actual && !otherCurrency) {
      problems.push({ where: `${where}: ${label}`, message: `the file declares ${money(declared, s.currency)}, its entries sum to ${money(actual, s.currency)}` });
    }
  };
  declaredCount('entry count', d.entry_count, s.entries.length);
  declaredCount('credit entry count', d.credit_count, creditCount);
  declaredCount('debit entry count', d.debit_count, debitCount);
  declaredSum('credit total', d.credit_total_minor, credits);
  declaredSum('debit total', d.debit_total_minor, debits);
  declaredSum('sum of all entries', d.absolute_total_minor, credits + debits);
  declaredSum('net total', d.control_total_minor, credits - debits);
  return problems;
}
