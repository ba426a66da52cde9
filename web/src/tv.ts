// /tv: one big number for the broadcast. The main currency's total to the penny, other currencies smaller
// below, updated from the live stream; nothing here polls or reloads. The label says what the number counts
// (which campaign, since when): without `?from=` it is every donation ever landed, not tonight's.
import './tv.css';
import { counted, formatMoney } from './money.js';
import { followTotals, onLinkChange, titleFor, totalsQuery } from './live.js';
import { pageWindow, windowLabel } from './page-window.js';
import { showOthers } from './tv-others.js';
import { keepPassFresh } from './pass.js';

const $ = (id: string) => document.getElementById(id)!;
const params = new URLSearchParams(location.search);
const campaign = params.get('campaign') ?? 'All campaigns';
// `?title=` names the campaign on air as the programme does ("Appeal Night 2026"), not by its id in the data; the
// window stays beside it, so the label still says what the number counts. Until 2026-12-06 only the id could show.
const title = params.get('title')?.trim() || campaign;
const label = `${title} · ${windowLabel(pageWindow(params))}`;
$('campaign').textContent = label;

// The big figure's currency: the one the page was told (`?currency=GBP`), whatever has the most pledges, so a
// pound appeal never opens the night in euros because its first pledge was one (until 2026-12-03 `?currency=` counted
// only before the first donation, and the headline switched currency as the counts moved). Untold, the hub's main
// currency, and before the first donation a plain 0, never a pound sign on a campaign in another currency.
const told = params.get('currency')?.toUpperCase();
const toldCurrency = told && /^[A-Z]{3}$/.test(told) && Intl.supportedValuesOf('currency').includes(told) ? told : undefined;

// What a screen reader hears (the #spoken status region): the total in a sentence with what it counts, at most once a
// minute, and the link's state when it changes. Until 2026-12-06 the figure itself was the live region, read out at
// every update (up to four a second on the night) without its label, while "BEHIND" or a refused key went unsaid (an
// accessibility review).
const SPEAK_TOTAL_MS = 60_000;
let spokenAt = 0;
const speak = (text: string) => {
  $('spoken').textContent = text;
};
const speakLink = onLinkChange((state, why) => speak(state === 'live' ? 'Live again' : `Not live: ${why ?? state}`));

followTotals(
  totalsQuery(params, 'channel'),
  (doc) => {
    const total = $('total');
    const headline = toldCurrency ?? doc.currency;
    const main = doc.currencies.find((c) => c.currency === headline)?.total ?? { amount_minor: 0, count: 0 };
    const text = headline ? formatMoney(main.amount_minor, headline) : '0';
    // Millions must still fit the title-safe width: the size follows the number of characters (a digit is
    // about 0.63 em wide), so it changes only when the total gains a digit, never as digits change.
    if (text.length !== total.textContent?.length) total.style.fontSize = `min(12vw, ${(140 / text.length).toFixed(2)}vw)`;
    total.textContent = text;
    // Every currency's pledges: the others are on screen below the total (until 2026-12-06 the headline currency's
    // alone, about a fifth short on a night with euros and dollars; a user test).
    const n = doc.currencies.reduce((sum, c) => sum + c.total.count, 0);
    // A campaign no donation names yet may be a typo (capitals count): say which name the page is waiting for.
    const none = params.has('campaign') ? `no donation names the campaign “${campaign}” yet` : 'waiting for the first donation';
    const others = doc.currencies.filter((c) => c.currency !== headline).map((c) => ({ currency: c.currency, text: formatMoney(c.total.amount_minor, c.currency) }));
    // With other currencies below, the count says it is theirs too: "4 donations" under £36.00 and beside + €12.34
    // read as the pounds' count, where the dashboard says 3 (until 2026-12-07; a data engineer's user test).
    $('count').textContent = doc.currency ? `${counted(n, 'donation', 'donations')}${others.length ? ' in all currencies' : ''}` : none;
    showOthers($('others'), others);
    $('asof').textContent = doc.as_of ? `as of ${new Date(doc.as_of).toISOString().slice(11, 19)} UTC` : '';
    if (Date.now() - spokenAt >= SPEAK_TOTAL_MS) {
      spokenAt = Date.now();
      speak(`${label}: ${[text, ...others.map((c) => c.text)].join(' + ')}, ${$('count').textContent}`);
    }
  },
  (state, why) => {
    // Why it is refused goes in the small status line beside the dot, never the label above the total: this page is
    // on air (until 2026-12-06 the reason took four lines of the label's type and pushed the other currencies down).
    $('state').textContent = why ?? state;
    document.body.dataset.link = state;
    document.title = titleFor('Live total', state);
    // The first 'live' is the page opening: its total is said instead.
    speakLink(state, why);
  },
);

keepPassFresh();
