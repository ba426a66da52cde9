// `/`: the operations dashboard. Totals come live from the stream; the rest (sources, queue, quarantine,
// drift, journey, breaks) from fixed read endpoints, polled every few seconds.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './ops.css';
import { counted, formatCount, formatMoney } from './money.js';
import { filterQuery, followTotals, onLinkChange, titleFor, totalsQuery, type LinkState, type TotalsDocument } from './live.js';
import { pageWindow, refusedLabel, utcLabel, windowLabel } from './page-window.js';
import { asOf, clock, failedWhy, figuresTime, pollNote, type PollState } from './poll-freshness.js';
import { keepPassFresh } from './pass.js';
import { BOX_MS } from '../../core/time-window.js';
import { alreadyShown, cell, setText, table, type Cell, type CellData } from './ops-table.js';

const $ = (id: string) => document.getElementById(id)!;
const params = new URLSearchParams(location.search);
const POLL_MS = 3000;
// Each at least 4.3:1 against the white card, so a lane stands out from it (WCAG 1.4.11 asks 3:1): until 2026-12-06
// three were about 2:1 (accessibility review).
const CTA_COLOURS = ['#b35c00', '#00796b', '#7b3fc4', '#c8102e', '#1f5fd1', '#4c7a00', '#5c636a'];
const LANE = 7;
const DAY_MS = 86_400_000;
// The newest landing older than this, with deliveries waiting to land, turns the header's age orange: on the night
// donations land every few seconds, so two minutes without one while some wait means a stalled landing.
const STALE_AFTER_S = 120;
const askedWindow = pageWindow(params);
// A refused window draws nothing (the hub sends no document): the chart's span is then the last 24 hours.
const timeWindow = 'error' in askedWindow ? {} : askedWindow;

/**
 * `said` of `of` (a panel, the live totals), by the page's one status region (polite), gathered for a second: a hub
 * going away turns the link and five panels within moments, heard as one message, each reason once ("Journey,
 * Breaks: figures NOT CURRENT; …"). Until 2026-12-06 the page had no live region at all, and a screen reader user
 * was not told that its figures had stopped being current (accessibility review).
 */
let toSay = new Map<string, string[]>();
function announce(of: string, said: string): void {
  if (!toSay.size) {
    setTimeout(() => {
      $('announce').textContent = [...toSay].map(([words, whose]) => `${whose.join(', ')}: ${words}`).join(' ');
      toSay = new Map();
    }, 1000);
  }
  toSay.set(said, [...(toSay.get(said) ?? []), of]);
}

/** A polled panel: the cards its answer fills, each with a note saying when their figures are not current. */
interface Panel {
  /** Its name when its figures stop being current, or are current again (announced). */
  name: string;
  state: PollState;
  cards: { card: Element; note: HTMLElement }[];
  /** Whether its figures are not current, as last announced. */
  stale: boolean;
}

const panels: Panel[] = [];

/** The panel whose figures are in the elements `ids` (a note goes at the top of each one's card, under its heading). */
function panel(name: string, ...ids: string[]): Panel {
  const p: Panel = {
    name,
    state: {},
    stale: false,
    cards: ids.map((id) => {
      const card = $(id).closest('.card, .headline > section')!;
      const note = document.createElement('p');
      note.dataset.testid = `poll-${id}`;
      (card.querySelector('h2 + .sub') ?? card.querySelector('h2')!).after(note);
      return { card, note };
    }),
  };
  panels.push(p);
  return p;
}

/** Each panel's note, from its polls' state: ticks every second, as the ages in it do. */
function showPollNotes(): void {
  const now = Date.now();
  for (const p of panels) {
    const note = pollNote(p.state, now);
    const stale = note?.kind === 'stale';
    for (const { card, note: el } of p.cards) {
      setText(el, note?.text ?? '');
      el.className = note ? `poll-note ${note.kind}` : 'poll-note';
      card.classList.toggle('not-current', stale);
    }
    // Once as it turns, not at each tick of the note's age.
    if (stale !== p.stale) {
      p.stale = stale;
      announce(p.name, stale ? `figures NOT CURRENT; ${p.state.failed ?? 'the hub is not answering'}.` : 'figures current again.');
    }
  }
}

/**
 * A refresh given up after this long (a dead link can hold one for many minutes), so the next poll asks afresh. Not
 * a first answer: on a big lake, or behind the live totals' rebuild after a start, it takes minutes (its note says
 * how long it has been waited for), and asking again would only wait for the same one.
 */
const GIVE_UP_MS = 120_000;

