// ISO 4217 minor-unit exponents other than 2 (the default for every other code), the one table the hub
// (core/money.ts) and the web pages (web/src/money.ts, bundled by vite) both read. It imports nothing, so the
// browser bundle takes it without the rest of core/.
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = Object.freeze({
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0,
  XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
});
