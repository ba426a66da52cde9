// /tv: one big number for the broadcast. The main currency's total to the penny, other currencies smaller
// below, updated from the live stream; nothing here polls or reloads.
import './tv.css';
import { formatCount, formatMoney } from './money.js';
import { followTotals, totalsQuery } from './live.js';

const $ = (id: string) => document.getElementById(id)!;
const params = new URLSearchParams(location.search);
const campaign = params.get('campaign');
if (campaign) $('campaign').textContent = campaign;

followTotals(
  totalsQuery(params, 'channel'),
  (doc) => {
    const total = $('total');
    const text = doc.currency ? formatMoney(doc.total.amount_minor, doc.currency) : formatMoney(0, 'GBP');
    // Millions must still fit the title-safe width: the size follows the number of characters (a digit is
    // about 0.63 em wide), so it changes only when the total gains a digit, never as digits change.
    if (text.length !== total.textContent?.length) total.style.fontSize = `min(12vw, ${(140 / text.length).toFixed(2)}vw)`;
    total.textContent = text;
    $('count').textContent = `${formatCount(doc.total.count)} ${doc.total.count === 1 ? 'donation' : 'donations'}`;
    const others = $('others');
    others.replaceChildren(
      ...doc.currencies.slice(1).map((c) => {
        const li = document.createElement('li');
        li.textContent = `+ ${formatMoney(c.total.amount_minor, c.currency)}`;
        li.dataset.currency = c.currency;
        return li;
      }),
    );
    $('asof').textContent = doc.as_of ? `as of ${new Date(doc.as_of).toISOString().slice(11, 19)} UTC` : '';
  },
  (state) => {
    $('state').textContent = state;
    document.body.dataset.link = state;
  },
);
