/**
 * docs/performance.svg: login flows per second of each contender, one small panel per cell (0 and
 * 30 ms per WeCom call × 1, 16 and 64 logins at once), each panel at its own scale so that who
 * leads is visible in every cell. Hand-written SVG, no dependency.
 */
import { fmt } from './stats.ts';
import { CONTENDERS, rateOf } from './results.ts';
import type { BenchResults, Kind } from './results.ts';

const COLORS: Record<Kind, string> = { floor: '#9e9e9e', lib: '#1565c0', passport: '#ef6c00', logto: '#7b1fa2' };
const FONT = 'font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, sans-serif"';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderChart(r: BenchResults): string {
  const { delays, concurrency } = r.params;
  const labelW = 200;
  const panelW = 240;
  const gap = 16;
  const barH = 16;
  const rowH = 22;
  const width = labelW + concurrency.length * (panelW + gap);
  const top = 78;
  const groupH = 44 + CONTENDERS.length * rowH + 12;
  const height = top + delays.length * groupH + 8;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="title desc">`,
  );
  parts.push(`<title id="title">Login flows per second: express-wecom-auth against the floor and its peers</title>`);
  parts.push(
    `<desc id="desc">Complete logins per second of each contender, measured by npm run bench on ${esc(r.machine.date)} UTC, at 0 and 30 ms per WeCom call and 1, 16 and 64 logins at once.</desc>`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(
    `<text x="12" y="26" ${FONT} font-size="17" font-weight="600" fill="#212121">Login flows per second (higher is better)</text>`,
  );
  parts.push(
    `<text x="12" y="46" ${FONT} font-size="12" fill="#616161">npm run bench · ${esc(r.machine.date)} UTC · ${r.machine.cpus} cores · Node ${esc(r.machine.node)} · express-wecom-auth with its defaults, ${r.params.employees} employees logging in in turn</text>`,
  );
  parts.push(
    `<text x="12" y="63" ${FONT} font-size="12" fill="#616161">Each panel at its own scale; × = against the floor, a hand-written minimal login</text>`,
  );
  delays.forEach((delay, row) => {
    const y0 = top + row * groupH;
    parts.push(
      `<text x="12" y="${y0 + 18}" ${FONT} font-size="14" font-weight="600" fill="#212121">${delay === 0 ? 'WeCom answering at once' : `${delay} ms per WeCom call`}</text>`,
    );
    CONTENDERS.forEach(({ kind, short }, i) => {
      const y = y0 + 44 + i * rowH;
      parts.push(
        `<text x="${labelW - 10}" y="${y + barH - 4}" ${FONT} font-size="12" text-anchor="end" fill="#424242"${kind === 'lib' ? ' font-weight="600"' : ''}>${esc(short)}</text>`,
      );
    });
    concurrency.forEach((c, col) => {
      const x0 = labelW + col * (panelW + gap);
      const rates = CONTENDERS.map(({ kind }) => rateOf(r, delay, c, kind).median);
      const max = Math.max(...rates.filter(Number.isFinite), 1);
      const barMax = panelW - 84;
      parts.push(`<text x="${x0}" y="${y0 + 36}" ${FONT} font-size="12" fill="#616161">${c} at once</text>`);
      parts.push(
        `<line x1="${x0}" y1="${y0 + 42}" x2="${x0}" y2="${y0 + 44 + CONTENDERS.length * rowH - 4}" stroke="#bdbdbd" stroke-width="1"/>`,
      );
      CONTENDERS.forEach(({ kind }, i) => {
        const rate = rates[i] ?? Number.NaN;
        const y = y0 + 44 + i * rowH;
        const w = Number.isFinite(rate) ? Math.max(1, (rate / max) * barMax) : 0;
        parts.push(
          `<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[kind]}"><title>${esc(`${kind}: ${fmt(rate, 0)} flows/s`)}</title></rect>`,
        );
        const floor = rates[0] ?? Number.NaN;
        const label = kind === 'floor' ? fmt(rate, 0) : `${fmt(rate, 0)} · ${(rate / floor).toFixed(2)}×`;
        parts.push(`<text x="${(x0 + w + 4).toFixed(1)}" y="${y + barH - 4}" ${FONT} font-size="11" fill="#424242">${esc(label)}</text>`);
      });
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