/** The answer for a panel, or undefined when there is none (the panel's note then says why). */
async function getJson<T>(p: Panel, path: string): Promise<T | undefined> {
  p.state.askedAt = Date.now();
  try {
    const res = await fetch(path, { headers: { accept: 'application/json' }, ...(p.state.answeredAt !== undefined ? { signal: AbortSignal.timeout(GIVE_UP_MS) } : {}) });
    const body: unknown = await res.json().catch(() => undefined);
    if (res.ok && body !== undefined) {
      p.state.answeredAt = Date.now();
      p.state.figuresAt = figuresTime(body);
      p.state.failed = undefined;
      return body as T;
    }
    p.state.failed = failedWhy(res.status, body);
  } catch (err) {
    p.state.failed = failedWhy(undefined, undefined, err instanceof DOMException && err.name === 'TimeoutError' ? GIVE_UP_MS : undefined);
  } finally {
    p.state.askedAt = undefined;
    showPollNotes();
  }
  return undefined;
}

// Which cards each poll fills: the status fills four (its SQL, the queue, the health and the sources come together).
const statusPanel = panel('Status (queue, quarantine, totals check, sources)', 'queue', 'quarantine', 'drift', 'sources');
const campaignsPanel = panel('By campaign', 'by-campaign');
const ctaTotalsPanel = panel('By call to action', 'by-cta');
const ctasPanel = panel('Call-to-action lanes', 'ctas');
const journeyPanel = panel('Journey', 'funnel');
const breaksPanel = panel('Breaks', 'breaks-by-type', 'breaks');

const ago = (iso: unknown): string => {
  if (typeof iso !== 'string') return '—';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
};

// ---- the chart: pledges per box, all currencies counted, CTA windows shaded behind. It spans the page's window
// (`?from=`, `?to=`), else the last 24 hours: a date mistyped a century early must not stretch it over 100 years
// and squeeze the night into one bar. What falls outside is counted below the chart, not drawn.
let ctaWindows: { cta: string | null; from: string; to: string }[] = [];
let plot: uPlot | undefined;

/**
 * Under forced colours (Windows High Contrast) the page takes the system's colours but a canvas does not: the chart's
 * axes, drawn in uPlot's black, vanished on a black page (an accessibility review, 2026-12-06). They are drawn in
 * the page's own text colour then, and the chart is built again when the mode changes.
 */
const FORCED_COLOURS = matchMedia('(forced-colors: active)');
function axisInk(): Partial<uPlot.Axis> {
  if (!FORCED_COLOURS.matches) return {};
  const ink = getComputedStyle(document.body).color;
  return { stroke: ink, grid: { stroke: ink, width: 0.5 }, ticks: { stroke: ink } };
}
FORCED_COLOURS.addEventListener('change', () => {
  plot?.destroy();
  plot = undefined;
  if (lastDoc) drawChart(lastDoc);
});

/** The chart's span in ms: the page's window, or the 24 hours up to the end of the current box. */
function chartSpan(): [number, number] {
  const end = timeWindow.to ?? Math.floor(Date.now() / BOX_MS) * BOX_MS + BOX_MS;
  return [timeWindow.from ?? end - DAY_MS, end];
}

/** `6 Dec`: a day, UTC, as the page writes dates. */
const dayMonth = (ms: number): string => new Date(ms).toLocaleDateString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });

/**
 * The time axis, 24-hour UTC as the rest of the page: `19:00`, with the date (`6 Dec`) under each day's first tick,
 * or the dates alone when the ticks are days apart. Until 2026-12-06 uPlot's default said `6pm` and `12/5/26`, which a
 * UK reader takes for the 12th of May (accessibility review).
 */
function timeTicks(_u: uPlot, splits: number[], _axis: number, _space: number, incr: number): string[] {
  let day = '';
  return splits.map((s) => {
    const date = dayMonth(s * 1000);
    if (incr >= 86_400) return date;
    const time = new Date(s * 1000).toISOString().slice(11, 16);
    const first = date !== day;
    day = date;
    return first ? `${time}\n${date}` : time;
  });
}

/**
 * What the chart shows, in words, for a screen reader (the chart is an image): its span, the pledges drawn, and
 * the busiest box. Until 2026-12-06 it was an unnamed canvas (accessibility review).
 */
