// Readers of a live process's CPU time and memory from /proc (Linux), shared by the benchmarks.
import { readFileSync, readdirSync } from 'node:fs';

/** utime + stime, seconds, from the text of a /proc/…/stat file. */
function statCpuSeconds(stat) {
  const f = stat.split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** utime + stime of a live process, seconds. */
export function procCpuSeconds(pid) {
  return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** utime + stime of a live process's main thread (the one whose id is the process's), seconds. */
export function procMainThreadCpuSeconds(pid) {
  return statCpuSeconds(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8'));
}

/** utime + stime of each thread of a live process, seconds: `${comm}/${tid}` → seconds. */
export function procThreadCpuSeconds(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      out.set(`${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}/${tid}`, statCpuSeconds(stat));
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** Peak resident memory (VmHWM) of a live process, MB. */
export function procPeakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
