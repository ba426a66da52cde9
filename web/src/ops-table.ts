// The operations page's tables and text, written to the DOM only where what they show changed: until 2026-12-06 every
// poll (every 3 s) and every totals document rebuilt each table with new nodes, so a text selection and a screen
// reader's place were lost every few seconds (accessibility review).

export type Cell = string | number | null | undefined;
/** A table cell as data: the DOM is written only where a table's content changed. */
export interface CellData {
  text: string;
  cls: string;
}

export function cell(value: Cell, cls = ''): CellData {
  return { text: value === null || value === undefined ? '—' : String(value), cls };
}

/** An element's text, written only when it differs: rewriting the same words still replaces the node a reader is on. */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/**
 * A name from the views (a break's type, an object's kind: RECURRING_PAID_AFTER_CLOSED, settlement_summary), written
 * with a line-break opportunity (<wbr>) after each underscore: a narrow column wraps it between its words, never
 * within one, and the text (its copy, what a screen reader says) is unchanged. Until 2026-12-06 such a name was kept on
 * one line, and a card of a laptop's width scrolled the amounts beside it out of sight (`£43.2` read for £43.21).
 */
export function setName(el: HTMLElement, text: string): void {
  const words = text.split(/(?<=_)/);
  if (el.textContent === text && el.childNodes.length === 2 * words.length - 1) return;
  el.replaceChildren(...words.flatMap((w, i) => (i ? [document.createElement('wbr'), w] : [w])));
}

/** What each part of the page shows (by a name), as JSON. */
const shown = new Map<string, string>();

/** Whether `what` is what `name` shows already; else it is noted as shown, for the caller to draw. */
export function alreadyShown(name: string, what: unknown): boolean {
  const said = JSON.stringify(what);
  if (shown.get(name) === said) return true;
  shown.set(name, said);
  return false;
}

/** A table: left alone when its content has not changed, else only its changed cells (and rows added or gone) are written. */
export function table(id: string, head: string[], rows: CellData[][], numeric: number[] = []): void {
  if (alreadyShown(id, [head, numeric, rows])) return;
  const t = document.getElementById(id) as HTMLTableElement;
  if (!alreadyShown(`${id} head`, [head, numeric])) {
    const tr = document.createElement('tr');
    head.forEach((h, i) => {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = h;
      if (numeric.includes(i)) th.className = 'num';
      tr.append(th);
    });
    t.createTHead().replaceChildren(tr);
  }
  const body = rows.length ? rows : [[{ text: 'none', cls: 'muted' }]];
  const tbody = t.tBodies[0] ?? t.createTBody();
  body.forEach((r, i) => {
    let row = tbody.rows[i];
    if (row?.cells.length !== r.length) {
      const fresh = document.createElement('tr');
      if (row) row.replaceWith(fresh);
      else tbody.append(fresh);
      row = fresh;
    }
    r.forEach((c, j) => {
      const td = row.cells[j] ?? row.insertCell();
      if (c.cls.split(' ').includes('name')) setName(td, c.text);
      // A cell that held a name (its <wbr>s) is written anew even when its text is the same.
      else if (td.childElementCount) td.textContent = c.text;
      else setText(td, c.text);
      if (td.className !== c.cls) td.className = c.cls;
    });
  });
  while (tbody.rows.length > body.length) tbody.deleteRow(-1);
  if (!rows.length) tbody.rows[0]!.cells[0]!.colSpan = head.length;
}
