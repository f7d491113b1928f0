/** The profile view's "3D objects" section for volume datasets (NIfTI, nnU-Net): per class, object counts and sizes in mm³. */
import type { DatasetProfile } from '../../contracts/profile.js';
import { formatMm3 } from '../../report/volume-text.js';
import { fit, fitRight, truncate, wrapText } from '../format.js';
import { seg, type Line } from '../lines.js';

export function volumeLines(profile: DatasetProfile, width: number): Line[] {
  const v = profile.volumes;
  if (!v) return [];
  const lines: Line[] = [[seg('3D objects', 'heading'), seg(` (${v.cases} volumes, 26-connected, sizes in mm³ from the header spacing)`, 'muted')]];
  const nameWidth = Math.min(16, Math.max(6, ...v.classes.map((c) => c.name.length)));
  for (const c of v.classes) {
    if (!c.objects) continue;
    const o = c.objects;
    lines.push([
      seg(`  ${fit(truncate(c.name, nameWidth), nameWidth)}`),
      seg(` ${fitRight(o.count.toLocaleString('en-US'), 7)} objects`),
      seg(`  p50 ${formatMm3(o.mm3P50)}, largest ${formatMm3(o.mm3Max)} mm³, in ${c.casesWithClass} of ${v.cases} cases`, 'muted'),
    ]);
  }
  lines.push(...wrapText(`slices across the ${v.sliceAxis}`, width - 2, '  ').map((text): Line => [seg(`  ${text}`, 'muted')]));
  return lines;
}
