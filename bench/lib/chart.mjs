// The results chart: on the left, horizontal bars in sections (each with its own scale, a red target
// line per row where a target exists, a black whisker for the row's 95 % interval; green when the
// target is met, orange when missed, grey when there is none or when the interval is too wide to
// call it); on the right, latency-versus-distance curves (p50 per workload, edgefile solid, the
// baseline dashed) from the global-latency model.
import { Canvas } from "./png.mjs";

const INK = [30, 30, 30];
const GRID = [225, 225, 225];
const COLORS = { met: [60, 160, 90], missed: [235, 140, 40], none: [150, 150, 160], unsure: [190, 190, 200], target: [210, 30, 30] };
const SERIES = [
  [31, 119, 180],
  [214, 39, 40],
  [44, 160, 44],
  [148, 103, 189],
  [255, 127, 14],
  [23, 190, 207],
];
const BARS_W = 1000;
const LABEL_W = 330;
const BAR_X = LABEL_W + 20;
const BAR_W = BARS_W - BAR_X - 110;
const ROW_H = 30;
const CURVES_W = 820;

/**
 * sections: [{ title, unit, rows: [{ label, value, lo, hi, target, lowerIsBetter, unsure }] }];
 * curves: null or { title, xLabel, yLabel, xs: [distance…], series: [{ label, ys, dashed, color }] }.
 * A row is met when value ≥ target (or ≤ target when lowerIsBetter); `unsure` rows are drawn pale.
 */
export function chart(title, sections, curves) {
  const barsH = 85 + sections.reduce((h, s) => h + 70 + s.rows.length * ROW_H, 0) + 20;
  const width = BARS_W + (curves ? CURVES_W : 0);
  const height = Math.max(barsH, curves ? 95 + 40 + 400 + 45 + Math.ceil(curves.series.length / 2) * 16 + 20 : 0);
  const c = new Canvas(width, height);
  c.text(20, 20, title, INK, 3);
  let x0 = 20;
  for (const [name, color] of [["target met", COLORS.met], ["target missed", COLORS.missed], ["no target", COLORS.none], ["interval too wide", COLORS.unsure], ["target", COLORS.target], ["95% interval", INK]]) {
    if (name === "target") c.rect(x0 + 5, 52, 3, 20, color);
    else if (name === "95% interval") c.rect(x0, 61, 14, 2, color);
    else c.rect(x0, 56, 14, 12, color);
    x0 += 30 + c.text(x0 + 20, 56, name, INK, 2);
  }
  bars(c, 95, sections);
  if (curves) lines(c, BARS_W + 20, 95, CURVES_W - 50, 490, curves);
  return c.png();
}

function bars(c, y, sections) {
  for (const s of sections) {
    c.text(20, y, s.title, INK, 2);
    y += 30;
    const finite = s.rows.flatMap((r) => [r.value, r.target, r.hi]).filter(Number.isFinite);
    const max = niceMax(Math.max(...finite, s.minScale ?? 0));
    const x = (v) => BAR_X + (Math.min(Math.max(v, 0), max) / max) * BAR_W;
    for (let t = 0; t <= 4; t++) {
      const v = (max * t) / 4;
      c.rect(x(v), y, 1, s.rows.length * ROW_H, GRID);
      c.text(x(v) - 10, y + s.rows.length * ROW_H + 4, fmt(v), INK, 1);
    }
    for (const r of s.rows) {
      const met = r.lowerIsBetter ? r.value <= r.target : r.value >= r.target;
      const state = !Number.isFinite(r.target) ? "none" : r.unsure ? "unsure" : met ? "met" : "missed";
      c.text(20, y + 8, r.label.slice(0, 27), INK, 2);
      if (Number.isFinite(r.value)) c.rect(BAR_X, y + 5, Math.max(1, x(r.value) - BAR_X), ROW_H - 10, COLORS[state]);
      if (Number.isFinite(r.target)) c.rect(x(r.target) - 1, y + 1, 3, ROW_H - 2, COLORS.target);
      if (Number.isFinite(r.lo) && Number.isFinite(r.hi)) {
        c.rect(x(r.lo), y + ROW_H / 2 - 1, Math.max(1, x(r.hi) - x(r.lo)), 2, INK);
        c.rect(x(r.lo), y + 9, 2, ROW_H - 18, INK);
        c.rect(x(r.hi) - 1, y + 9, 2, ROW_H - 18, INK);
      }
      const label = Number.isFinite(r.value) ? fmt(r.value) + (s.unit ?? "") : "N/A";
      // Right of the bar (and its whisker), or right of the target line when the label would cross it.
      let lx = Math.max(Number.isFinite(r.value) ? x(r.value) : BAR_X, Number.isFinite(r.hi) ? x(r.hi) : 0) + 6;
      if (Number.isFinite(r.target) && lx < x(r.target) + 4 && lx + Canvas.textWidth(label) > x(r.target) - 4) lx = x(r.target) + 6;
      c.text(lx, y + 8, label, INK, 2);
      y += ROW_H;
    }
    y += 40;
  }
}

/** Curves on linear axes: one polyline per series, a legend below. */
function lines(c, x0, y0, w, h, { title, xLabel, yLabel, xs, series }) {
  c.text(x0, y0, title, INK, 2);
  const top = y0 + 40;
  const left = x0 + 50;
  const plotW = w - 60;
  const plotH = h - 90;
  const ymax = niceMax(Math.max(...series.flatMap((s) => s.ys).filter(Number.isFinite), 1));
  const xmax = Math.max(...xs, 1);
  const px = (v) => left + (v / xmax) * plotW;
  const py = (v) => top + plotH - (Math.min(v, ymax) / ymax) * plotH;
  for (let t = 0; t <= 4; t++) {
    const v = (ymax * t) / 4;
    c.rect(left, py(v), plotW, 1, GRID);
    c.text(x0, py(v) - 3, fmt(v), INK, 1);
  }
  for (const v of xs) {
    c.rect(px(v), top, 1, plotH, GRID);
    c.text(px(v) - 6, top + plotH + 6, String(v), INK, 1);
  }
  c.text(left + plotW / 2 - 60, top + plotH + 20, xLabel, INK, 1);
  c.text(x0, top - 14, yLabel, INK, 1);
  series.forEach((s, i) => {
    const color = s.color ?? SERIES[i % SERIES.length];
    for (let k = 1; k < xs.length; k++) {
      if (!Number.isFinite(s.ys[k - 1]) || !Number.isFinite(s.ys[k])) continue;
      c.line(px(xs[k - 1]), py(s.ys[k - 1]), px(xs[k]), py(s.ys[k]), color, 2, s.dashed ? 6 : 0);
    }
    for (let k = 0; k < xs.length; k++) if (Number.isFinite(s.ys[k])) c.rect(px(xs[k]) - 3, py(s.ys[k]) - 3, 6, 6, color);
  });
  let ly = top + plotH + 45;
  series.forEach((s, i) => {
    const color = s.color ?? SERIES[i % SERIES.length];
    const col = i % 2;
    const lx = x0 + col * (w / 2);
    c.line(lx, ly + 5, lx + 30, ly + 5, color, 2, s.dashed ? 6 : 0);
    c.text(lx + 38, ly, s.label.slice(0, 28), INK, 1);
    if (col === 1) ly += 16;
  });
}

function niceMax(v) {
  const steps = [1, 1.2, 1.6, 2, 4, 6, 8, 10]; // a quarter of each is a round tick
  const mag = 10 ** Math.floor(Math.log10(v || 1));
  return (steps.find((s) => s * mag >= v) ?? 10) * mag;
}

const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
