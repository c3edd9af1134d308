// Charts drawn as plain SVG: no chart library, nothing fetched from elsewhere.

export interface Series { name: string; color: string; values: (number | null)[] }

const Width = 640, Height = 220, Left = 44, Bottom = 28, Top = 12, Right = 12;

function niceMax(max: number): number {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  return Math.ceil(max / step) * step;
}

function formatValue(v: number): string {
  return Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function Axes({ labels, max }: { labels: string[]; max: number }) {
  const plotH = Height - Top - Bottom;
  const every = Math.max(1, Math.ceil(labels.length / 8));
  const slot = (Width - Left - Right) / Math.max(1, labels.length);
  return (
    <g class="axes">
      {[0, 0.5, 1].map(f => {
        const y = Top + plotH * (1 - f);
        return (
          <g key={f}>
            <line x1={Left} x2={Width - Right} y1={y} y2={y} stroke="#e5e7eb" />
            <text x={Left - 6} y={y + 4} text-anchor="end" font-size="11" fill="#6b7280">{formatValue(max * f)}</text>
          </g>
        );
      })}
      {labels.map((l, i) => i % every === 0 && (
        <text key={i} x={Left + slot * (i + 0.5)} y={Height - 8} text-anchor="middle" font-size="11" fill="#6b7280">{l}</text>
      ))}
    </g>
  );
}

/** Grouped bars, one group per bucket. */
export function BarChart({ title, labels, series }: { title: string; labels: string[]; series: Series[] }) {
  const max = niceMax(Math.max(0, ...series.flatMap(s => s.values.map(v => v ?? 0))));
  const plotH = Height - Top - Bottom;
  const slot = (Width - Left - Right) / Math.max(1, labels.length);
  const bar = Math.max(1, (slot * 0.8) / series.length);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${Width} ${Height}`} role="img" aria-label={title}>
        <Axes labels={labels} max={max} />
        {series.map((s, si) => s.values.map((v, i) => {
          const h = ((v ?? 0) / max) * plotH;
          return (
            <rect key={`${si}-${i}`} x={Left + slot * i + slot * 0.1 + bar * si} y={Top + plotH - h} width={bar - 1} height={h} fill={s.color}>
              <title>{`${s.name} · ${labels[i]}: ${v ?? '—'}`}</title>
            </rect>
          );
        }))}
      </svg>
      <Legend series={series} />
    </figure>
  );
}

/** Lines over the buckets; a missing value breaks the line. */
export function LineChart({ title, labels, series, unit }: { title: string; labels: string[]; series: Series[]; unit?: string }) {
  const max = niceMax(Math.max(0, ...series.flatMap(s => s.values.map(v => v ?? 0))));
  const plotH = Height - Top - Bottom;
  const slot = (Width - Left - Right) / Math.max(1, labels.length);
  const x = (i: number) => Left + slot * (i + 0.5);
  const y = (v: number) => Top + plotH - (v / max) * plotH;
  return (
    <figure class="chart">
      <figcaption>{title}{unit ? ` (${unit})` : ''}</figcaption>
      <svg viewBox={`0 0 ${Width} ${Height}`} role="img" aria-label={title}>
        <Axes labels={labels} max={max} />
        {series.map(s => {
          const segments: string[] = [];
          let path = '';
          s.values.forEach((v, i) => {
            if (v === null) { if (path) segments.push(path); path = ''; return; }
            path += `${path ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
          });
          if (path) segments.push(path);
          return (
            <g key={s.name}>
              {segments.map((d, i) => <path key={i} d={d} fill="none" stroke={s.color} stroke-width="2" />)}
              {s.values.map((v, i) => v !== null && (
                <circle key={i} cx={x(i)} cy={y(v)} r="3" fill={s.color}><title>{`${s.name} · ${labels[i]}: ${formatValue(v)}`}</title></circle>
              ))}
            </g>
          );
        })}
      </svg>
      <Legend series={series} />
    </figure>
  );
}

function Legend({ series }: { series: Series[] }) {
  return (
    <div class="legend">
      {series.map(s => <span key={s.name}><i style={{ background: s.color }} />{s.name}</span>)}
    </div>
  );
}