function chartSummary([xs, ys]: uPlot.AlignedData, span: string): string {
  const counts = ys as number[];
  const total = counts.reduce((a, b) => a + b, 0);
  const what = `Pledges per 15-minute box, ${span}`;
  if (!total) return `${what}: none drawn`;
  const peak = counts.indexOf(Math.max(...counts));
  const boxes = counted(xs.length, 'box', 'boxes');
  return `${what}: ${counted(total, 'pledge', 'pledges')} drawn in ${boxes}; the busiest box, ${utcLabel(xs[peak]! * 1000)}, had ${formatCount(counts[peak]!)}`;
}

function chartData(doc: TotalsDocument): uPlot.AlignedData {
  const [lo, hi] = chartSpan();
  const counts = new Map<number, number>();
  let outside = 0;
  for (const c of doc.currencies) {
    for (const b of c.boxes) {
      const t = Date.parse(b.start);
      if (t < lo || t >= hi) outside += b.count;
      else counts.set(t / 1000, (counts.get(t / 1000) ?? 0) + b.count);
    }
  }
  const span = timeWindow.from !== undefined || timeWindow.to !== undefined ? windowLabel(timeWindow) : `last 24 hours, to ${utcLabel(hi)}`;
  setText($('chart-window'), span);
  setText($('chart-outside'), outside ? `not drawn: ${counted(outside, 'pledge', 'pledges')} outside this span` : '');
  const xs = [...counts.keys()].sort((a, b) => a - b);
  const data: uPlot.AlignedData = [xs, xs.map((x) => counts.get(x)!)];
  // The chart's figures for those who cannot see it, or want the numbers (WCAG 1.1.1): every box with pledges, behind a
  // disclosure so it costs the page no room. Until 2026-12-07 the chart's label gave only a summary (accessibility review).
  table('chart-table', ['15 minutes from (UTC)', 'pledges'], xs.map((x) => [cell(boxLabel(x * 1000)), cell(formatCount(counts.get(x)!), 'num')]), [1]);
  const label = chartSummary(data, span);
  if ($('chart').getAttribute('aria-label') !== label) $('chart').setAttribute('aria-label', label);
  return data;
}

/** A box's start as the chart's hover legend says it: "7 Dec 19:15". */
const boxLabel = (ms: number): string => `${dayMonth(ms)} ${new Date(ms).toISOString().slice(11, 16)}`;

/** The chart as wide as its card, down to a phone's 320 px (where the card is about 280 px inside). */
const chartWidth = (el: HTMLElement): number => Math.max(240, el.clientWidth);

function drawChart(doc: TotalsDocument): void {
  const data = chartData(doc);
  if (plot) {
    plot.setData(data);
    return;
  }
  const el = $('chart');
  plot = new uPlot(
    {
      width: chartWidth(el),
      height: 260,
      // UTC, like the boxes, the window and the call-to-action labels.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true, range: () => chartSpan().map((t) => t / 1000) as [number, number] }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.15] } },
      padding: [8 + LANE * 7, 16, 0, 0],
      // The hover legend (the box under the pointer) in 24-hour UTC too.
      series: [{ label: 'Time (UTC)', value: '{D} {MMM} {HH}:{mm}' }, { label: 'donations', stroke: '#3b6fd8', fill: 'rgba(59, 111, 216, 0.35)', width: 1, points: { show: false }, paths: uPlot.paths.bars!({ size: [0.8, 40] }) }],
      axes: [{ values: timeTicks, label: 'UTC', labelSize: 20, ...axisInk() }, { label: 'per 15 min', ...axisInk() }],
      hooks: {
        // Each call to action's window is a lane above the bars, so windows that overlap stay readable.
        draw: [
          (u) => {
            const { ctx } = u;
            const lane = LANE * devicePixelRatio;
            const left = u.bbox.left;
            const right = u.bbox.left + u.bbox.width;
            ctaWindows.forEach((w, i) => {
              // Clipped to the plot: a window reaching back before the chart's span starts at its left edge.
              const x0 = Math.max(left, u.valToPos(Date.parse(w.from) / 1000, 'x', true));
              const x1 = Math.min(right, u.valToPos(Date.parse(w.to) / 1000, 'x', true));
              if (x1 <= left || x0 >= right) return;
              ctx.fillStyle = CTA_COLOURS[i % CTA_COLOURS.length]!;
              ctx.fillRect(x0, u.bbox.top - (i + 1) * lane - 2, Math.max(2, x1 - x0), lane - 2);
            });
          },
        ],
      },
    },
    data,
    el,
  );
  // The hover legend repeats what the pointer is over, for the mouse only: the chart's label says it in words.
  el.querySelector('.u-legend')?.setAttribute('aria-hidden', 'true');
  new ResizeObserver(() => plot?.setSize({ width: chartWidth(el), height: 260 })).observe(el);
}

