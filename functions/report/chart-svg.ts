import { SERIES, type Series, type WeeklyReport } from './model.js';

// The week as a picture: one panel per series (findings, reverts, exempted), a stacked bar per day
// and rule, days read from the audit log shaded and labelled. Plain SVG, made here: three panels of
// stacked bars are a few rectangles and labels, where a charting library (vega, ~10 MB of modules)
// would cost the report function's start and still guess text widths without a canvas.

export const CHART = { width: 1200, height: 620 } as const;
/** The font the PNG embeds (report/png.ts loads it): the SVG names it, the rasteriser finds it. */
export const FONT_FAMILY = 'Inter';

const TITLES: Record<Series, string> = { findings: 'Findings', reverts: 'Reverted', exempt: 'Exempted' };
// Tableau 10: distinct, colour-blind friendlier than the default rainbow, readable on white.
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
const OTHER = 'other rules';
const MAX_RULES = PALETTE.length - 1;

export function ruleColors(rules: readonly string[]): Map<string, string> {
  const shown = rules.length > PALETTE.length ? [...rules.slice(0, MAX_RULES), OTHER] : rules;
  return new Map(shown.map((r, i) => [r, PALETTE[i]!]));
}

export function chartSvg(report: WeeklyReport): string {
  const { width, height } = CHART;
  const colors = ruleColors(report.rules);
  const legendRules = [...colors.keys()];
  const ruleOf = (r: string) => (colors.has(r) ? r : OTHER);
  const top = 92;
  const legendRows = Math.ceil(legendRules.length / 3);
  const bottom = height - 46 - legendRows * 22;
  const gap = 36;
  const left = 48;
  const panelW = (width - left - 24 - gap * (SERIES.length - 1)) / SERIES.length;
  const fromLog = report.days.filter((d) => d.source === 'log').length;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"` +
      ` font-family="${FONT_FAMILY}" font-size="13" fill="#1f2328">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<defs><pattern id="log" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
      `<rect width="8" height="8" fill="#f3f4f6"/>` +
      `<line x1="0" y1="0" x2="0" y2="8" stroke="#e1e4e8" stroke-width="3"/>` +
      `</pattern></defs>`,
    text(left, 36, `runguard — the week of ${range(report)}`, { size: 22, weight: 700 }),
    text(
      left,
      62,
      `${report.totals.findings} findings · ${report.totals.reverts} reverted · ${report.totals.exempt} exempted · ` +
        `${report.fights.length} fight(s) on · ${report.expiring.length} exemption(s) expiring in 7 days`,
      { size: 14, fill: '#57606a' },
    ),
  );

  SERIES.forEach((series, i) => {
    const x0 = left + i * (panelW + gap);
    const perDay = report.days.map((d) => {
      const byRule = new Map<string, number>();
      for (const [rule, n] of Object.entries(d.counts[series]))
        byRule.set(ruleOf(rule), (byRule.get(ruleOf(rule)) ?? 0) + n);
      return byRule;
    });
    const max = Math.max(1, ...perDay.map((m) => [...m.values()].reduce((a, b) => a + b, 0)));
    const step = niceStep(max);
    const yMax = Math.ceil(max / step) * step;
    const y = (v: number) => bottom - ((bottom - top) * v) / yMax;
    const band = panelW / Math.max(1, report.days.length);
    const barW = Math.max(4, band * 0.62);
    out.push(text(x0, top - 10, TITLES[series], { size: 15, weight: 700 }));
    // Days from the audit log: shaded, so no one reads them as what runguard did.
    report.days.forEach((d, j) => {
      if (d.source !== 'store')
        out.push(
          `<rect x="${fmt(x0 + j * band)}" y="${top}" width="${fmt(band)}" height="${fmt(bottom - top)}"` +
            ` fill="${d.source === 'log' ? 'url(#log)' : '#f6f8fa'}"/>`,
        );
    });
    for (let v = 0; v <= yMax; v += step) {
      out.push(
        `<line x1="${fmt(x0)}" x2="${fmt(x0 + panelW)}" y1="${fmt(y(v))}" y2="${fmt(y(v))}"` +
          ` stroke="${v === 0 ? '#8c959f' : '#d0d7de'}" stroke-width="1"/>`,
        text(x0 - 6, y(v) + 4, String(v), { size: 11, fill: '#57606a', anchor: 'end' }),
      );
    }
    perDay.forEach((byRule, j) => {
      const cx = x0 + j * band + (band - barW) / 2;
      let acc = 0;
      for (const rule of legendRules) {
        const n = byRule.get(rule) ?? 0;
        if (n === 0) continue;
        out.push(
          `<rect x="${fmt(cx)}" y="${fmt(y(acc + n))}" width="${fmt(barW)}" height="${fmt(y(acc) - y(acc + n))}"` +
            ` fill="${colors.get(rule)}" stroke="#ffffff" stroke-width="0.5"/>`,
        );
        acc += n;
      }
      if (acc > 0) out.push(text(cx + barW / 2, y(acc) - 4, String(acc), { size: 11, anchor: 'middle' }));
      const d = report.days[j]!;
      out.push(
        text(cx + barW / 2, bottom + 16, weekday(d.start), { size: 11, anchor: 'middle', fill: '#57606a' }),
        text(cx + barW / 2, bottom + 30, d.date.slice(5), { size: 10, anchor: 'middle', fill: '#8c959f' }),
      );
    });
  });

  const legendTop = bottom + 50;
  const colW = (width - left * 2) / 3;
  legendRules.forEach((rule, i) => {
    const lx = left + (i % 3) * colW;
    const ly = legendTop + Math.floor(i / 3) * 22;
    out.push(
      `<rect x="${lx}" y="${ly - 11}" width="14" height="14" rx="2" fill="${colors.get(rule)}"/>`,
      text(lx + 20, ly, rule, { size: 13 }),
    );
  });
  if (legendRules.length === 0)
    out.push(text(left, legendTop, 'No findings this week.', { size: 13, fill: '#57606a' }));
  const noHistory = report.days.filter((d) => d.source === 'none').length;
  if (fromLog > 0 || noHistory > 0) {
    const note =
      fromLog > 0
        ? `hatched: ${fromLog} day(s) from the audit log, what runguard would have done`
        : `shaded: ${noHistory} day(s) before runguard kept history`;
    // Inter at 12 px averages under 6 px a character: the swatch sits left of the right-aligned note.
    const swatch = fromLog > 0 ? 'url(#log)' : '#f6f8fa';
    out.push(
      `<rect x="${fmt(width - 24 - note.length * 5.8 - 22)}" y="25" width="14" height="14" fill="${swatch}"` +
        ` stroke="#d0d7de"/>`,
      text(width - 24, 36, note, { size: 12, fill: '#57606a', anchor: 'end' }),
    );
  }
  out.push('</svg>');
  return out.join('\n');
}

function text(
  x: number,
  y: number,
  s: string,
  o: { size?: number; weight?: number; fill?: string; anchor?: 'start' | 'middle' | 'end' } = {},
): string {
  const attrs = [
    `x="${fmt(x)}"`,
    `y="${fmt(y)}"`,
    o.size ? `font-size="${o.size}"` : '',
    o.weight ? `font-weight="${o.weight}"` : '',
    o.fill ? `fill="${o.fill}"` : '',
    o.anchor && o.anchor !== 'start' ? `text-anchor="${o.anchor}"` : '',
  ].filter(Boolean);
  return `<text ${attrs.join(' ')}>${escapeXml(s)}</text>`;
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** 1, 2 or 5 times a power of ten, for about five grid lines. */
function niceStep(max: number): number {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const weekday = (t: number) => WEEKDAYS[new Date(t).getUTCDay()]!;

export function range(report: WeeklyReport): string {
  const a = new Date(report.since).toISOString().slice(0, 10);
  const b = new Date(report.until - 1).toISOString().slice(0, 10);
  return a === b ? a : `${a} → ${b}`;
}
