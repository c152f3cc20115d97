import { chartSvg, escapeXml as esc, range } from './chart-svg.js';
import type { Ranked, Recommendation, WeeklyReport } from './model.js';

// The weekly report as one self-contained HTML file (the chart inline as SVG: no image file, no
// network): for `runguard report --out report.html`, to keep or to mail.

export function reportHtml(report: WeeklyReport): string {
  const t = report.totals;
  const fromLog = report.days.filter((d) => d.source === 'log').map((d) => d.date);
  const section = (title: string, body: string) => `<section><h2>${esc(title)}</h2>${body}</section>`;
  const table = (head: string[], rows: string[][]) =>
    rows.length === 0
      ? '<p class="none">none</p>'
      : `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
          .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`;
  const ranked = (rows: readonly Ranked[]) =>
    table(
      ['', 'findings', 'reverted'],
      rows.map((r) => [r.name, String(r.findings), String(r.reverts)]),
    );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>runguard weekly ${esc(range(report))}</title>
<style>
body{font-family:Inter,system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;
  margin:2rem auto;max-width:1240px;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.9rem}
td,th{border-bottom:1px solid #d0d7de;padding:.3rem .8rem;text-align:left}
code,pre{background:#f6f8fa;padding:.1rem .3rem;border-radius:4px}
.none{color:#57606a}.note{color:#57606a;font-size:.9rem}
svg{max-width:100%;height:auto}
</style></head><body>
<h1>runguard weekly: ${esc(range(report))}</h1>
<p>${t.findings} findings · ${t.reverts} reverted · ${t.exempt} exempted · ${t.alerted} alerted only ·
 ${t.failed} failed · ${report.fights.length} fight(s) on</p>
${fromLog.length ? `<p class="note">${logNote(fromLog)}</p>` : ''}
${chartSvg(report)}
${section('Top actors', ranked(report.topActors))}
${section('Top projects', ranked(report.topProjects))}
${section(
  'Exemptions expiring in the coming week',
  table(
    ['expires', 'rule', 'resource', 'approved by', 'for', 'reason'],
    report.expiring.map((e) => [e.expires, e.rule, e.resource, e.approvedBy, e.requester, e.reason]),
  ),
)}
${section(
  'Fights (runguard stopped reverting: something keeps putting the setting back)',
  table(
    ['rule', 'resource', 'against', 'reverts', 'since', 'until'],
    report.fights.map((f) => [
      f.rule,
      f.resource,
      f.actor,
      String(f.reverts),
      new Date(f.since).toISOString(),
      new Date(f.until).toISOString(),
    ]),
  ),
)}
${report.recommendations?.length ? section('Recommended guardrails', recommendations(report.recommendations)) : ''}
</body></html>
`;
}

function logNote(days: string[]): string {
  return (
    `Hatched days (${esc(days.join(', '))}) come from the Admin Activity log: what runguard would have done; ` +
    'the others from its history: what it did.'
  );
}

function recommendations(recs: readonly Recommendation[]): string {
  return recs
    .map(
      (r) =>
        `<h3>${esc(r.title)}</h3><p>${esc(r.evidence)}</p>` +
        (r.command ? `<pre><code>${esc(r.command)}</code></pre>` : ''),
    )
    .join('\n');
}