/**
 * "Pause updates" (WCAG 2.2.2): while pressed, the figures, tables and chart stay as they were (a screen reader user
 * can read a busy night's tables without rows moving under them); the stream's newest document is kept and shown
 * at once on resuming, and the panels poll again at their next turn. The link's state is still shown and said: it is
 * about the hub, not the figures. Until 2026-12-06 nothing could stop the page updating (accessibility review).
 */
let pausedAt: number | undefined;
let heldDoc: TotalsDocument | undefined;
$('pause').addEventListener('click', () => {
  pausedAt = pausedAt === undefined ? Date.now() : undefined;
  $('pause').setAttribute('aria-pressed', String(pausedAt !== undefined));
  announce('Updates', pausedAt !== undefined ? `paused; the figures stay as they were at ${clock(pausedAt)}.` : 'resumed.');
  if (pausedAt === undefined && heldDoc) {
    const doc = heldDoc;
    heldDoc = undefined;
    showTotals(doc);
  }
  showLandedAge();
});

// The newest landing's age ticks every second, not only when a document arrives: a stalled landing sends no
// documents, and a frozen "4 s ago" would look fresh.
let newestLanded: string | null | undefined;
/** Deliveries waiting to land at the last status poll (undefined before one answers). */
let waitingToLand: number | undefined;
let lastDoc: TotalsDocument | undefined;

function showLandedAge(): void {
  const el = $('asof');
  if (pausedAt !== undefined) {
    setText(el, `updates paused at ${clock(pausedAt)}`);
    el.className = 'paused';
    setText($('asof-stalled'), '');
    return;
  }
  if (newestLanded === undefined) return;
  el.textContent = newestLanded ? `newest landed ${ago(newestLanded)}` : 'nothing landed yet';
  // Old and with deliveries waiting: a quiet hub with nothing to land is not stalled (until 2026-12-06 it turned
  // orange after two minutes of no donations, noise outside an appeal night: analyst user test L5).
  const stale = newestLanded !== null && Date.now() - Date.parse(newestLanded) > STALE_AFTER_S * 1000 && waitingToLand !== 0;
  el.className = stale ? 'stale' : '';
  // In words, not by colour alone (WCAG 1.4.1): until 2026-12-06 only the orange said so (accessibility review).
  const stalled = $('asof-stalled');
  setText(stalled, stale ? ': stalled?' : '');
  stalled.className = el.className;
}

/**
 * The group of pledges with no channel, campaign or CTA, in the tables and the chart's lanes alike: until 2026-12-07
 * the lanes said "(none)" and the tables "—", which elsewhere on the page means a figure not known (a data engineer's
 * user test).
 */
const NO_KEY = '(none)';

/** A totals document's breakdown as table rows: key, currency, count and amount. */
function breakdownRows(doc: TotalsDocument): CellData[][] {
  return doc.currencies.flatMap((c) => c.by.map((b) => [cell(b.key ?? NO_KEY), cell(c.currency), cell(formatCount(b.count), 'num'), cell(formatMoney(b.amount_minor, c.currency), 'num')]));
}

function showTotals(doc: TotalsDocument): void {
  if (pausedAt !== undefined) {
    heldDoc = doc;
    return;
  }
  setText($('total'), doc.currency ? formatMoney(doc.total.amount_minor, doc.currency) : '—');
  setText($('count'), counted(doc.total.count, 'pledge', 'pledges'));
  setText($('others'), doc.currencies.slice(1).map((c) => `+ ${formatMoney(c.total.amount_minor, c.currency)} (${formatCount(c.total.count)})`).join('   '));
  lastDoc = doc;
  newestLanded = doc.as_of;
  showLandedAge();
  table('by-channel', ['channel', 'currency', 'count', 'amount'], breakdownRows(doc), [2, 3]);
  drawChart(doc);
}

/** "19:00–20:00" within a day (UTC); with the dates when it crosses one: "10 Oct 19:00–2 Dec 20:00". */
function ctaSpan(from: string, to: string): string {
  const time = (iso: string) => iso.slice(11, 16);
  const date = (iso: string) => dayMonth(Date.parse(iso));
  // A window ending at midnight ends on its own day (its last box starts at 23:45).
  const lastDay = new Date(Date.parse(to) - 1).toISOString().slice(0, 10);
  return from.slice(0, 10) === lastDay ? `${time(from)}–${time(to)}` : `${date(from)} ${time(from)}–${date(to)} ${time(to)}`;
}

