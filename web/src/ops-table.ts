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
      setText(td, c.text);
      if (td.className !== c.cls) td.className = c.cls;
    });
  });
  while (tbody.rows.length > body.length) tbody.deleteRow(-1);
  if (!rows.length) tbody.rows[0]!.cells[0]!.colSpan = head.length;
}
