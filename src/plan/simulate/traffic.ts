/**
 * Traffic curves for the autoscaling simulator: requests per minute, one value per minute from the start. Either
 * parsed from a CSV (`minute,requests_per_minute`) or built from a diurnal profile with an optional launch spike.
 */
import { PlanInputError } from '../plan.js';

/** Requests per minute; index = minutes since the start. */
export type TrafficCurve = readonly number[];

/**
 * `minute,requests_per_minute` lines, an optional header, minutes consecutive (the first may be any integer, so an
 * export from a dashboard can be pasted as is). Blank lines and `#` comments are skipped.
 */
export function parseTrafficCsv(text: string): TrafficCurve {
  const curve: number[] = [];
  let previousMinute: number | undefined;
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(',').map((field) => field.trim());
    const where = `traffic CSV line ${index + 1}`;
    if (previousMinute === undefined && curve.length === 0 && Number.isNaN(Number(fields[0]))) continue; // header
    if (fields.length !== 2) throw new PlanInputError(`${where}: expected "minute,requests_per_minute", got "${line}"`, 'traffic');
    const minute = Number(fields[0]);
    const rate = Number(fields[1]);
    if (!Number.isInteger(minute)) throw new PlanInputError(`${where}: minute "${fields[0]}" is not an integer`, 'traffic');
    if (!Number.isFinite(rate) || rate < 0) {
      throw new PlanInputError(`${where}: requests_per_minute "${fields[1]}" is not a number ≥ 0`, 'traffic');
    }
    if (previousMinute !== undefined && minute !== previousMinute + 1) {
      throw new PlanInputError(`${where}: minute ${minute} follows ${previousMinute}; minutes must be consecutive`, 'traffic');
    }
    previousMinute = minute;
    curve.push(rate);
  }
  if (curve.length === 0) throw new PlanInputError('traffic CSV has no data lines', 'traffic');
  return curve;
}

export interface LaunchSpike {
  /** Day (0-based) and hour the launch starts. */
  day: number;
  hour: number;
  /** Traffic at the top of the spike over the day's normal level. */
  multiplier: number;
  /** Minutes from launch to the top of the spike. */
  rampMinutes: number;
  /** Time constant of the decay back to normal. */
  decayHours: number;
}

export interface DiurnalProfile {
  days: number;
  /** Requests per minute at the daily peak (before any launch spike). */
  peakRequestsPerMinute: number;
  /** Nightly trough as a share of the peak. */
  troughShare: number;
  /** Hour of the daily peak; the trough is 12 hours away. */
  peakHour: number;
  launch?: LaunchSpike;
}

export const defaultLaunch: LaunchSpike = { day: 1, hour: 9, multiplier: 3, rampMinutes: 20, decayHours: 3 };

/** A smooth daily cycle (cosine between trough and peak) with a launch spike that ramps up then decays. */
export function diurnalTraffic(profile: DiurnalProfile): TrafficCurve {
  const { days, peakRequestsPerMinute: peak, troughShare, peakHour, launch } = profile;
  if (!(days > 0 && peak >= 0 && troughShare >= 0 && troughShare <= 1)) throw new RangeError('diurnal profile out of range');
  const trough = peak * troughShare;
  const launchMinute = launch === undefined ? undefined : (launch.day * 24 + launch.hour) * 60;
  return Array.from({ length: Math.round(days * 24 * 60) }, (_, minute) => {
    const hour = (minute / 60) % 24;
    const cycle = (1 - Math.cos((2 * Math.PI * (hour - peakHour + 12)) / 24)) / 2;
    let rate = trough + (peak - trough) * cycle;
    if (launch !== undefined && launchMinute !== undefined && minute >= launchMinute) {
      const since = minute - launchMinute;
      const shape = since < launch.rampMinutes ? since / launch.rampMinutes : Math.exp(-(since - launch.rampMinutes) / (launch.decayHours * 60));
      rate *= 1 + (launch.multiplier - 1) * shape;
    }
    return rate;
  });
}