/** A polled breakdown of the live totals (`by`: campaign, cta) into its table: key, currency, count and amount. */
async function pollBreakdown(p: Panel, by: string, id: string, heading: string): Promise<void> {
  const doc = await getJson<TotalsDocument>(p, `/v1/totals${totalsQuery(params, by)}`);
  if (doc) {
    table(id, [heading, 'currency', 'count', 'amount'], breakdownRows(doc), [2, 3]);
  }
}

// Pledges by call to action, as the live total counts them (the donation's own `cta`; none: "(none)"): which of the night's
// QR codes, numbers and links is bringing gifts in. Until 2026-12-07 the page drew each CTA's window but gave no
// figures for it (a digital analyst's user test).
async function pollCtaTotals(): Promise<void> {
  await pollBreakdown(ctaTotalsPanel, 'cta', 'by-cta', 'CTA');
}

async function pollCampaigns(): Promise<void> {
  await pollBreakdown(campaignsPanel, 'campaign', 'by-campaign', 'campaign');
  // The lanes are drawn over the chart: ask for the windows within its span (and the page's campaign).
  const lanes = filterQuery(params);
  if (!lanes.has('from')) lanes.set('from', new Date(chartSpan()[0]).toISOString());
  const ctas = await getJson<{ ctas: typeof ctaWindows }>(ctasPanel, `/v1/ops/ctas?${lanes.toString()}`);
  if (ctas) {
    ctaWindows = ctas.ctas.slice(0, 6);
    if (alreadyShown('ctas', ctaWindows)) return;
    const legend = $('ctas');
    legend.replaceChildren(
      ...ctaWindows.map((w, i) => {
        const span = document.createElement('span');
        const swatch = document.createElement('i');
        swatch.style.background = CTA_COLOURS[i % CTA_COLOURS.length]!;
        span.append(swatch, `${w.cta ?? NO_KEY} ${ctaSpan(w.from, w.to)}`);
        span.title = span.textContent ?? '';
        return span;
      }),
    );
    plot?.redraw(false);
  }
}

/** A source's line (puddles/http/connector-health.ts): a connector's syncs, a provider's webhooks, or both. */
interface Source {
  source: string;
  runs?: number;
  last_run_started_at?: string | null;
  last_run_ended_at?: string | null;
  last_outcome?: string | null;
  failing_streams?: string[];
  lag_seconds?: number | null;
  last_webhook_at?: string;
}

/** The hub's health, as /healthz says it (infra/local/hub.ts). */
interface Health {
  accepting: boolean;
  /** `fix`: what to do, in the hub's words (core/repeated-failure.ts, writeFix), for a reason that names a cause. */
  queue: { committing: boolean; reason?: string; since?: string; fix?: string };
  /** `lingering`: raw's deliveries left in the queue on purpose, for a fuller file (PUDDLE_RAW_LINGER_SECONDS): not waiting to land yet. */
  landing: { failing?: Record<string, { reason: string; since?: string; fix?: string }>; lingering?: number };
  /** Whether the live totals are rebuilt from the lake; `failing_since` while the rebuild fails (it is retried). */
  totals?: { ready: boolean; failing_since?: string; check_failing_since?: string };
}

interface Status {
  health: Health | null;
  sources: Source[];
  queue: Record<string, number>;
  /** `null` when the lake could not be read for it (`problems.quarantine` says why). */
  quarantine: number | null;
  /** The lake reads that failed (`sync_runs`, `quarantine`), each with what to do; the rest still answered. */
  problems?: Record<string, string>;
  /** When each lake read that answered was made (`sync_runs`, `quarantine`): the hub reuses them; the rest is fresh. */
  computed_at?: Record<string, string>;
  totals: {
    ready: boolean;
    drift: { ok: boolean; checked_at: string; against: string; differences: unknown[] } | null;
    /** While the checks fail (a damaged lake file the view reads): since when, how often, and what to do when known. */
    check_failing?: { since: string; failures: number; message: string | null } | null;
  };
}

