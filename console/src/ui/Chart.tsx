import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { number } from "../lib/format";

/**
 * A daily bar chart (uPlot: small, fast, canvas). The numbers are also given as a table by the
 * caller, for screen readers and for copying.
 */
export function DailyChart(props: { label: string; unit: string; times: number[]; values: number[]; color: string; formatDay: (s: number) => string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(260, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 220,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [
          { values: (_u, ticks) => ticks.map(props.formatDay), stroke: "#333", grid: { stroke: "#e3e3e3" } },
          { label: props.unit, stroke: "#333", grid: { stroke: "#e3e3e3" }, size: 70, values: (_u, ticks) => ticks.map((v) => number(v, 3)) },
        ],
        series: [{}, { label: props.label, fill: props.color, stroke: props.color, paths: uPlot.paths.bars!({ size: [0.7, 40] }), points: { show: false } }],
      },
      [props.times, props.values],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.times, props.values]);
  return <div ref={box} class="chart" role="img" aria-label={props.label} />;
}
