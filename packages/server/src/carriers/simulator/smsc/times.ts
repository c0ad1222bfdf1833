/**
 * SMPP v3.4 time fields (§7.1.1) as the simulator's SMSC checks them in a submit_sm:
 * `schedule_delivery_time` and `validity_period` are empty (immediate, the SMSC's default) or 16
 * characters `YYMMDDhhmmsstnnp` — `t` tenths of a second, `nn` quarter hours (00–48) from UTC, `p`
 * `+` or `-` for an absolute time, `R` for one relative to now (whose `nn` is 00).
 */
const TIME = /^\d\d(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)\d(\d\d)([+\-R])$/;

/** Whether `text` is an SMPP time field an SMSC takes (the empty one included). */
export function isSmppTime(text: string): boolean {
  if (text === '') return true;
  const m = TIME.exec(text);
  if (!m) return false;
  const [month, day, hour, minute, second, quarters] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (m[7] === 'R') return quarters === 0;
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59 && quarters <= 48;
}
