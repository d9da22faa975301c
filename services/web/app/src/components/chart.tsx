import { useEffect, useRef, useState } from 'react';

const H = 150;
const LEFT = 62;
const RIGHT = 10;
const TOP = 10;
const BOTTOM = 22;

export interface Series {
  t: number[];
  v: number[];
}

/** A small line chart: value over seconds since the first sample, optional dashed limit line. */
export function LineChart({
  series,
  limit,
  format,
  label,
  className,
}: {
  series: Series;
  limit: number | null;
  format: (value: number) => string;
  label: string;
  className: string;
}) {
  // Drawn at the container's real width so labels keep their size on a phone.
  const box = useRef<HTMLDivElement>(null);
  const [W, setW] = useState(560);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setW(Math.max(200, Math.round(el.clientWidth))));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const t0 = series.t[0] ?? 0;
  const tMax = Math.max(1, (series.t[series.t.length - 1] ?? t0) - t0);
  const peak = series.v.reduce((max, v) => Math.max(max, v), 0);
  const yMax = Math.max(peak, limit ?? 0, 1) * 1.1;
  const x = (t: number) => LEFT + ((t - t0) / tMax) * (W - LEFT - RIGHT);
  const y = (v: number) => TOP + (1 - v / yMax) * (H - TOP - BOTTOM);
  const points = series.t.map((t, i) => `${x(t).toFixed(1)},${y(series.v[i]!).toFixed(1)}`);
  const line =
    points.length === 1
      ? `M${LEFT},${points[0]!.split(',')[1]} L${W - RIGHT},${points[0]!.split(',')[1]}`
      : `M${points.join(' L')}`;
  const area =
    points.length > 1 ? `${line} L${x(series.t[series.t.length - 1]!)},${y(0)} L${LEFT},${y(0)} Z` : '';
  const ticks = [0, 0.5, 1].map((f) => yMax * f);
  return (
    <div ref={box} className="chart-box">
      <svg
        className={`chart ${className}`}
        width={W}
        height={H}
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={label}
      >
        {ticks.map((tick) => (
          <g key={tick}>
            <line className="grid" x1={LEFT} x2={W - RIGHT} y1={y(tick)} y2={y(tick)} />
            <text className="axis" x={LEFT - 6} y={y(tick) + 4} textAnchor="end">
              {format(tick)}
            </text>
          </g>
        ))}
        <text className="axis" x={LEFT} y={H - 6}>
          0s
        </text>
        <text className="axis" x={W - RIGHT} y={H - 6} textAnchor="end">
          {Math.round(tMax / 1_000)}s
        </text>
        {area && <path className="area" d={area} />}
        <path className="line" d={line} />
        {limit !== null && (
          <g className="limit">
            <line x1={LEFT} x2={W - RIGHT} y1={y(limit)} y2={y(limit)} />
            <text x={W - RIGHT - 4} y={y(limit) - 4} textAnchor="end">
              limit {format(limit)}
            </text>
          </g>
        )}
      </svg>
    </div>
  );
}