async function pollStatus(): Promise<void> {
  const s = await getJson<Status>(statusPanel, '/v1/ops/status');
  if (!s) return;
  // As the live line counts it: raw's lingering deliveries are in the queue on purpose, not behind.
  const queued = Object.values(s.queue).reduce((a, b) => a + b, 0);
  waitingToLand = Math.max(0, queued - (s.health?.landing.lingering ?? 0));
  setText($('queue'), formatCount(waitingToLand));
  showLandedAge();
  showHealth(s.health);
  showQuarantine(s.quarantine, s.problems ?? {});
  // The two counts read from the lake are reused (as the journey's): each says how old it is where it is shown.
  answerAge('quarantine-age', s.computed_at?.quarantine);
  answerAge('sources-age', s.computed_at?.sync_runs, 'sync runs ');
  const drift = s.totals.drift;
  const d = $('drift');
  const detail = $('drift-detail');
  detail.className = '';
  const rebuilt = s.health?.totals ?? { ready: s.totals.ready };
  if (!rebuilt.ready) {
    // Nothing to check, and no total on the TV: say why and since when, not "not checked yet".
    const failing = rebuilt.failing_since;
    d.className = `big ${failing ? 'bad' : 'muted'}`;
    setText(d, failing ? 'not rebuilt' : 'rebuilding');
    detail.className = failing ? 'bad' : '';
    setText(detail, failing
      ? `live totals NOT REBUILT from the lake, failing since ${since(failing)}; retrying: the hub's log says why`
      : 'live totals being rebuilt from the lake');
  } else if (s.totals.check_failing) {
    // The check cannot run: the last good result is old news, and a damaged file would leave the TV with no total
    // at the next restart (until 2026-12-06 this card went on saying "agrees").
    const failing = s.totals.check_failing;
    d.className = 'big bad';
    setText(d, 'check failing');
    detail.className = 'bad';
    const last = drift ? `; the last check that ran ${drift.ok ? 'agreed' : 'differed'}, ${ago(drift.checked_at)}` : '';
    setText(detail, `the check against SQL fails since ${since(failing.since)} (${failing.failures} ${failing.failures === 1 ? 'try' : 'tries'}): ${failing.message ?? "the hub's log says why"}${last}`);
  } else {
    d.className = `big ${drift ? (drift.ok ? 'good' : 'bad') : 'muted'}`;
    setText(d, drift ? (drift.ok ? 'agrees' : `${drift.differences.length} boxes differ`) : 'not checked yet');
    setText(detail, drift ? `live vs SQL ${drift.against}, ${ago(drift.checked_at)}` : 'live vs SQL, every minute');
  }
  table('sources', ['source', 'sync runs', 'last sync run', 'outcome', 'lag', 'last webhook'],
    s.sources.map((r) => [cell(r.source), cell(r.runs, 'num'), cell(r.last_run_started_at ? ago(r.last_run_ended_at ?? r.last_run_started_at) : null), outcomeCell(r), cell(typeof r.lag_seconds === 'number' ? duration(r.lag_seconds) : null, 'num'), cell(r.last_webhook_at ? ago(r.last_webhook_at) : null)]), [1, 4]);
}

/** The open quarantine count; when the lake could not be read for it (or for the sources' runs), why, in red. */
function showQuarantine(n: number | null, problems: Record<string, string>): void {
  const q = $('quarantine');
  setText(q, n === null ? 'unknown' : formatCount(n));
  q.className = n === null ? 'big bad' : 'big';
  const said = Object.values(problems);
  const detail = $('quarantine-detail');
  setText(detail, said.length ? `not read from the lake: ${said.join('; ')}` : 'records held with reasons');
  detail.className = said.length ? 'bad' : '';
}

/** When a failure began, UTC: its time today (`20:40:31Z`), with its date on another day, and how long ago. */
function since(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const time = `${at.toISOString().slice(11, 19)}Z`;
  const day = at.toISOString().slice(0, 10) === new Date().toISOString().slice(0, 10)
    ? '' : `${dayMonth(at.getTime())} `;
  return `${day}${time}, ${ago(iso)}`;
}

/**
 * Under the queue's depth: what stops events being kept or landed (a full disk), in red, since when, whether the
 * events are kept, and what to do; else what the figure is. Until 2026-12-03 it said only `landing fails for raw
 * (not writable)`: not since when, nor that the events wait in the queue (the live line said so), nor the fix.
 */
function showHealth(h: Health | null): void {
  const why = (reason: string | undefined) => (reason ?? 'failed').replace('_', ' ');
  const when = (at: string | undefined) => (at ? ` since ${since(at)}` : '');
  // What to do is the hub's text (the log's `fix` too), so the page and the log never say it differently.
  const unknown = "the hub's log says why";
  const problems: string[] = [];
  if (h && !h.accepting) problems.push(`the queue cannot commit (${why(h.queue.reason)})${when(h.queue.since)}: events are refused (503), nothing of them kept; ${h.queue.fix ?? unknown}`);
  const failing = Object.entries(h?.landing.failing ?? {});
  if (failing.length) {
    const first = failing.map(([, f]) => f).sort((a, b) => String(a.since).localeCompare(String(b.since)))[0]!;
    problems.push(`landing fails for ${failing.map(([p]) => p).join(', ')} (${why(first.reason)})${when(first.since)}: ${first.fix ?? `the events wait in the queue and land once it works; ${unknown}`}`);
  }
  const el = $('queue-detail');
  setText(el, problems.length ? problems.join('; ') : 'messages waiting to land');
  el.className = problems.length ? 'bad' : '';
}

