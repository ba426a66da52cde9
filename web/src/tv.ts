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
    $('total').textContent = doc.currency ? formatMoney(doc.total.amount_minor, doc.currency) : formatMoney(0, 'GBP');
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
