// The results chart: horizontal bars in sections, each with its own scale, a red target line per
// row where a target exists, bars green when the target is met and orange when missed (grey: none).
import { Canvas } from "./png.mjs";

const INK = [30, 30, 30];
const GRID = [225, 225, 225];
const COLORS = { met: [60, 160, 90], missed: [235, 140, 40], none: [150, 150, 160], target: [210, 30, 30] };
const W = 1000;
const LABEL_W = 330;
const BAR_X = LABEL_W + 20;
const BAR_W = W - BAR_X - 90;
const ROW_H = 30;

/**
 * sections: [{ title, unit, rows: [{ label, value, target, lowerIsBetter }] }].
 * A row is met when value ≥ target (or ≤ target when lowerIsBetter).
 */
export function barChart(title, sections) {
  const height = 85 + sections.reduce((h, s) => h + 70 + s.rows.length * ROW_H, 0) + 20;
  const c = new Canvas(W, height);
  c.text(20, 20, title, INK, 3);
  let x0 = 20;
  for (const [name, color] of [["target met", COLORS.met], ["target missed", COLORS.missed], ["no target", COLORS.none], ["target", COLORS.target]]) {
    if (name === "target") c.rect(x0 + 5, 52, 3, 20, color);
    else c.rect(x0, 56, 14, 12, color);
    x0 += 40 + c.text(x0 + 20, 56, name, INK, 2);
  }
  let y = 95;
  for (const s of sections) {
    c.text(20, y, s.title, INK, 2);
    y += 30;
    const finite = s.rows.flatMap((r) => [r.value, r.target]).filter(Number.isFinite);
    const max = niceMax(Math.max(...finite, s.minScale ?? 0));
    const x = (v) => BAR_X + (Math.min(v, max) / max) * BAR_W;
    for (let t = 0; t <= 4; t++) {
      const v = (max * t) / 4;
      c.rect(x(v), y, 1, s.rows.length * ROW_H, GRID);
      c.text(x(v) - 10, y + s.rows.length * ROW_H + 4, fmt(v), INK, 1);
    }
    for (const r of s.rows) {
      const state = !Number.isFinite(r.target) ? "none" : (r.lowerIsBetter ? r.value <= r.target : r.value >= r.target) ? "met" : "missed";
      c.text(20, y + 8, r.label.slice(0, 27), INK, 2);
      if (Number.isFinite(r.value)) c.rect(BAR_X, y + 5, Math.max(1, x(r.value) - BAR_X), ROW_H - 10, COLORS[state]);
      if (Number.isFinite(r.target)) c.rect(x(r.target) - 1, y + 1, 3, ROW_H - 2, COLORS.target);
      const label = Number.isFinite(r.value) ? fmt(r.value) + (s.unit ?? "") : "N/A";
      // Right of the bar, or right of the target line when the label would cross it.
      let lx = (Number.isFinite(r.value) ? x(r.value) : BAR_X) + 6;
      if (Number.isFinite(r.target) && lx < x(r.target) + 4 && lx + Canvas.textWidth(label) > x(r.target) - 4) lx = x(r.target) + 6;
      c.text(lx, y + 8, label, INK, 2);
      y += ROW_H;
    }
    y += 40;
  }
  return c.png();
}

function niceMax(v) {
  const steps = [1, 1.2, 1.6, 2, 4, 6, 8, 10]; // a quarter of each is a round tick
  const mag = 10 ** Math.floor(Math.log10(v || 1));
  return (steps.find((s) => s * mag >= v) ?? 10) * mag;
}

const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
