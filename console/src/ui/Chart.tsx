import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { byteUnit, tick } from "../lib/format";

/** Axis steps: 1, 2 and 5 times powers of ten, so ticks never need more than one decimal. */
const STEPS = Array.from({ length: 16 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** (e - 1))).flat();

/**
 * A daily bar chart (uPlot: small, fast, canvas). `values` are bytes or counts; sizes are drawn in
 * the unit that suits the largest day, and each tick names its unit, so the axis needs no title
 * (the figure's heading says what is drawn). The numbers are also given as a table by the caller,
 * for screen readers and for copying.
 */
export function DailyChart(props: { label: string; kind: "bytes" | "count"; times: number[]; values: number[]; color: string; formatDay: (s: number) => string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current!;
    const { div, unit } = props.kind === "bytes" ? byteUnit(Math.max(0, ...props.values)) : { div: 1, unit: "" };
    const data = props.values.map((v) => v / div);
    const incrs = props.kind === "bytes" && div > 1 ? STEPS : STEPS.filter((s) => s >= 1);
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
          { stroke: "#333", grid: { stroke: "#e3e3e3" }, size: 72, incrs, values: (_u, ticks) => ticks.map((v) => (unit ? `${tick(v)} ${unit}` : tick(v))) },
        ],
        series: [{}, { label: props.label, fill: props.color, stroke: props.color, paths: uPlot.paths.bars!({ size: [0.7, 40] }), points: { show: false } }],
      },
      [props.times, data],
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
