import { TERMINAL_STATUSES, type JobStatus } from '../../../../libs/contracts/src/job-record.js';
import type { FinishedInMinute, TerminalStatus } from '../../../../libs/contracts/src/jobs-summary.js';
import { STATUS_LABELS } from '../format.js';

const WIDTH = 600;
const HEIGHT = 120;

const countOf = (minute: FinishedInMinute, status: JobStatus): number => minute[status as TerminalStatus];

/**
 * Jobs finished per minute over the last hour, stacked by how they ended: plain SVG, since one small bar chart
 * does not warrant a charting library's weight in the bundle.
 */
export function LoadChart({ minutes }: { minutes: FinishedInMinute[] }) {
  const totals = minutes.map((minute) => TERMINAL_STATUSES.reduce((sum, status) => sum + countOf(minute, status), 0));
  const highest = Math.max(1, ...totals);
  const barWidth = WIDTH / Math.max(1, minutes.length);
  const byStatus = TERMINAL_STATUSES.map((status) => `${minutes.reduce((sum, minute) => sum + countOf(minute, status), 0)} ${STATUS_LABELS[status].toLowerCase()}`);
  const total = totals.reduce((sum, value) => sum + value, 0);
  const summary = `${total} jobs finished in the last hour: ${byStatus.join(', ')}; at most ${Math.max(0, ...totals)} in one minute.`;
  return (
    <figure class="load-chart">
      <figcaption>Jobs finished per minute, last hour</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary} preserveAspectRatio="none">
        {minutes.map((minute, index) => {
          let top = HEIGHT;
          return (
            <g key={minute.minute}>
              <title>{`${new Date(minute.minute).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}: ${totals[index]} finished`}</title>
              {TERMINAL_STATUSES.map((status) => {
                const count = countOf(minute, status);
                if (count === 0) return null;
                const height = (count / highest) * (HEIGHT - 4);
                top -= height;
                return <rect key={status} class={`bar bar-${status}`} x={index * barWidth + 0.5} y={top} width={Math.max(1, barWidth - 1)} height={height} />;
              })}
            </g>
          );
        })}
        <line class="axis" x1="0" y1={HEIGHT} x2={WIDTH} y2={HEIGHT} />
      </svg>
      <div class="axis-labels" aria-hidden="true">
        <span>60 min ago</span>
        <span>now</span>
      </div>
      <ul class="legend">
        {TERMINAL_STATUSES.map((status, index) => (
          <li key={status}>
            <span class={`swatch bar-${status}`} aria-hidden="true" />
            {byStatus[index]}
          </li>
        ))}
      </ul>
    </figure>
  );
}
