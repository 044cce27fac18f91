// The machine's load while the bench runs, sampled twice a second: the 1-minute load average, CPU
// busy and steal time (/proc/stat), and how much of the busy time was the bench's own processes
// (this Node process, workerd, s3rver: /proc/<pid>/stat) versus everything else on the machine.
// Samples are tagged with the phase running at the time, so each workload gets its own figures.
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";

const read = (path) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
};

/** Jiffies from the aggregate `cpu` line: total, idle (idle + iowait), steal. */
function cpuTimes() {
  const line = read("/proc/stat")?.split("\n")[0];
  if (!line?.startsWith("cpu ")) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait, steal };
}

/** utime + stime of a process, in jiffies (fields 14 and 15 of /proc/<pid>/stat); 0 when gone. */
function processTime(pid) {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return 0;
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

/** CPU time of a process, all its threads, in nanoseconds (/proc/<pid>/task/<tid>/schedstat). */
export function processCpuNs(pid) {
  let ns = 0;
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return NaN;
  }
  for (const tid of tasks) ns += Number(read(`/proc/${pid}/task/${tid}/schedstat`)?.split(" ")[0] ?? 0);
  return ns;
}

export function startLoadSampler(intervalMs = 500) {
  const samples = [];
  const pids = new Set([process.pid]);
  let phase = "setup";
  let prev = { cpu: cpuTimes(), ours: new Map([...pids].map((p) => [p, processTime(p)])) };
  const timer = setInterval(() => {
    const cpu = cpuTimes();
    const ours = new Map([...pids].map((p) => [p, processTime(p)]));
    if (cpu && prev.cpu) {
      const total = cpu.total - prev.cpu.total;
      if (total > 0) {
        let own = 0;
        for (const [p, t] of ours) own += Math.max(0, t - (prev.ours.get(p) ?? t));
        const busy = total - (cpu.idle - prev.cpu.idle);
        samples.push({
          phase,
          load1: os.loadavg()[0],
          busy: busy / total,
          steal: (cpu.steal - prev.cpu.steal) / total,
          ours: Math.min(busy, own) / total,
          others: Math.max(0, busy - own) / total,
        });
      }
    }
    prev = { cpu, ours };
  }, intervalMs);
  timer.unref();
  return {
    /** Counts a process (workerd, s3rver) as the bench's own. */
    track: (pid) => pid && pids.add(pid),
    untrack: (pid) => pids.delete(pid),
    /** Tags the following samples. */
    phase: (name) => void (phase = name),
    /** Mean share of the CPU other processes used in the samples of these phases (0–1). */
    others: (...phases) => mean(samples.filter((s) => phases.includes(s.phase)).map((s) => s.others)),
    stop: () => clearInterval(timer),
    /** Per phase and overall: samples, load average min/median/max, mean busy/steal/ours/others shares. */
    summary() {
      const by = new Map([["all", samples]]);
      for (const s of samples) by.set(s.phase, [...(by.get(s.phase) ?? []), s]);
      return Object.fromEntries([...by].map(([name, xs]) => [name, summarize(xs)]));
    },
  };
}

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

function summarize(xs) {
  const loads = xs.map((s) => s.load1).sort((a, b) => a - b);
  return {
    samples: xs.length,
    load1: { min: loads[0], median: loads[Math.floor(loads.length / 2)], max: loads[loads.length - 1] },
    busy: mean(xs.map((s) => s.busy)),
    steal: mean(xs.map((s) => s.steal)),
    ours: mean(xs.map((s) => s.ours)),
    others: mean(xs.map((s) => s.others)),
  };
}
