// /tv's line of other currencies ("+ €42.00   + US$9.99 ..."), kept inside the title-safe area. Each amount
// stays whole on one line; the line wraps to at most two rows, with smaller type as more currencies come (down
// to half size), and what still does not fit is counted ("+ 3 more currencies") rather than drawn off screen.
// Until 2026-12-02 the list never wrapped: at six currencies the amounts ran off both edges, split from their
// "+" signs. They come most pledges first (the hub's order), so those counted are the ones with the fewest: amounts
// in two currencies cannot be compared without exchange rates, which the hub does not hold.

const SIZES_VW = [4, 3.5, 3, 2.5, 2];
const MAX_ROWS = 2;

export interface OtherAmount {
  currency: string;
  text: string;
}

/** Rows the list's items take, by their distinct tops. */
function rows(list: HTMLElement): number {
  return new Set([...list.children].map((li) => (li as HTMLElement).offsetTop)).size;
}

function fits(list: HTMLElement): boolean {
  return list.scrollWidth <= list.clientWidth + 1 && rows(list) <= MAX_ROWS;
}

function item(text: string, currency?: string): HTMLLIElement {
  const li = document.createElement('li');
  li.textContent = text;
  if (currency) li.dataset.currency = currency;
  return li;
}

function render(list: HTMLElement, others: OtherAmount[], shown: number): void {
  const left = others.length - shown;
  const items = others.slice(0, shown).map((o) => item(`+ ${o.text}`, o.currency));
  if (left > 0) items.push(item(`+ ${left} more ${left === 1 ? 'currency' : 'currencies'}`));
  list.replaceChildren(...items);
}

/** Lays the amounts out: the largest type at which all fit in two rows, else the most that fit at the smallest. */
function layout(list: HTMLElement, others: OtherAmount[]): void {
  for (const size of SIZES_VW) {
    list.style.fontSize = `${size}vw`;
    render(list, others, others.length);
    if (fits(list)) return;
  }
  let shown = others.length - 1;
  for (; shown > 0; shown--) {
    render(list, others, shown);
    if (fits(list)) return;
  }
  render(list, others, 0);
}

let laidOut = '';

/**
 * Shows the other currencies. The layout is worked out again only when the amounts' currencies or lengths
 * change, so, as for the total, nothing moves while digits change.
 */
export function showOthers(list: HTMLElement, others: OtherAmount[]): void {
  const shape = others.map((o) => `${o.currency}:${o.text.length}`).join(',');
  if (shape !== laidOut) {
    laidOut = shape;
    layout(list, others);
    return;
  }
  const items = list.children;
  others.forEach((o, i) => {
    const li = items[i] as HTMLElement | undefined;
    if (li?.dataset.currency === o.currency) li.textContent = `+ ${o.text}`;
  });
}