/** A connector with any stream failing reads as failing, naming those streams (the others may be fine). */
function outcomeCell(r: Source): CellData {
  const failing = r.failing_streams ?? [];
  return failing.length ? cell(`failed: ${failing.join(', ')}`, 'bad') : cell(r.last_outcome);
}

/** The lag: how old the connector's stalest data is, not how long ago a run ended. */
const duration = (s: number): string =>
  s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : s < 172_800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86_400)} days`;

/** How old a reused answer is (poll-freshness.ts), beside its figures; `what` names them when they are not all of the panel's. */
const answerAge = (id: string, computedAt: unknown, what = ''): void => {
  const said = asOf(computedAt, Date.now());
  setText($(id), said ? `${what}${said}` : '');
};

interface Journey {
  computed_at?: string;
  available: boolean;
  funnel: string[];
  /** The clicks landed; null when the lake has no `click` view yet. */
  clicks?: number | null;
  /** Of those, the clicks a pledge names (two pledges from one click are one). */
  clicks_pledged?: number | null;
  /** Per stage, currency and whether the status counts as pledged money (as the live total counts it). */
  stages: { stage: string; pledged?: boolean; currency: string; count: number; from_click?: number; amount_minor: number }[];
}

/** The journey's stages each funnel step counts, of the pledges: a refunded or disputed gift was paid first. */
const REACHED: Record<string, readonly string[]> = {
  paid: ['paid', 'paid_out', 'banked', 'refunded', 'disputed'],
  paid_out: ['paid_out', 'banked'],
  banked: ['banked'],
};

async function pollJourney(): Promise<void> {
  const j = await getJson<Journey>(journeyPanel, '/v1/ops/journey');
  // No answer is not "no journey view": the panel keeps its figures, and its note says they are not current.
  if (!j) return;
  const el = $('funnel');
  answerAge('journey-age', j.computed_at);
  if (alreadyShown('funnel', [j.available, j.funnel, j.clicks, j.clicks_pledged, j.stages])) return;
  if (!j.available) {
    el.textContent = 'the journey view (recon_journey) is not on this lake yet';
    el.className = 'funnel muted';
    return;
  }
  el.className = 'funnel';
  // The pledges are what the live total counts (the Pledged card, all campaigns); the steps after them count the
  // pledges that got that far. Until 2026-12-07 the first step counted donations as "clicked" and a pledge whose card
  // was declined, or refunded, was in no bar (a digital analyst's user test).
  const pledges = j.stages.filter((r) => r.pledged !== false);
  const sum = (rows: Journey['stages'], key: 'count' | 'from_click' = 'count') => rows.reduce((a, r) => a + (r[key] ?? 0), 0);
  const reached = j.funnel.map((step) =>
    step === 'clicks' ? (j.clicks ?? null) : step === 'pledged' ? sum(pledges) : sum(pledges.filter((r) => REACHED[step]?.includes(r.stage))),
  );
  const top = Math.max(1, ...reached.map((n) => n ?? 0));
  const rows = j.funnel.map((step, i) => {
    const n = reached[i] ?? null;
    const row = document.createElement('div');
    row.className = 'row';
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.style.width = `${(100 * (n ?? 0)) / top}%`;
    const label = document.createElement('span');
    label.textContent = step.replace('_', ' ');
    const figure = document.createElement('span');
    figure.textContent = n === null ? '—' : formatCount(n);
    figure.style.textAlign = 'right';
    row.append(label, bar, figure);
    return row;
  });
  const of = (stage: string, rows: Journey['stages']) => sum(rows.filter((r) => r.stage === stage));
  const notPledged = j.stages.filter((r) => r.pledged === false);
  const fromClick = sum(pledges, 'from_click');
  const off = [
    j.clicks ? `${formatCount(fromClick)} of the pledges came from a click; ${formatCount(j.clicks_pledged ?? 0)} of the ${formatCount(j.clicks)} clicks led to one (${Math.round((100 * (j.clicks_pledged ?? 0)) / j.clicks)}%)` : '',
    ...[['failed', 'card refused, still pledged'], ['refunded', 'refunded'], ['disputed', 'disputed']].map(([st, what]) => (of(st!, pledges) ? `${what} ${formatCount(of(st!, pledges))}` : '')),
    ...[['clicked', 'forms abandoned'], ['cancelled', 'cancelled'], ['failed', 'failed']].map(([st, what]) => (of(st!, notPledged) ? `${what} ${formatCount(of(st!, notPledged))}` : '')),
  ].filter(Boolean);
  const note = document.createElement('p');
  note.className = 'muted';
  note.textContent = off.join(' · ');
  el.replaceChildren(...rows, note);
}

interface Breaks {
  computed_at?: string;
  available: boolean;
  by_type: { break_type: string; currency: string | null; count: number; amount_minor: number | null }[];
  newest: Record<string, Cell>[];
}

const money = (minor: Cell, currency: Cell) => (typeof minor === 'number' && typeof currency === 'string' ? formatMoney(minor, currency) : null);

async function pollBreaks(): Promise<void> {
  const b = await getJson<Breaks>(breaksPanel, '/v1/ops/breaks');
  if (!b) return;
  answerAge('breaks-age', b.computed_at);
  if (!b.available) {
    table('breaks-by-type', ['the break view (recon_breaks) is not on this lake yet'], []);
    table('breaks', ['—'], []);
    return;
  }
  // A break's type and an object's kind are names from the views, not free text: never broken mid-word, wrapped
  // after an underscore (ops-table.ts setName), so the amounts beside them stay whole in a laptop's card.
  table('breaks-by-type', ['type', 'currency', 'count', 'at stake'], b.by_type.map((r) => [cell(r.break_type, 'name'), cell(r.currency), cell(formatCount(r.count), 'num'), cell(money(r.amount_minor, r.currency), 'num')]), [2, 3]);
  table('breaks', ['type', 'object', 'id', 'amount', 'age (days)', 'reason'],
    b.newest.map((r) => [cell(r.break_type, 'name'), cell(r.object_kind, 'name'), cell(r.object_id), cell(money(r.amount_minor, r.currency), 'num'), cell(r.age_days, 'num'), cell(r.reason)]), [3, 4]);
}

const scope = params.get('campaign') ?? 'all campaigns';
const scopeLabel = `${scope}, ${windowLabel(askedWindow)}`;
$('scope').textContent = scopeLabel;
// `?campaign=`, `?from=` and `?to=` narrow the totals, not the journey and the breaks, which read every donation:
// said beside them when the page is narrowed (until 2026-12-05 nothing said so: user test).
if (params.has('campaign') || params.has('from') || params.has('to')) {
  for (const id of ['journey-scope', 'breaks-scope']) $(id).textContent = '(all campaigns, all time)';
}
/** What a screen reader is told when the link turns to a state (the first 'live', as the page opens, is not said). */
const LINK_SAYS: Record<LinkState, string> = {
  live: 'live again, the figures are current.',
  behind: 'BEHIND, donations the hub accepted are not counted yet.',
  polling: 'read every 2 seconds instead of streamed (this page\'s key holds all the streams it may).',
  reconnecting: 'reconnecting, the hub is not answering: the figures may not be current.',
  refused: 'refused,',
};
const announceLink = onLinkChange((state, why) => announce('Live totals', state === 'refused' ? `${LINK_SAYS.refused} ${why ?? 'the hub refused this page'}.` : LINK_SAYS[state]));
followTotals(totalsQuery(params, 'channel'), showTotals, (state, why) => {
  setText($('scope'), state === 'refused' && why ? `${scope}, ${refusedLabel(why)}` : scopeLabel);
  setText($('state'), why ?? state);
  document.body.dataset.link = state;
  document.title = titleFor('Puddle operations', state);
  // Transitions only: a document (up to 4 a second) says 'live' again, and must not be heard each time.
  announceLink(state, why);
});
setInterval(showLandedAge, 1000);
// Each panel polls on its own, a request at a time: one slow or hanging answer neither holds the others back
// nor piles up requests behind it (until 2026-12-03 all four were asked together every 3 s, answered or not).
const every = (task: () => Promise<void>) => {
  const run = () => void (pausedAt === undefined ? task() : Promise.resolve()).finally(() => setTimeout(run, POLL_MS));
  run();
};
every(pollCampaigns);
every(pollCtaTotals);
every(pollStatus);
every(pollJourney);
every(pollBreaks);
setInterval(showPollNotes, 1000);
// The chart's last 24 hours move on even when no document comes.
setInterval(() => pausedAt === undefined && lastDoc && drawChart(lastDoc), POLL_MS);

keepPassFresh();
