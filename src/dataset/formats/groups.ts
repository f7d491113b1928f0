/**
 * Leak-free groups: tiles of one scene, frames of one sequence, slices of one case belong on one
 * side of verify's split. A format's "group" rule or --group REGEX names each pair's group from
 * its id: the first capture group, else the whole match. Pairs it does not match stay their own
 * group (DatasetPair.group absent = the id).
 */
import { UserError } from '../../common/errors.js';
import type { DatasetPair } from '../types.js';
import { compileGroupPattern } from './validate.js';

export interface GroupResult {
  pairs: DatasetPair[];
  /** A line for the format note ("12 groups (city) from 40 pairs"), or null without a rule. */
  note: string | null;
}

/** The group named by `regex` in `id`, or null when it does not match (or matches nothing). */
export function groupOf(id: string, regex: RegExp): string | null {
  const match = regex.exec(id);
  if (!match) return null;
  const group = match.slice(1).find((g) => g !== undefined) ?? match[0];
  return group === '' ? null : group;
}

/**
 * Sets `group` on every pair the pattern matches. A --group pattern (`fromFlag`) that matches no
 * id is a mistake and stops the run (exit 2); a format's rule that matches none only says so.
 */
export function assignGroups(pairs: DatasetPair[], pattern: string | null, origin: { fromFlag: boolean; meaning: string | null }): GroupResult {
  if (pattern === null) return { pairs, note: null };
  const compiled = compileGroupPattern(pattern);
  if ('error' in compiled) {
    throw new UserError(`--group ${JSON.stringify(pattern)} ${compiled.error}`, { fix: "for example --group '^([a-z]+)_' (the first capture group names the group: city, scene, case)" });
  }
  let matched = 0;
  const grouped = pairs.map((pair) => {
    const group = groupOf(pair.id, compiled.regex);
    if (group === null) return pair;
    matched++;
    return { ...pair, group };
  });
  if (matched === 0 && origin.fromFlag && pairs.length > 0) {
    const examples = pairs.slice(0, 3).map((p) => p.id).join(', ');
    throw new UserError(`--group ${JSON.stringify(pattern)} matches none of the ${pairs.length} ids (e.g. ${examples})`, {
      fix: 'write the pattern against ids like these (the basename without suffix or extension); the first capture group names the group',
    });
  }
  const groups = new Set(grouped.map((p) => p.group ?? `\u0000${p.id}`)).size;
  const what = origin.meaning ? ` (${origin.meaning})` : '';
  const source = origin.fromFlag ? '--group' : 'the format\'s rule';
  const unmatched = pairs.length - matched;
  const note = `${groups} group${groups === 1 ? '' : 's'}${what} from ${pairs.length} pair${pairs.length === 1 ? '' : 's'} by ${source} ${pattern}${unmatched ? `; ${unmatched} id${unmatched === 1 ? '' : 's'} it does not match stay${unmatched === 1 ? 's' : ''} on ${unmatched === 1 ? 'its' : 'their'} own` : ''}`;
  return { pairs: grouped, note };
}
